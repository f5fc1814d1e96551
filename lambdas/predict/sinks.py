"""Where captured predictions and feedback go: AWS services on AWS, JSON Lines files locally.

Each sink has one method, `put(records)`. Which one is used is decided by the typed environment
(see service.build_service), never by checking where the code runs.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

FIREHOSE_BATCH = 500  # PutRecordBatch's limit


class Sink(Protocol):
    def put(self, records: list[dict[str, Any]]) -> None: ...


class JsonLinesSink:
    """Appends one JSON object per line; a lock keeps lines whole when several threads write.

    Bounded and private, as S3 keeps the AWS capture: the file is created 0600 in a 0700 folder (feature
    values are the caller's data); it is rotated to `<stem>.<UTC time>.jsonl` beside it once it would pass
    `max_bytes` or on the first write of a new UTC day, and rotated files older than `retention_days` (the
    stage's capture_retention_days, the S3 lifecycle's) are deleted. Readers glob `<stem>*.jsonl`
    (slipstream/local/monitoring/sources.py). Several API processes append to one file: a rotation another
    process did first is simply followed (the next write creates the file again).
    """

    def __init__(self, path: str, max_bytes: int = 64 * 1024 * 1024, retention_days: int | None = None) -> None:
        self.path = Path(path)
        self.max_bytes, self.retention_days = max_bytes, retention_days
        self._lock = threading.Lock()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.path.exists():
            self.path.chmod(0o600)  # a file written before files were private
        self._expire()

    def put(self, records: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(record, allow_nan=False) + "\n" for record in records).encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._rotate_if_due(len(text))
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(descriptor, text)
            finally:
                os.close(descriptor)

    def rotated(self) -> list[Path]:
        return sorted(self.path.parent.glob(f"{self.path.stem}.*{self.path.suffix}"))

    def _rotate_if_due(self, adding: int) -> None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return
        today = datetime.now(UTC).date()
        written = datetime.fromtimestamp(info.st_mtime, UTC).date()
        if info.st_size and (info.st_size + adding > self.max_bytes or written < today):
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            try:
                self.path.rename(self.path.with_name(f"{self.path.stem}.{stamp}{self.path.suffix}"))
            except FileNotFoundError:  # another API process rotated it a moment ago
                return
            self._expire()

    def _expire(self) -> None:
        if self.retention_days is None:
            return
        oldest = time.time() - self.retention_days * 86_400
        for path in self.rotated():
            try:
                if path.stat().st_mtime < oldest:
                    path.unlink()
            except FileNotFoundError:
                continue


class FirehoseSink:
    """Kinesis Data Firehose delivery stream (it batches into S3); newline-delimited so Athena can read it."""

    def __init__(self, client: Any, stream: str) -> None:
        self.client, self.stream = client, stream

    def put(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), FIREHOSE_BATCH):
            chunk = [
                {"Data": (json.dumps(r, allow_nan=False) + "\n").encode()}
                for r in records[start : start + FIREHOSE_BATCH]
            ]
            if len(chunk) == 1:
                self.client.put_record(DeliveryStreamName=self.stream, Record=chunk[0])
                continue
            answer = self.client.put_record_batch(DeliveryStreamName=self.stream, Records=chunk)
            if answer.get("FailedPutCount"):
                raise RuntimeError(f"Firehose refused {answer['FailedPutCount']} of {len(chunk)} records")


class EverySink:
    """Each record to every sink, in order: feedback goes to DynamoDB (what the drift Lambda reads) and then to
    the warehouse's stream. A failing sink raises, so the caller answers an error and may send it again
    (a DynamoDB put of the same key is idempotent; the warehouse may then hold the row twice)."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks = sinks

    def put(self, records: list[dict[str, Any]]) -> None:
        for sink in self.sinks:
            sink.put(records)


class DynamoDbSink:
    """Feedback table: partition key `request_id` (S), sort key `row` (N)."""

    def __init__(self, client: Any, table: str) -> None:
        self.client, self.table = client, table

    def put(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.client.put_item(TableName=self.table, Item={k: _attribute(v) for k, v in record.items()})


def _attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(Decimal(str(value)))}
    if value is None:
        return {"NULL": True}
    return {"S": value if isinstance(value, str) else json.dumps(value)}
