"""Reading what the monitoring Lambdas (drift, experiment) compare: captured traffic (Firehose -> S3, Parquet
or JSON Lines: capture_objects.py), the deployment record, and feedback (DynamoDB). Clients are passed in
(moto stands in for tests).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from lambdas.common.capture_objects import object_rows
from lambdas.common.s3uri import split_s3_uri
from slipstream.documents.deployment import DeploymentRecord
from slipstream.monitoring.traffic import Traffic, traffic_from_rows

logger = logging.getLogger(__name__)


def capture_keys(s3: Any, bucket: str, prefix: str, since: datetime, limit: int) -> list[str]:
    """Keys written since `since`, newest first, at most `limit` (a bound on the Lambda's time and memory)."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [(o["LastModified"], o["Key"]) for o in page.get("Contents", []) if o["LastModified"] >= since]
    found.sort(reverse=True)
    if len(found) > limit:
        logger.warning("capture: %d objects in the window, reading the newest %d", len(found), limit)
    return [key for _, key in found[:limit]]


def read_capture(s3: Any, bucket: str, keys: list[str]) -> Traffic:
    """Capture rows as Traffic; feature columns keep their column names (`Traffic.named` restores the feature
    names once a baseline or contract lists them)."""
    rows, skipped = read_capture_rows(s3, bucket, keys)
    return traffic_from_rows(rows, skipped=skipped)


def read_capture_rows(s3: Any, bucket: str, keys: list[str]) -> tuple[list[dict[str, Any]], int]:
    """The rows of the objects (Parquet or JSON Lines, gzipped or not), and how many lines were skipped."""
    rows: list[dict[str, Any]] = []
    skipped = 0
    for key in keys:
        found, bad = object_rows(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        rows += found
        skipped += bad
    return rows, skipped


def read_json(s3: Any, uri: str) -> Any:
    bucket, key = split_s3_uri(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def read_deployment(s3: Any, uri: str) -> DeploymentRecord | None:
    """The deployment record, or None before the first deployment has written it (NoSuchKey). Any other error
    (AccessDenied, a missing bucket, a record that is not a DeploymentRecord) is a fault and is raised."""
    try:
        document = read_json(s3, uri) or {}
    except s3.exceptions.NoSuchKey:
        return None
    try:
        return DeploymentRecord.model_validate(document)
    except ValidationError as error:
        raise ValueError(f"the deployment record {uri} is not a deployment record: {error}") from None


def read_feedback(dynamodb: Any, table: str, limit: int) -> list[dict[str, Any]]:
    """Feedback items (request_id, row, ground_truth), at most `limit` (a bounded scan)."""
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items += [{name: _value(attribute) for name, attribute in item.items()} for item in page["Items"]]
        if len(items) >= limit:
            break
    return items[:limit]


def _value(attribute: dict[str, Any]) -> Any:
    """Undo lambdas.predict.sinks._attribute: N, S, BOOL, NULL."""
    if "N" in attribute:
        number = float(attribute["N"])
        return int(number) if number.is_integer() and "." not in attribute["N"] else number
    if "BOOL" in attribute:
        return attribute["BOOL"]
    if "NULL" in attribute:
        return None
    return attribute.get("S")
