"""Firehose delivers to S3 as its delivery role: moto writes straight into its S3 backend, with no IAM check.

Ours asks strict.resources what the write needs (s3:PutObject on the object, kms:GenerateDataKey on the
destination's key, or on the bucket's default key) and lets strict.iam decide for the destination's RoleARN,
as S3 decides for Firehose's session of that role. A refused delivery fails as Firehose's does: PutRecord has
already answered (the records were accepted), nothing reaches S3, the error goes to the stream's delivery log
(CloudWatch Logs, written as the role too), and the records stay with the stream, delivered with the next
batch once the role may write (AWS retries for 24 hours; the emulation retries at the next put).

A destination that converts the record format (JSON -> Parquet) first reads its Glue table from moto's Glue
backend as the schema role (glue:GetTable on the catalog, the database and the table, as Glue decides), then
converts the batch (strict.record_conversion): the rows that convert become one `.parquet` object, the records
that do not go to the error prefix under `format-conversion-failed/`. A role that may not read the table
delivers nothing and logs why, like a refused PutObject.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.firehose.models import FirehoseBackend
from moto.glue.exceptions import EntityNotFoundException
from moto.glue.models import glue_backends
from moto.logs.models import logs_backends
from moto.moto_api._internal import mock_random
from moto.s3.models import s3_backends

from slipstream.local.stepfunctions.moto_extensions.iam import _key_of, _resolved, authorize_role
from slipstream.local.stepfunctions.moto_extensions.switches import STRICT
from slipstream.local.strict import firehose, iam, record_conversion, resources

SESSION = "Firehose"  # the session name Firehose's calls as the delivery role carry in the emulation
UNDELIVERED = "_slipstream_undelivered"  # records a refused delivery keeps on the stream


def _deliveries_as_the_role() -> None:
    def put_s3_records(self, delivery_stream_name, version_id, s3_destination, records):  # type: ignore[no-untyped-def]
        stream = self.delivery_streams[delivery_stream_name]
        waiting: list[bytes] = getattr(stream, UNDELIVERED, [])
        batch = waiting + [r["Data"] for r in records]
        setattr(stream, UNDELIVERED, _deliver(self, stream, s3_destination, batch))
        return [{"RecordId": str(mock_random.uuid4())} for _ in records]

    FirehoseBackend.put_s3_records = put_s3_records


class _Refused(Exception):
    """A delivery Firehose cannot make (S3 or Glue refused): logged, the batch kept."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _deliver(backend: Any, stream: Any, destination: dict[str, Any], batch: list[bytes]) -> list[bytes]:
    """Write `batch` (one object, plus one of failed records when converting); returns the records still
    undelivered (all of them when S3 or Glue refuses)."""
    account, region = backend.account_id, backend.region_name
    bucket = destination["BucketARN"].split(":")[-1]
    kms_key = firehose.kms_key(destination) or _key_of(resources.KeyOf("bucket", bucket, ()), region, account)
    role = destination.get("RoleARN")
    try:
        objects = _objects(stream, destination, batch, region, account)
        if STRICT["iam"] and role:
            for key, _ in objects:
                _authorize_put(role, region, account, bucket, key, kms_key)
    except iam.AccessDenied as denied:
        refused = _Refused("S3.AccessDenied", str(denied))
        _log_refusal(role, region, account, stream, destination, refused)
        return batch
    except _Refused as refused:
        _log_refusal(role, region, account, stream, destination, refused)
        return batch
    for key, body in objects:
        s3_backends[account][backend.partition].put_object(
            bucket, key, body, encryption="aws:kms" if kms_key else None, kms_key_id=kms_key
        )
    return []


def _log_refusal(
    role: str | None, region: str, account: str, stream: Any, destination: dict[str, Any], refused: _Refused
) -> None:
    if role:
        error = firehose.delivery_error(
            stream.delivery_stream_arn, destination["BucketARN"], stream.version_id, refused.code, str(refused)
        )
        _log(role, region, account, stream, destination, error)


def _objects(
    stream: Any, destination: dict[str, Any], batch: list[bytes], region: str, account: str
) -> list[tuple[str, bytes]]:
    """(key, body) of what one delivery writes: the records as sent, or converted to Parquet by the table."""
    now = datetime.now(UTC)
    name, version = stream.delivery_stream_name, stream.version_id
    conversion = firehose.conversion(destination)
    if conversion is None:
        return [(firehose.object_key(destination, name, version, now), firehose.object_body(destination, batch))]
    schema = conversion["SchemaConfiguration"]
    table = _table_as_the_role(schema, region, account)
    converted = record_conversion.convert(
        batch, table["StorageDescriptor"]["Columns"], firehose.timestamp_formats(conversion)
    )
    objects = []
    if converted.parquet is not None:
        objects.append((firehose.object_key(destination, name, version, now), converted.parquet))
    if converted.failed:
        where = {k: str(schema.get(v, "")) for k, v in CATALOG_FIELDS.items()}
        lines = [record_conversion.error_document(raw, why, where, now) + "\n" for raw, why in converted.failed]
        key = firehose.error_key(destination, name, version, now, record_conversion.FAILED)
        objects.append((key, "".join(lines).encode()))
    return objects


CATALOG_FIELDS = {
    "catalogId": "CatalogId",
    "databaseName": "DatabaseName",
    "tableName": "TableName",
    "region": "Region",
    "versionId": "VersionId",
}


def _table_as_the_role(schema: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """The Glue table the conversion reads, read as its schema role (Glue authorizes GetTable on the catalog,
    the database and the table)."""
    region = schema.get("Region") or region
    catalog = schema.get("CatalogId") or account
    database, name = schema["DatabaseName"], schema["TableName"]
    role = schema.get("RoleARN")
    if STRICT["iam"] and role:
        base = f"arn:aws:glue:{region}:{catalog}"
        for resource in (f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/{name}"):
            try:
                authorize_role(role, SESSION, iam.Request("glue:GetTable", resource), region)
            except iam.AccessDenied as denied:
                raise _Refused("DataFormatConversion.AccessDenied", str(denied)) from None
    try:
        return dict(glue_backends[catalog][region].get_table(database, name).as_dict())
    except EntityNotFoundException:
        raise _Refused("DataFormatConversion.EntityNotFound", f"Glue table {database}.{name} not found") from None


def _authorize_put(role: str, region: str, account: str, bucket: str, key: str, kms_key: str | None) -> None:
    """What S3 evaluates for Firehose's PutObject (SSE-KMS with the destination's key) as the delivery role."""
    params = {"Bucket": bucket, "Key": key, "SSEKMSKeyId": kms_key}
    call = resources.Call("s3", "PutObject", params.get, account, region)
    for asked in resources.requests_of(call):
        for request in _resolved(asked, region, account):
            authorize_role(role, SESSION, request, region)


def _log(role: str, region: str, account: str, stream: Any, destination: dict[str, Any], message: str) -> None:
    """One error event in the delivery log, if logging is on, the log stream exists and the role may write it."""
    target = firehose.log_target(destination)
    if target is None:
        return
    group, log_stream = target
    arn = f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{log_stream}"
    try:
        authorize_role(role, SESSION, iam.Request("logs:PutLogEvents", arn), region)
    except iam.AccessDenied:
        return  # as on AWS: the role may not log, so the error is seen nowhere but in the missing objects
    logs = logs_backends[account][region]
    if group in logs.groups and log_stream in logs.groups[group].streams:
        event = {"timestamp": int(datetime.now(UTC).timestamp() * 1000), "message": message}
        logs.put_log_events(group, log_stream, [event])


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _deliveries_as_the_role()
