"""Instance types from the stage config, checked at synth time against the ones SageMaker offers for the job kind
(botocore's service model: TrainingInstanceType, ProcessingInstanceType), so a typo fails `cdk synth` naming the
field, not a run hours later. Only the CPU types: AWS builds the scikit-learn image for CPU only."""

from __future__ import annotations

from functools import cache

from slipstream.stage_config import StageConfig

# Accelerated families (GPU, Trainium, Inferentia): the scikit-learn image has no build for them.
ACCELERATED = ("ml.p", "ml.g", "ml.trn", "ml.inf", "ml.dl")


@cache
def offered(shape: str) -> tuple[str, ...]:
    import botocore.session

    return tuple(botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).enum)


def check_instance_type(stage_name: str, field: str, value: str, shape: str) -> str:
    """`value` if SageMaker offers it for `shape` (a job kind) and it has no accelerator; else a ValueError."""
    where = f"[stages.{stage_name}] {field} = {value!r}"
    if value.startswith(ACCELERATED):
        raise ValueError(f"{where}: the scikit-learn image runs on CPU instances only (not ml.p/g/trn/inf/dl)")
    choices = offered(shape)
    if value not in choices:
        cpu = sorted(c for c in choices if not c.startswith(ACCELERATED))
        raise ValueError(f"{where} is not a SageMaker {shape}; choose one of {', '.join(cpu)}")
    return value


def processing_instance_type(stage_name: str, stage: StageConfig) -> str:
    """The stage's `processing_instance_type` (Evaluate and batch scoring), checked."""
    return check_instance_type(
        stage_name, "processing_instance_type", stage.processing_instance_type, "ProcessingInstanceType"
    )
