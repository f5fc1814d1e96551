"""What Firehose writes to an S3 destination, and what it logs when it cannot (no moto here).

moto's Firehose writes the records as they came under `<Prefix><yyyy/MM/dd/HH>/`, ignoring the prefix's
expressions, the compression and the destination's key. Firehose itself (Developer Guide, "Amazon S3 object
name format" and "Custom prefixes"):
- evaluates `!{timestamp:<Java date pattern>}` and `!{firehose:random-string}` in the prefix, and adds the
  default `yyyy/MM/dd/HH/` only when the prefix has no timestamp expression;
- names the object `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<random>` (+ `.gz` when it compresses with GZIP,
  `.parquet` when it converts the records to Parquet: record_conversion.py);
- evaluates `!{firehose:error-output-type}` only in the error prefix;
- encrypts it with the destination's `KMSEncryptionConfig` key (or the bucket's default when NoEncryption);
- when S3 refuses, keeps the records (DirectPut: for 24 hours, retrying) and logs the error, if the stream's
  CloudWatch logging is enabled, as one JSON event per failed attempt in its delivery log stream.
"""

from __future__ import annotations

import gzip
import json
import re
import secrets
import uuid
from datetime import datetime
from typing import Any

# Java DateTimeFormatter letters Firehose's examples use, longest first so `yyyy` wins over `yy`.
JAVA_DATE = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
EXPRESSION = re.compile(r"!\{([a-z]+):([^}]*)\}")
COMPRESSIONS = ("UNCOMPRESSED", "GZIP")


class UnsupportedDestination(ValueError):
    """A destination setting the emulated Firehose does not deliver faithfully."""


def _java_date(pattern: str, now: datetime) -> str:
    tokens = re.split(r"(yyyy|yy|MM|dd|HH|mm|ss)", pattern)
    return "".join(now.strftime(JAVA_DATE[t]) if t in JAVA_DATE else t for t in tokens)


def evaluated_prefix(prefix: str, now: datetime, error_type: str | None = None) -> str:
    """The prefix with its expressions evaluated, and the default time part when it names no timestamp.
    `error_type`: for the error prefix, what `!{firehose:error-output-type}` stands for."""

    def value(match: re.Match[str]) -> str:
        namespace, argument = match.groups()
        if namespace == "timestamp":
            return _java_date(argument, now)
        if namespace == "firehose" and argument == "random-string":
            return secrets.token_hex(6)[:11]
        if namespace == "firehose" and argument == "error-output-type" and error_type:
            return error_type
        raise UnsupportedDestination(f"the emulated Firehose cannot evaluate !{{{namespace}:{argument}}} in a prefix")

    evaluated = EXPRESSION.sub(value, prefix)
    if "!{timestamp:" not in prefix:
        evaluated += now.strftime("%Y/%m/%d/%H/")
    return evaluated


def object_key(destination: dict[str, Any], stream: str, version: str, now: datetime) -> str:
    suffix = ".parquet" if conversion(destination) else ".gz" if compression(destination) == "GZIP" else ""
    return f"{evaluated_prefix(destination.get('Prefix', ''), now)}{_object_name(stream, version, now)}{suffix}"


def error_key(destination: dict[str, Any], stream: str, version: str, now: datetime, error_type: str) -> str:
    """Where records that failed (`error_type`, e.g. format-conversion-failed) go: the error prefix."""
    prefix = evaluated_prefix(destination.get("ErrorOutputPrefix", ""), now, error_type)
    return f"{prefix}{_object_name(stream, version, now)}"


def _object_name(stream: str, version: str, now: datetime) -> str:
    return f"{stream}-{version}-{now.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}"


def conversion(destination: dict[str, Any]) -> dict[str, Any] | None:
    """The destination's record-format conversion, when enabled (JSON -> Parquet by a Glue table)."""
    config = destination.get("DataFormatConversionConfiguration") or {}
    if not config.get("Enabled", True) or not config:
        return None
    if "ParquetSerDe" not in ((config.get("OutputFormatConfiguration") or {}).get("Serializer") or {}):
        raise UnsupportedDestination("the emulated Firehose converts to Parquet only (not ORC)")
    return dict(config)


def timestamp_formats(config: dict[str, Any]) -> list[str]:
    """The deserializer's TimestampFormats (Hive JSON or OpenX SerDe's default: none)."""
    deserializer = (config.get("InputFormatConfiguration") or {}).get("Deserializer") or {}
    return list((deserializer.get("HiveJsonSerDe") or {}).get("TimestampFormats") or [])


def compression(destination: dict[str, Any]) -> str:
    chosen = str(destination.get("CompressionFormat") or "UNCOMPRESSED")
    if chosen not in COMPRESSIONS:
        raise UnsupportedDestination(f"the emulated Firehose delivers {' or '.join(COMPRESSIONS)}, not {chosen}")
    return chosen


def object_body(destination: dict[str, Any], records: list[bytes]) -> bytes:
    """The records concatenated as sent (Firehose adds no delimiter), compressed as the destination says."""
    body = b"".join(records)
    return gzip.compress(body) if compression(destination) == "GZIP" else body


def kms_key(destination: dict[str, Any]) -> str | None:
    """The key the destination names for SSE-KMS; None when NoEncryption (the bucket's default applies)."""
    config = (destination.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}
    return config.get("AWSKMSKeyARN")


def log_target(destination: dict[str, Any]) -> tuple[str, str] | None:
    """(log group, log stream) Firehose logs delivery errors to, when the destination enables logging."""
    options = destination.get("CloudWatchLoggingOptions") or {}
    if not options.get("Enabled") or not options.get("LogGroupName") or not options.get("LogStreamName"):
        return None
    return str(options["LogGroupName"]), str(options["LogStreamName"])


def delivery_error(stream_arn: str, bucket_arn: str, version: str, code: str, message: str) -> str:
    """One CloudWatch Logs event of a failed S3 delivery, in Firehose's error-log shape."""
    return json.dumps(
        {
            "deliveryStreamARN": stream_arn,
            "destination": bucket_arn,
            "deliveryStreamVersionId": int(version),
            "message": message,
            "errorCode": code,
        }
    )
