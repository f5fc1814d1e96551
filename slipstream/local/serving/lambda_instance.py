"""One Lambda instance behind the local API Gateway: one invocation at a time, and API Gateway's integration
timeout around each request.

The invocation runs on the thread of the connection that asked for it (a lock makes it one at a time, as a
Lambda instance is), so a request costs no hand-off to another thread and back: at concurrency 1 that
hand-off (two thread wake-ups and GIL transfers per request) was a tenth of the front's CPU per request
(docs/performance.md). A request waits for the instance within its own deadline; one still running at its
deadline gets API Gateway's 504 from a watchdog thread, and the function runs on to its end, as on AWS
(the next request waits for it, as it would wait for a free instance).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

POLL = 0.05  # seconds between the watchdog's looks: a 504 comes at most this late


@dataclass(eq=False)
class _Invocation:
    deadline: float  # time.monotonic()
    on_timeout: Callable[[], None]
    _settled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def settle(self) -> bool:
        """True for the first caller only: the function's result and the 504 never both answer a request."""
        with self._lock:
            first, self._settled = not self._settled, True
            return first


class LambdaInstance:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._busy = threading.Lock()
        self._current: _Invocation | None = None
        threading.Thread(target=self._watch, name="integration-timeout", daemon=True).start()

    def invoke(self, function: Callable[[], Any], on_timeout: Callable[[], None]) -> tuple[bool, Any]:
        """(True, the function's result), or (False, None) once the request timed out: `on_timeout` answered it
        (here when the instance stayed busy past the deadline, else from the watchdog). The function's exception
        propagates unless the request had timed out already."""
        invocation = _Invocation(time.monotonic() + self.timeout, on_timeout)
        if not self._busy.acquire(timeout=self.timeout):
            invocation.settle()
            on_timeout()
            return False, None
        self._current = invocation
        try:
            result = function()
        except Exception:
            if invocation.settle():
                raise
            return False, None  # it failed after its 504: nobody to tell, as API Gateway had answered
        finally:
            self._current = None
            self._busy.release()
        return (True, result) if invocation.settle() else (False, None)

    def _watch(self) -> None:
        while True:
            current = self._current
            if current is not None and current.deadline <= time.monotonic() and current.settle():
                with contextlib.suppress(OSError):  # the caller is gone: nobody to answer
                    current.on_timeout()
            left = POLL if current is None else current.deadline - time.monotonic()
            time.sleep(left if 0 < left < POLL else POLL)
