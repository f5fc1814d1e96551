"""The image side of the zygote (slipstream/local/image_zygote.py): standard library only, Python 3.10.

Two roles in one file, both on the image's interpreter. `python zygote_launcher.py SOCKET MODULE...` is the
zygote: it imports the heavy libraries the jobs use, then forks one child per request on SOCKET and runs the
request's `-c`/`-m`/script there. The image environment's `_slipstream_zygote.pth` calls divert() in every
interpreter it starts: when the environment names a zygote (ENV_SOCKET) the new interpreter, still inside
site.py, hands its command line, cwd, environment and fds 0-2 to the zygote, waits, and exits exactly as the
forked child did (code or signal). Any process of the job's tree diverts (the toolkit's train.py, an
`exec python3 evaluate.py` behind /bin/sh); a command the zygote cannot run exactly is declined and the
interpreter simply carries on starting, as a plain process.

What a forked child shares with its siblings, and why no result can change: the preloaded modules' import-time
state (computed from an environment equal, in every variable a library reads at import, to the job's own:
import_signature(); a job whose signature or interpreter options differ is declined), the str hash secret (a
fresh process draws a random one unless PYTHONHASHSEED, part of the signature, fixes it: a shared draw is still
a legal draw), and copy-on-write memory. The global random generators (random, numpy.random) are reseeded from
the OS in each child, as a fresh process seeds them; tempfile's cached folder is reset; the signal handlers
are Python's own. The zygote runs no Python thread; the native ones the libraries start at import (OpenBLAS's
pool, pyarrow's jemalloc background thread) are stopped and restarted around fork() by the libraries' own
pthread_atfork handlers, and a child's BLAS uses the thread count its environment sets (a test). The
environment is the job's, plus what the preloads set by os.environ.setdefault at import (KMP_DUPLICATE_LIB_OK
and KMP_INIT_AT_FORK: scikit-learn, joblib, threadpoolctl), as every image job that imports them sets it too.
Everything else (argv, orig_argv, executable, cwd, sys.path, __main__, stdio fds, exit status) is the job's.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

ENV_SOCKET = "SLIPSTREAM_ZYGOTE_SOCKET"
_PREFIXES = (
    "PYTHON", "OMP_", "OPENBLAS", "GOTO", "MKL_", "BLIS_", "VECLIB", "NUMEXPR_", "NUMBA_", "NPY_", "NUMPY_", "SCIPY_",
    "SKLEARN_", "JOBLIB_", "LOKY_", "PANDAS_", "ARROW_", "PYARROW_", "LD_", "MALLOC_", "GLIBC_", "KMP_", "LC_",
    "BOTO_", "INVOKE_", "CRYPTOGRAPHY_", "OPENSSL_",
)  # fmt: skip
_NAMES = ("LANG", "TZ", "TMPDIR", "TEMP", "TMP")
_MAX_MESSAGE = 1 << 20
_tried = False


def import_signature(env: dict[str, str]) -> dict[str, str]:
    """The variables a preloaded library (or the interpreter) may read at import; PYTHONPATH is per job."""
    return {
        name: value
        for name, value in env.items()
        if (name.startswith(_PREFIXES) or name in _NAMES) and name != "PYTHONPATH"
    }


def _interpreter_state() -> list[object]:
    return [list(sys.flags), sys.warnoptions, sorted(sys._xoptions.items()), sys.executable]


def _parse(orig_argv: list[str]) -> dict[str, str] | None:
    """What the interpreter runs: {"c": code} | {"m": module} | {"path": script}; None when unsure."""
    args = iter(orig_argv[1:])
    for arg in args:
        if arg in ("-c", "-m"):
            return {arg[1]: next(args, "")}
        if arg in ("-W", "-X"):
            next(args, None)  # compared through sys.warnoptions / sys._xoptions
        elif arg.startswith("-") and arg != "-" and not arg.startswith("--") and arg[1:].isalpha() and "c" not in arg:
            continue  # flags (-u, -B, -E...), compared through sys.flags; -m/-c glued to others are declined
        elif arg.startswith("-"):
            return None
        else:
            return {"path": arg}
    return None


def divert() -> None:
    """Called from site.py (the .pth) in every image interpreter; returns only when the job runs here."""
    global _tried
    if _tried:
        return
    _tried = True
    target = _parse(list(sys.orig_argv))
    if target is None or not os.environ.get(ENV_SOCKET):
        return
    try:
        fds = [os.dup(fd) for fd in (0, 1, 2)]
    except OSError:
        return  # a closed stdio fd: only a plain process reproduces that
    request = {
        "target": target, "argv": sys.argv[1:], "orig_argv": list(sys.orig_argv), "cwd": os.getcwd(),
        "env": dict(os.environ), "state": _interpreter_state(),
    }  # fmt: skip
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        conn.connect(os.environ[ENV_SOCKET])
        socket.send_fds(conn, [json.dumps(request).encode()], fds)
        reply = json.loads(conn.recv(_MAX_MESSAGE) or b"{}")
    except (OSError, ValueError):
        reply = {}
    finally:
        for fd in fds:
            os.close(fd)
    if "pid" not in reply:
        conn.close()
        return  # declined or no zygote: start as a plain process
    _relay(conn, reply["pid"])


def _relay(conn: socket.socket, pid: int) -> None:
    """Stand in for the child: forward signals to it, then end as it ended. Never returns: the job ran."""
    try:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(signum, lambda received, _frame: os.kill(pid, received))
        status = _status(conn)
        if os.WIFSIGNALED(status):
            death = os.WTERMSIG(status)
            if death not in (signal.SIGKILL, signal.SIGSTOP):  # the two whose disposition cannot be set
                signal.signal(death, signal.SIG_DFL)
            os.kill(os.getpid(), death)
        code = os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1
    except BaseException:  # e.g. a second ^C while waiting: the child got it too
        code = 1
    os._exit(code)


def _status(conn: socket.socket) -> int:
    """The child's wait status; a zygote gone without one took its children with it (SIGKILL)."""
    while True:
        try:
            message = conn.recv(_MAX_MESSAGE)
        except InterruptedError:
            continue
        except OSError:
            message = b""
        return int(json.loads(message)["status"]) if message else signal.SIGKILL
