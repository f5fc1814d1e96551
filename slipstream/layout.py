"""Where everything is stored: the artifact bucket's keys, the data bucket's prefix, and a run's folder.

A run folder holds the same relative paths in both runtimes: `runs/<run id>/...` in the artifact bucket on
AWS, `<state>/runs/<run id>/...` on a laptop (and `<state>/sfn-runs/<run id>/`, the emulated bucket's copy).
The CDK stacks, the Lambdas and the local runtime take every key and path from here.

`training/` runs in the SageMaker image and cannot import this package: the evaluation file name is the
script's own (`training/evaluation_run.py` EVALUATION_FILE) and EVALUATION_FILE below repeats it; a unit test
(tests/unit/test_layout.py) fails when they differ. Every other path reaches the scripts as an argument.

Functions that take a run id also build Step Functions `States.Format` templates: pass RUN_ID_SLOT (`{}`).
"""

from __future__ import annotations

# --- the artifact bucket ---------------------------------------------------------------------------------
RUNS_PREFIX = "runs/"  # one folder per run; expires (stage artifact_retention_days)
# What a deployed model keeps needing after its run folder expires: model.tar.gz (a serverless endpoint downloads
# ModelDataUrl again at every cold start, and a rollback restarts an old config) and the drift baseline.
MODELS_PREFIX = "models/"
CAPTURES_PREFIX = "captures/"  # captured traffic (Firehose); expires (stage capture_retention_days)
CAPTURE_DATA_PREFIX = f"{CAPTURES_PREFIX}data/"  # what the drift Lambda reads
CAPTURE_ERRORS_PREFIX = f"{CAPTURES_PREFIX}errors/"  # records Firehose could not deliver, outside the drift prefix
# Metrics Datadog's intake refused (the Datadog metric stream's S3 backup); expires like the captures.
DATADOG_FAILED_PREFIX = "datadog/failed/"
FEEDBACK_PREFIX = "feedback/"  # ground truth (Firehose, the `feedback` table); expires like captures
FEEDBACK_DATA_PREFIX = f"{FEEDBACK_PREFIX}data/"  # the `feedback` table's location
FEEDBACK_ERRORS_PREFIX = f"{FEEDBACK_PREFIX}errors/"  # rows Firehose could not convert or deliver, outside the table
ATHENA_RESULTS_PREFIX = "athena/results/"  # the workgroup's query results; expire (cdk/shared/storage_stack.py)
CONTRACT_PREFIX = "contract/"
CONTRACT_KEY = f"{CONTRACT_PREFIX}contract.json"  # the contract new data is checked against (the first run writes it)
# The deployment record (slipstream/documents/deployment.py): written after a deploy, read by predict and drift.
DEPLOYMENT_KEY = "deployment/deployment.json"
LOCAL_DEPLOYMENT_FILE = "deployment.json"  # the same record locally, in <state>/serving/
# Approvals waiting for a person, and decided (slipstream/documents/approval.py): one document per run, written by
# the WaitForApproval Lambda, decided through the approvals API (lambdas/approval_decision). Kept: an audit trail.
APPROVALS_PREFIX = "approvals/"

# --- the data bucket -------------------------------------------------------------------------------------
DEFAULT_DATA_PREFIX = "incoming/"  # new data under it starts a run (`[stages.<stage>] data_prefix`)
# A prefix an S3 event rule watches: characters S3 leaves as they are when it form-encodes a key into its events
# (the rule matches the prefix against the encoded key, so it must read the same both ways), no leading `/`, and
# no `*`, which would also widen the IAM grants written as `<prefix>*`.
EVENT_PREFIX_PATTERN = r"^[A-Za-z0-9_.-][A-Za-z0-9_./-]*/$"

# --- a run folder (relative to runs/<run id>/) ------------------------------------------------------------
TRAIN_CHANNEL = "data/train/"  # the training job's `train` channel (an S3 prefix)
TRAIN_FILE = f"{TRAIN_CHANNEL}train.parquet"
TEST_CHANNEL = "data/test/"  # held-out rows, seen only by Evaluate
TEST_FILE = f"{TEST_CHANNEL}test.parquet"
# What the split files are (slipstream/channel_files.py): the train channel's ContentType and the objects' own.
CHANNEL_CONTENT_TYPE = "application/x-parquet"
CONTRACT = "contract.json"  # the contract this run's data satisfied
BASELINE = "baseline.json"  # per-feature training statistics, for drift
VALIDATION = "validation.json"  # ValidateData's report, with the data's exact source
# ValidateData's answer (documents/validation.py ValidationOutput) when it runs as a processing job: the state
# machine reads it back into $.validation, where the Lambda route puts the Lambda's answer.
VALIDATION_OUTPUT = "validation-output.json"
BEHAVIOUR_CONFIG = "config/"  # the evaluation job's `config` input
BEHAVIOUR_FILE = "behaviour.json"  # evaluate.py's --behaviour, inside that input
BEHAVIOUR = f"{BEHAVIOUR_CONFIG}{BEHAVIOUR_FILE}"
IMPORTANCE_FILE = "importance.json"  # evaluate.py's --importance (documents/evaluation.py ImportanceSettings)
IMPORTANCE_SETTINGS = f"{BEHAVIOUR_CONFIG}{IMPORTANCE_FILE}"
MODEL_OUTPUT = "model/"  # the training job's S3OutputPath
EVALUATION_OUTPUT = "evaluation/"  # the evaluation job's output
EVALUATION_FILE = "evaluation.json"  # training/evaluation_run.py EVALUATION_FILE
EVALUATION = f"{EVALUATION_OUTPUT}{EVALUATION_FILE}"
MODEL_ARCHIVE = "model.tar.gz"  # SageMaker's name for the archive of /opt/ml/model
# Only in a local run folder: the AWS run keeps these in the execution's state, the registry and the job logs.
LOCAL_ONLY = ("jobs/", "gate.json", "model_card.md", "report.html", "summary.json", "FAILED.json", "experiment/")
JOBS = "jobs/"  # the local jobs' /opt/ml folders, logs and downloaded inputs
# How the experiment of this run's model ended (slipstream/experiment/record.py), written by the person or the
# decider who promoted or stopped it, long after the run; the registry's `experiment.*` tags say the same.
EXPERIMENT_DECISION = "experiment/decision.json"

RUN_ID_SLOT = "{}"  # a run id that States.Format fills in


def run_prefix(run_id: str) -> str:
    """`runs/<run id>/`: the run folder's key prefix."""
    return f"{RUNS_PREFIX}{run_id}/"


def run_key(run_id: str, relative: str) -> str:
    """The key of a run-folder path, e.g. run_key(id, BASELINE) == `runs/<id>/baseline.json`."""
    return f"{run_prefix(run_id)}{relative}"


def model_archive(job_name: str) -> str:
    """Where SageMaker puts a training job's model: `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz`,
    relative to the run folder (S3OutputPath is its MODEL_OUTPUT)."""
    return f"{MODEL_OUTPUT}{job_name}/output/{MODEL_ARCHIVE}"


def retained_key(run_id: str, name: str) -> str:
    """`models/<run id>/<name>`: the copy of MODEL_ARCHIVE or BASELINE that outlives the run folder."""
    return f"{MODELS_PREFIX}{run_id}/{name}"


def run_files(job_name: str) -> frozenset[str]:
    """Every file a run that got as far as Evaluate writes, relative to its folder (both runtimes)."""
    written = (
        TRAIN_FILE,
        TEST_FILE,
        CONTRACT,
        BASELINE,
        VALIDATION,
        BEHAVIOUR,
        IMPORTANCE_SETTINGS,
        EVALUATION,
        model_archive(job_name),
    )
    return frozenset(written)


def approval_key(run_id: str) -> str:
    """`approvals/<run id>.json`: the pending (then decided) approval of one run's model."""
    return f"{APPROVALS_PREFIX}{run_id}.json"
