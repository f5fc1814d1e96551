"""A whole-request deadline for reading a body: a client trickling a byte every few seconds never trips the
socket's per-read timeout, so the body is read against a clock as well (API Gateway, like any proxy, bounds the
whole request, not only the pauses in it)."""

from __future__ import annotations

import socket
import time
from typing import Protocol


class RequestDeadline(TimeoutError):
    """The request took longer than its deadline to arrive (however steadily it trickled)."""


class _Buffered(Protocol):
    def read1(self, size: int = ..., /) -> bytes: ...


class DeadlineReader:
    """`read(n)` as a buffered socket file's, but raising TimeoutError at a pause over `pause` seconds and
    RequestDeadline once `deadline` (a time.monotonic() value) passes."""

    def __init__(self, connection: socket.socket, rfile: _Buffered, deadline: float, pause: float) -> None:
        self._connection, self._rfile = connection, rfile
        self.deadline, self.pause = deadline, pause

    def read(self, size: int = -1, /) -> bytes:
        assert size >= 0, "a body is read by its Content-Length"
        parts, got = [], 0
        while got < size:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise RequestDeadline(f"{got} bytes arrived before the deadline")
            # A pause timeout that lands on the deadline is the deadline, not a pause: say the truer reason.
            self._connection.settimeout(min(self.pause, left))
            try:
                chunk = self._rfile.read1(size - got)
            except TimeoutError:
                if self.deadline - time.monotonic() <= 0:
                    raise RequestDeadline(f"{got} bytes arrived before the deadline") from None
                raise
            if not chunk:
                break  # the client closed: the caller sees a short body
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)
