"""Reading what the drift Lambda compares: captured traffic (Firehose -> S3), the deployment record, each
version's training baseline, and feedback (DynamoDB). Clients are passed in (moto stands in for tests).
"""

from __future__ import annotations

import gzip
import json
import logging
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from lambdas.common.s3uri import split_s3_uri
from slipstream.documents.deployment import CHALLENGER, CHAMPION, DeploymentRecord
from slipstream.layout import BASELINE, run_key
from slipstream.monitoring.traffic import Traffic, parse_lines, traffic_from_records

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
    records, skipped = [], 0
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if body[:2] == b"\x1f\x8b":  # Firehose may be set to GZIP the objects it writes
            body = gzip.decompress(body)
        found, bad = parse_lines(body.decode("utf-8").splitlines())
        records += found
        skipped += bad
    return traffic_from_records(records, skipped)


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


def baseline_uris(deployment: DeploymentRecord, artifact_bucket: str) -> dict[str, str]:
    """model version -> baseline.json URI, from the deployment record's variants.

    A variant names its baseline as `baseline_uri`, or its pipeline run as `run_id` (ValidateData writes
    the run's BASELINE in the artifact bucket).
    """
    uris = {}
    for name in (CHAMPION, CHALLENGER):
        record = deployment.variant(name)
        if record is None:
            continue
        run_baseline = f"s3://{artifact_bucket}/{run_key(record.run_id, BASELINE)}" if record.run_id else None
        if uri := record.baseline_uri or run_baseline:
            uris[record.version] = uri
    return uris


def load_baselines(s3: Any, uris: dict[str, str], versions: list[str]) -> dict[str, dict[str, Any] | None]:
    baselines: dict[str, dict[str, Any] | None] = {}
    for version in versions:
        uri = uris.get(version)
        try:
            baselines[version] = read_json(s3, uri) if uri else None
        except ClientError as error:
            # A missing baseline is data (that version is reported without drift); anything else, AccessDenied
            # above all, is a broken deployment and must fail the run, not hide drift behind a warning.
            if error.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                raise
            logger.warning("no baseline for version %s at %s: %s", version, uri, error)
            baselines[version] = None
    return baselines


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
