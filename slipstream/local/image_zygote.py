"""Image-Python jobs forked from a preloaded interpreter instead of each importing numpy, pandas, scipy and
scikit-learn afresh (about 1.3 s of CPU per process).

job_env(env) is all a caller does: the environment it returns names a zygote (zygote_server.py, on the image's
interpreter) whose import-time environment is env's, started lazily, one per such environment and per process
(a pytest worker reuses it across tests), restarted if it died, closed at exit. The command still starts as
before (subprocess.run, same capture, timeout and kill); the image environment's hook hands its work to the
zygote, which forks it (zygote_launcher.py says what a forked job shares with its siblings). Every image
interpreter the job starts in turn (the toolkit's train.py) does the same.

SLIPSTREAM_ZYGOTES=<folder> (`shared_folder()` of another process) lends that process's zygotes to this one: a
job whose environment one of them serves forks from it instead of this process starting its own. For trees of
runs, such as a test worker starting `slipstream run` processes; the lender's zygotes end with the lender, so
only a process that outlives the borrower may lend, and every stand-in of ours dies with its caller
(die_with_parent), so a borrower killed outright still takes its jobs along.

Two kinds: JOBS (training and evaluation jobs, helpers) and SERVING (model containers' gunicorn: that zygote
monkey-patches with gevent before its preloads, as the image's gevent workers do before the app imports anything,
so a forked model server holds the same gevent locks, thread-locals and sleeps as a plain one).

SLIPSTREAM_ZYGOTE=0 restores plain processes. Without Linux, a built hook or a ready zygote, jobs run plainly.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from slipstream.local.image_env import image_python, zygote_hook
from slipstream.local.parent_death import die_with_parent
from slipstream.local.zygote_launcher import ENV_SOCKET, import_signature

SWITCH = "SLIPSTREAM_ZYGOTE"
LENT = "SLIPSTREAM_ZYGOTES"
SERVER = Path(__file__).resolve().parent / "zygote_server.py"
# What the jobs import (training/, the toolkit's script runner); each costs the zygote once, not every job. Not the
# toolkits themselves (sagemaker_training, sagemaker_containers): they read SAGEMAKER_BASE_DIR and other per-job
# paths at import. Their generic dependencies (boto3, paramiko: ~0.35 s per toolkit process) read at most
# BOTO_*/INVOKE_*/CRYPTOGRAPHY_* at import, which import_signature compares.
JOBS, SERVING = "jobs", "serving"
JOB_PRELOADS = (
    "numpy", "pandas", "pyarrow", "pyarrow.parquet", "scipy.stats", "sklearn", "sklearn.base", "sklearn.pipeline",
    "sklearn.compose", "sklearn.preprocessing", "sklearn.impute", "sklearn.linear_model", "sklearn.ensemble",
    "sklearn.model_selection", "sklearn.metrics", "sklearn.inspection", "joblib", "asyncio", "argparse", "logging",
    "boto3", "paramiko",
)  # fmt: skip
# The model servers', imported after gevent's patching (zygote_server.py --gevent): what the serving toolkit and
# inference code import, but not the toolkit itself (sagemaker_containers reads SAGEMAKER_BASE_DIR at import),
# gunicorn (its config takes the working folder as the default --chdir at import) or pkg_resources (it lists the
# distributions on sys.path at import, and the worker puts the code folder there first).
SERVING_PRELOADS = (
    "numpy", "pandas", "scipy.stats", "sklearn", "sklearn.base", "sklearn.pipeline", "sklearn.compose",
    "sklearn.preprocessing", "sklearn.impute", "sklearn.linear_model", "sklearn.ensemble", "joblib", "flask",
    "werkzeug", "jinja2", "boto3", "paramiko", "yaml", "retrying",
)  # fmt: skip
PRELOADS = {JOBS: JOB_PRELOADS, SERVING: SERVING_PRELOADS}
READY_SECONDS = 120.0  # the preloads on a loaded 2-core machine take seconds; a zygote never ready is not used


@dataclass
class _Zygote:
    process: subprocess.Popen[str]
    socket_path: str


_lock = threading.Lock()
_zygotes: dict[str, _Zygote] = {}
_failed: set[str] = set()
_folder: list[Path] = []


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0" and sys.platform.startswith("linux") and zygote_hook().is_file()


def job_env(env: dict[str, str], kind: str = JOBS) -> dict[str, str]:
    """`env`, naming a ready zygote of `kind` for it when there is one (else unchanged: a plain process)."""
    if not enabled():
        return env
    key = json.dumps([kind, sorted(import_signature(env).items())])
    with _lock:
        zygote = _zygotes.get(key)
        if zygote is None or zygote.process.poll() is not None:
            lent = _lent(key)
            if lent:
                return {**env, ENV_SOCKET: lent}
            zygote = None if key in _failed else _start(key, env, kind)
    return env if zygote is None else {**env, ENV_SOCKET: zygote.socket_path}


def shared_folder() -> Path:
    """This process's zygote sockets, for SLIPSTREAM_ZYGOTES in the environment of processes it outlives."""
    return _private_folder()


def _socket_name(key: str) -> str:
    return f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.sock"


def _lent(key: str) -> str | None:
    """The lender's live zygote for `key`, if any (its socket is gone once the lender closed it or ended)."""
    folder = os.environ.get(LENT, "")
    if not folder or (_folder and Path(folder) == _folder[0]):
        return None
    socket_path = Path(folder) / _socket_name(key)
    return str(socket_path) if socket_path.is_socket() else None


def _private_folder() -> Path:
    if not _folder:
        _folder.append(Path(tempfile.mkdtemp(prefix="slipstream-zygote-")))  # 0700: no other user connects
        atexit.register(close)
    return _folder[0]


def _start(key: str, env: dict[str, str], kind: str) -> _Zygote | None:
    folder = _private_folder()
    socket_path = str(folder / _socket_name(key))  # by signature: a borrower finds it (_lent)
    Path(socket_path).unlink(missing_ok=True)
    zygote_env = {**import_signature(env), "PATH": env.get("PATH", "/usr/bin:/bin"), "HOME": str(folder)}
    patched = ["--gevent"] if kind == SERVING else []
    with (folder / "zygote.log").open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(image_python()), str(SERVER), socket_path, *patched, *PRELOADS[kind]],
            stdin=subprocess.PIPE,  # its end of the pipe closing (this process exiting, however) ends the zygote
            stdout=subprocess.PIPE,
            stderr=log,
            env=zygote_env,
            cwd=folder,
            text=True,
            preexec_fn=die_with_parent(),
        )
    if not _ready(process):
        _stop(process)
        _failed.add(key)
        return None
    _zygotes[key] = _Zygote(process, socket_path)
    return _zygotes[key]


def _ready(process: subprocess.Popen[str]) -> bool:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(READY_SECONDS):
            return False
    line = process.stdout.readline()
    # A Python thread started by a preload would not survive the fork (its locks might): such a zygote is unused.
    return line.startswith("{") and json.loads(line).get("python_threads") == 1


def _stop(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def close() -> None:
    """End every zygote of this process (and the jobs still running in them)."""
    with _lock:
        for zygote in _zygotes.values():
            _stop(zygote.process)
        _zygotes.clear()
        _failed.clear()
        for folder in _folder:
            shutil.rmtree(folder, ignore_errors=True)  # its log and sockets; a later job makes a new one
        _folder.clear()
