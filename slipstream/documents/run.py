"""A pipeline run: the execution input (StartPipeline's request to Step Functions), the same document that
ValidateData receives, and what StartPipeline answers EventBridge with."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote_plus

from pydantic import Field, field_validator

from slipstream.documents.base import Document, ForeignEvent

# SageMaker job names allow [a-zA-Z0-9-]; the job prefix plus "-<run id>-train" must fit in 63 characters.
RUN_ID_PATTERN = r"^[a-z0-9](-?[a-z0-9]){0,31}$"


class DataLocation(Document):
    bucket: str = Field(min_length=3)
    key: str = Field(min_length=1)


class RunRequest(Document):
    """The execution input: which data to train on, and the run id that names the execution and its jobs."""

    run_id: str = Field(pattern=RUN_ID_PATTERN)
    data: DataLocation


class StartResult(Document):
    """StartPipeline's answer (logged; EventBridge ignores it)."""

    run_id: str | None
    started: bool
    reason: str


class S3Object(ForeignEvent):
    key: str
    etag: str

    @field_validator("key")
    @classmethod
    def _decoded(cls, key: str) -> str:
        # S3 form-encodes the key in its events ("my file.csv" arrives as "my+file.csv"), as batch_keys explains.
        return unquote_plus(key)


class ObjectCreatedDetail(ForeignEvent):
    bucket: dict[str, Any]
    object: S3Object


class ObjectCreated(ForeignEvent):
    """EventBridge's S3 "Object Created" event: new data landed."""

    detail_type: Literal["Object Created"] = Field(alias="detail-type")
    detail: ObjectCreatedDetail


class Scheduled(ForeignEvent):
    """EventBridge's "Scheduled Event": the retraining schedule fired."""

    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    time: datetime


class AlarmState(ForeignEvent):
    value: str  # ALARM | OK | INSUFFICIENT_DATA
    reason: str = ""


class AlarmDetail(ForeignEvent):
    alarm_name: str = Field(alias="alarmName")
    state: AlarmState


class AlarmFired(ForeignEvent):
    """EventBridge's "CloudWatch Alarm State Change": a drift or quality alarm the config retrains on."""

    detail_type: Literal["CloudWatch Alarm State Change"] = Field(alias="detail-type")
    time: datetime
    detail: AlarmDetail
