"""Which request ids /predict issued, and how many rows each had: what /feedback checks before it stores a
ground truth, so nobody can invent a request id or a row and poison the live quality figures.

One small record per request (not per row), written on the request path before the answer leaves: a caller
can send feedback the moment it has the id. It expires after the capture retention (the captures it would be
joined with are gone by then, so later feedback could not be used anyway). DynamoDB on AWS (its own table,
TTL on `expires_at`, so the feedback table's scans never page through one item per prediction); SQLite
locally (several API processes share one file; created 0600).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

DAY = 86_400
KEY, ROWS, EXPIRES = "request_id", "rows", "expires_at"  # the table (cdk/serving/feedback_store.py)


class IssuedRequests(Protocol):
    def record(self, request_id: str, rows: int) -> None: ...

    def rows(self, request_id: str) -> int | None:
        """The request's row count, or None for an id never issued (or expired)."""
        ...


class DynamoDbIssued:
    """Table with partition key `request_id` (S); `rows` (N); `expires_at` (N, epoch seconds: the table's TTL)."""

    def __init__(self, client: Any, table: str, retention_days: int) -> None:
        self.client, self.table, self.retention = client, table, retention_days * DAY

    def record(self, request_id: str, rows: int) -> None:
        expires = int(time.time()) + self.retention
        item = {KEY: {"S": request_id}, ROWS: {"N": str(rows)}, EXPIRES: {"N": str(expires)}}
        self.client.put_item(TableName=self.table, Item=item)

    def rows(self, request_id: str) -> int | None:
        answer = self.client.get_item(TableName=self.table, Key={KEY: {"S": request_id}}, ConsistentRead=True)
        item = answer.get("Item")
        # TTL deletes within a day or two of expiry, not at it: an expired item still read is refused here.
        if not item or int(item[EXPIRES]["N"]) < time.time():
            return None
        return int(item[ROWS]["N"])


class SqliteIssued:
    """The local store: one SQLite file shared by every API process of `slipstream serve`."""

    def __init__(self, path: str, retention_days: int) -> None:
        self.path, self.retention = Path(path), retention_days * DAY
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))  # private before SQLite opens it
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS issued (request_id TEXT PRIMARY KEY, rows INTEGER, expires_at REAL)")
            db.execute("DELETE FROM issued WHERE expires_at < ?", (time.time(),))  # the local TTL, at start
            self._local.db = db
        return db

    def record(self, request_id: str, rows: int) -> None:
        expires = time.time() + self.retention
        self._db().execute("INSERT OR REPLACE INTO issued VALUES (?, ?, ?)", (request_id, rows, expires))

    def rows(self, request_id: str) -> int | None:
        found = (
            self._db()
            .execute("SELECT rows FROM issued WHERE request_id = ? AND expires_at >= ?", (request_id, time.time()))
            .fetchone()
        )
        return None if found is None else int(found[0])
