"""JSON documents the API reads by URI: the data contract (once) and the deployment record (cached with a TTL).

`s3://bucket/key` on AWS, `file:///path` locally: the same code reads both, so nothing here is local-only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import unquote, urlparse

from lambdas.common.s3uri import split_s3_uri

T = TypeVar("T")


def read_json(uri: str, s3: Callable[[], Any]) -> Any:
    """The document at `uri`; `s3` returns an S3 client and is only called for s3:// URIs."""
    if uri.startswith("s3://"):
        bucket, key = split_s3_uri(uri)
        return json.loads(s3().get_object(Bucket=bucket, Key=key)["Body"].read())
    if uri.startswith("file://"):
        return json.loads(Path(unquote(urlparse(uri).path)).read_text(encoding="utf-8"))
    raise ValueError(f"expected an s3:// or file:// URI, got {uri!r}")


class CachedDocument(Generic[T]):
    """Re-reads a document at most every `ttl` seconds, so a new deployment shows up without a cold start.

    `parse` turns the JSON into its typed document (e.g. DeploymentRecord.model_validate). A failed refresh,
    a document that does not parse included, keeps the last good copy (the API keeps answering on the
    champion); with no copy at all the document reads as `default`.
    """

    def __init__(
        self,
        uri: str | None,
        ttl: float,
        s3: Callable[[], Any],
        parse: Callable[[Any], T],
        default: T | None = None,
    ) -> None:
        self._uri, self._ttl, self._s3, self._parse, self._default = uri, ttl, s3, parse, default
        self._value, self._loaded_at = default, -float("inf")
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def get(self) -> T | None:
        if self._uri is None:
            return self._default
        now = time.monotonic()
        if now - self._loaded_at < self._ttl:
            return self._value
        with self._lock:
            if now - self._loaded_at >= self._ttl:
                try:
                    self._value, self.last_error = self._parse(read_json(self._uri, self._s3)), None
                except Exception as error:  # a missing or broken document must not break predictions
                    self.last_error = f"{type(error).__name__}: {error}"
                self._loaded_at = now
        return self._value
