"""Where captured predictions and feedback go: AWS services on AWS, JSON Lines files locally.

Each sink has one method, `put(records)`. Which one is used is decided by the typed environment
(see service.build_service), never by checking where the code runs.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

FIREHOSE_BATCH = 500  # PutRecordBatch's limit


class Sink(Protocol):
    def put(self, records: list[dict[str, Any]]) -> None: ...


class JsonLinesSink:
    """Appends one JSON object per line; a lock keeps lines whole when several threads write."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def put(self, records: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(record, allow_nan=False) + "\n" for record in records)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(text)


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
