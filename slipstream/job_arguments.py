"""What the pipeline passes its SageMaker jobs, built once for both runtimes.

The local runner (`slipstream.local.steps`) and the state machine (`cdk/pipeline/training.py`,
`cdk/pipeline/context.py`) both take the training hyperparameters and the evaluation job's arguments from
here, so the two cannot drift apart. Each runtime applies SageMaker's encoding where it needs it:
CreateTrainingJob carries every hyperparameter as a JSON-encoded string (`sdk_encoded`); the training
toolkit (sagemaker-training, the real one in both runtimes) decodes them and hands the script `--name value` flags.

Column selection is not a training argument: ValidateData drops `data.ignore_columns` before it writes
the splits, so the train channel holds exactly the features and the target, and train.py fits on all of
them. Passing the ignored names on would make train.py look for columns that are no longer there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from slipstream.config import METRICS, Config
from slipstream.layout import BEHAVIOUR_FILE, IMPORTANCE_FILE
from slipstream.tuning_config import TuningMode, TuningSpec, tuning_spec

TRAIN_PROGRAM, EVALUATE_PROGRAM = "train.py", "evaluate.py"
PROCESSING_ROOT = "/opt/ml/processing"
# Processing inputs and outputs, by name: each is mounted at /opt/ml/processing/<name>.
MODEL, TEST, CONFIG, CHAMPION, EVALUATION = "model", "test", "config", "champion", "evaluation"
CODE_DIR = f"{PROCESSING_ROOT}/input/code"  # where the sourcedir archive is downloaded
# The ValidateData processing job's mounts (lambdas/validate_data/job.py): the uploaded object, the stored
# contract (an input only once it exists: SageMaker fails an input with no objects), the run folder and the
# contract folder it writes (runs/<run id>/ and contract/ of the artifact bucket).
VALIDATION_DATA = f"{PROCESSING_ROOT}/input/data"
VALIDATION_CONTRACT = f"{PROCESSING_ROOT}/input/contract"
VALIDATION_RUN_OUTPUT = f"{PROCESSING_ROOT}/output/run"
VALIDATION_CONTRACT_OUTPUT = f"{PROCESSING_ROOT}/output/contract"
VALIDATION_MODULE = "lambdas.validate_data.job"
VALIDATION_CONFIG_FILE = "slipstream-config.json"  # the stage's resolved config, at the root of the job's code

Scalar = str | int


class TrainingHyperparameters(BaseModel):
    """The script's hyperparameters, as train.py receives them (after the toolkit's decoding)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    task: Literal["classification", "regression"]
    estimator: str
    params: dict[str, Any]
    seed: int
    tuning: TuningSpec | None = None  # absent from the job's hyperparameters when [tuning] is not set

    def decoded(self) -> dict[str, Scalar]:
        """name -> value as the toolkit hands it to the script. Values must be scalars: the toolkit turns a
        decoded dict into `k=v,...` and a list into its Python repr, so JSON objects travel as JSON text."""
        values: dict[str, Scalar] = {
            "target": self.target,
            "task": self.task,
            "estimator": self.estimator,
            "params": json.dumps(self.params, sort_keys=True),
            "seed": self.seed,
        }
        if self.tuning is not None:
            values["tuning"] = self.tuning.model_dump_json()
        return values


def training_hyperparameters(config: Config, *, tuning_mode: TuningMode = "search") -> TrainingHyperparameters:
    """train.py's hyperparameters. With [tuning]: `search` runs the whole search in the job (local runtime);
    `trial` scores one set chosen by a SageMaker tuning job, which adds the set's values itself."""
    tuning = None
    if config.tuning is not None:
        higher = METRICS[config.data.task][config.tuning.metric or ""]
        tuning = tuning_spec(config.tuning, higher_is_better=higher, mode=tuning_mode)
    return TrainingHyperparameters(
        target=config.data.target,
        task=config.data.task,
        estimator=config.model.estimator or "",
        params=config.model.params,
        seed=config.data.seed,
        tuning=tuning,
    )


def framework_hyperparameters(*, submit_directory: str, region: str, program: str = TRAIN_PROGRAM) -> dict[str, Scalar]:
    """The `sagemaker_*` entries script mode reads (the SDK's names); the toolkit does not pass them to the script."""
    return {
        "sagemaker_program": program,
        "sagemaker_submit_directory": submit_directory,
        "sagemaker_container_log_level": 20,
        "sagemaker_region": region,
    }


def sdk_encoded(values: Mapping[str, Any]) -> dict[str, str]:
    """CreateTrainingJob's HyperParameters as the SageMaker Python SDK writes them: every value JSON-encoded."""
    return {name: json.dumps(value) for name, value in values.items()}


def processing_path(name: str) -> str:
    return f"{PROCESSING_ROOT}/{name}"


def evaluation_inputs(*, champion: bool) -> list[str]:
    """Names of the evaluation job's data inputs (each at processing_path(name)); the code input is separate."""
    return [MODEL, TEST, CONFIG, *([CHAMPION] if champion else [])]


def evaluation_arguments(*, champion: bool) -> list[str]:
    """evaluate.py's arguments, with paths inside the processing container."""
    arguments = ["--model-dir", processing_path(MODEL), "--test-dir", processing_path(TEST)]
    arguments += ["--output-dir", processing_path(EVALUATION)]
    arguments += ["--behaviour", f"{processing_path(CONFIG)}/{BEHAVIOUR_FILE}"]
    arguments += ["--importance", f"{processing_path(CONFIG)}/{IMPORTANCE_FILE}"]
    if champion:
        arguments += ["--champion-model-dir", processing_path(CHAMPION)]
    return arguments
