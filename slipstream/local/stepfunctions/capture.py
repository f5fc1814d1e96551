"""The serving stack's warehouse path, stood up from its synthesized template: the Glue database and tables,
the delivery streams (captures and feedback) with their destination configuration as written (Parquet
conversion by their table included), their delivery roles and log groups/streams, and the roles and policies of
the serving stack (the predict function's among them), so a row put by the predict role reaches S3 through the
delivery role's grants (moto_extensions/firehose.py).

The pipeline's SmokeTest reaches it through the API (rest_apis.py stands up the API and the predict function).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from typing import Any

import boto3

from slipstream.local.stepfunctions.intrinsics import Scope, resolve

ACCOUNT, REGION = "123456789012", "us-east-1"
STREAM_SETTINGS = ("DeliveryStreamType", "DeliveryStreamEncryptionConfigurationInput")
DESTINATIONS = ("ExtendedS3DestinationConfiguration", "S3DestinationConfiguration")


def deploy_capture(synth: Any, scope: Scope, create_roles: Any, create_policies: Any) -> dict[str, str]:
    """Stand the capture path up in `scope` (the serving stack's); returns {"capture": <stream name>,
    "feedback": <stream name>} (no "capture" when `[serving] capture` is off)."""
    template = synth.templates["serving"]
    missing = sorted(set(re.findall(r'"Fn::ImportValue": "([^"]+)"', json.dumps(template))) - set(scope.exports))
    if missing:
        raise KeyError(f"the serving stack imports {', '.join(missing)}, which no emulated stack exports")
    create_roles(template, scope)
    _create_logs(synth.prefix, template, scope)
    _create_catalog(template, scope)
    streams = {}
    for logical, resource in _of_type(template, "AWS::KinesisFirehose::DeliveryStream"):
        streams[_stream_key(logical)] = _create_stream(synth.prefix, logical, resource, scope)
    create_policies(template, scope)
    return streams


def _create_logs(prefix: str, template: dict[str, Any], scope: Scope) -> None:
    """Log groups and streams under CloudFormation's names (the group's Arn ends in `:*`, as GetAtt's does)."""
    logs = boto3.client("logs", region_name=REGION)
    for logical, resource in _of_type(template, "AWS::Logs::LogGroup"):
        name = resource["Properties"].get("LogGroupName") or f"{prefix}-serving-{logical}"
        logs.create_log_group(logGroupName=name)
        scope.attributes[logical] = {"Ref": name, "Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"}
    for logical, resource in _of_type(template, "AWS::Logs::LogStream"):
        group = resolve(resource["Properties"]["LogGroupName"], scope)
        name = resource["Properties"].get("LogStreamName") or logical
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        scope.attributes[logical] = {"Ref": name}


def _stream_key(logical: str) -> str:
    """cdk/serving/stack.py's construct IDs: `Capture` (captures), `FeedbackStream` (feedback)."""
    return "feedback" if logical.startswith("FeedbackStream") else "capture"


def _create_catalog(template: dict[str, Any], scope: Scope) -> None:
    """The Glue database and its tables, as CloudFormation creates them (a saved account keeps them)."""
    glue = boto3.client("glue", region_name=REGION)
    for logical, resource in _of_type(template, "AWS::Glue::Database"):
        database = resolve(resource["Properties"]["DatabaseInput"], scope)
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):
            glue.create_database(DatabaseInput=database)
        scope.attributes[logical] = {"Ref": database["Name"]}
    for logical, resource in _of_type(template, "AWS::Glue::Table"):
        props = resolve(resource["Properties"], scope)
        try:
            glue.create_table(DatabaseName=props["DatabaseName"], TableInput=props["TableInput"])
        except glue.exceptions.AlreadyExistsException:
            glue.update_table(DatabaseName=props["DatabaseName"], TableInput=props["TableInput"])
        scope.attributes[logical] = {"Ref": props["TableInput"]["Name"]}


def _create_stream(prefix: str, logical: str, resource: dict[str, Any], scope: Scope) -> str:
    props = resource["Properties"]
    name = props.get("DeliveryStreamName") or _generated_name(f"{prefix}-serving-{logical}", 64)
    settings = {key: resolve(props[key], scope) for key in (*STREAM_SETTINGS, *DESTINATIONS) if key in props}
    arn = boto3.client("firehose", region_name=REGION).create_delivery_stream(DeliveryStreamName=name, **settings)[
        "DeliveryStreamARN"
    ]
    scope.attributes[logical] = {"Ref": name, "Arn": arn}
    return str(name)


def _generated_name(name: str, limit: int) -> str:
    """A name CloudFormation generates: cut to the limit with a unique suffix (a long project name must not give
    the capture and feedback streams one name)."""
    if len(name) <= limit:
        return name
    return f"{name[: limit - 9]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _of_type(template: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(k, r) for k, r in template["Resources"].items() if r["Type"] == kind]
