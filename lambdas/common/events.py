"""What the state machine hands each task. The state machine builds these (see cdk/pipeline_*.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# SageMaker job names allow [a-zA-Z0-9-]; the job prefix plus "-<run id>-train" must fit in 63 characters.
RUN_ID_PATTERN = r"^[a-z0-9](-?[a-z0-9]){0,31}$"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DataLocation(_Event):
    bucket: str = Field(min_length=3)
    key: str = Field(min_length=1)


class RunRequest(_Event):
    """The execution input: which data to train on, and the run id that names the execution and its jobs."""

    run_id: str = Field(pattern=RUN_ID_PATTERN)
    data: DataLocation
