"""What the SageMaker jobs run in the container: one source for the state machine and the local runner.

Both runtimes pass these as the jobs' ContainerEntrypoint, so a local run enters the scripts exactly as AWS does.
"""

from __future__ import annotations

from slipstream.batch_job import BATCH_PROGRAM
from slipstream.job_arguments import CODE_DIR, EVALUATE_PROGRAM, VALIDATION_MODULE

# The image's own `train` is sagemaker-containers' trainer (slipstream/image.py), which replaces the failure
# file train.py wrote with "framework error: <traceback>", so FailureReason would never say what was wrong.
# sagemaker-training's trainer (the same toolkit that runs the script) keeps a failure file that exists.
TRAINING_ENTRYPOINT = ["python3", "-m", "sagemaker_training.cli.train"]

# The processing container starts in no particular folder and does not unpack sourcedir.tar.gz itself:
# unpack it, then run evaluate.py (which imports its sibling modules) with the job's arguments.
# The archive arrives under its S3 object's name, and the CDK asset key is `<hash>.gz`, not sourcedir.tar.gz
# (found by tests/statemachine: `tar: sourcedir.tar.gz: Cannot open`), so unpack the one .gz the input holds.


def processing_entrypoint(program: str, name: str) -> list[str]:
    """Unpack the sourcedir, then run `program` with the job's arguments (`name` is the shell's $0)."""
    return ["/bin/sh", "-c", f'cd {CODE_DIR} && tar -xzf ./*.gz && exec python3 {program} "$@"', name]


EVALUATION_ENTRYPOINT = processing_entrypoint(EVALUATE_PROGRAM, "evaluate")
# The batch processing job (cdk/batch/): the scorer `slipstream predict` runs, from the same archive.
BATCH_ENTRYPOINT = processing_entrypoint(BATCH_PROGRAM, "batch-score")

# ValidateData as a processing job: the Lambda's own code (lambdas/validate_data, slipstream's core and the pydantic
# the image lacks: cdk/pipeline/validation_code.py) is one archive; unpack it and run the job module from there.
VALIDATION_ENTRYPOINT = [
    "/bin/sh",
    "-c",
    f'cd {CODE_DIR} && tar -xzf ./*.gz && PYTHONPATH={CODE_DIR} exec python3 -m {VALIDATION_MODULE} "$@"',
    "validate",
]
