"""BatchLocate: the batch state machine's first step. S3's "Object Created" event (via EventBridge) -> the decoded
key, where its results go, and whether to score it (slipstream/batch_keys.py). No AWS calls."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.common.env import BaseEnv, load_env
from slipstream.batch_keys import locate

logger = Logger()
tracer = Tracer()


class Env(BaseEnv):
    input_prefix: str = Field(alias="INPUT_PREFIX")
    output_prefix: str = Field(alias="OUTPUT_PREFIX")
    summary_file: str = Field(alias="SUMMARY_FILE")
    manifest_bucket: str = Field(alias="MANIFEST_BUCKET")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@event_parser(model=S3EventNotificationEventBridgeModel)
def handler(event: S3EventNotificationEventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    env = load_env(Env)
    detail = event.detail
    target = locate(
        detail.bucket.name,
        detail.object.key,
        input_prefix=env.input_prefix,
        output_prefix=env.output_prefix,
        summary_file=env.summary_file,
        manifest_bucket=env.manifest_bucket,
    )
    logger.info(target.reason, extra=target.model_dump(mode="json"))
    return target.model_dump(mode="json")
