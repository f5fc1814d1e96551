"""Children that die with their parent, even when the parent is killed by SIGKILL and cleans up nothing.

On Linux the kernel does it: prctl(PR_SET_PDEATHSIG, SIGKILL) in the child between fork and exec (preexec_fn).
The death signal follows the thread that forked, so spawn from a thread that lives as long as the parent (the
main thread): from any other thread die_with_parent() gives None, since a thread that ends before its child
would kill it. Elsewhere (macOS) there is no such call; the child is left to the parent's own cleanup.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _linux_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # Loaded now, in the parent: between fork and exec the child should do as little as possible.
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _linux_prctl()


def _die_with_parent(parent: int) -> Callable[[], None]:
    assert _PRCTL is not None
    prctl = _PRCTL

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the call: the signal will never come
            os._exit(1)

    return preexec


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn for subprocess.Popen that makes the child die when this process does; None where the
    platform has no such guarantee or the caller is not the main thread."""
    if _PRCTL is None or threading.current_thread() is not threading.main_thread():
        return None
    return _die_with_parent(os.getpid())
