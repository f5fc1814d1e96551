"""A job forked from the image zygote behaves like the plain process it replaces: the same job run both ways
(SLIPSTREAM_ZYGOTE=0 and on) gives the same exit status, streams and files; the zygote's children die with
whoever waits for them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from slipstream.local import image_zygote
from slipstream.local.image_env import image_python
from slipstream.local.zygote_launcher import ENV_SOCKET

DEADLINE = 30.0
# Prints everything a job observes of its start; "preloaded" goes to a side file (the one intended difference).
JOB = r"""
import json, os, sys
preloaded = "pandas" in sys.modules
import numpy, joblib, threadpoolctl  # like every image job, one that imports what sets KMP_* by setdefault
with open(os.path.join(os.environ["OUT"], "preloaded"), "w") as side:
    side.write(str(preloaded))
main = sys.modules["__main__"]
seen = {
    "argv": sys.argv, "orig_argv": sys.orig_argv[1:], "executable": sys.executable, "cwd": os.getcwd(),
    "path": sys.path, "env": {k: v for k, v in os.environ.items() if k != "SLIPSTREAM_ZYGOTE_SOCKET"},
    "main": [__name__, main.__dict__.get("__file__"), str(getattr(__spec__, "origin", None)), sorted(vars(main))],
    "stdin": sys.stdin.read(),
    "blas": [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if "numpy" in pool["filepath"]],
    "product": float((numpy.arange(64.0).reshape(8, 8) @ numpy.ones((8, 8))).sum()),
}
print(json.dumps(seen, sort_keys=True))
print("to stderr", file=sys.stderr)
with open(os.path.join(os.environ["OUT"], "written.bin"), "wb") as out:
    out.write(bytes(range(256)))
how = os.environ.get("HOW", "")
if how == "reason":
    open(os.path.join(os.environ["OUT"], "failure"), "w").write("the data has no target column")
    sys.exit(2)
if how == "raise":
    raise ValueError("an uncaught exception")
if how == "signal":
    os.kill(os.getpid(), 15)
if how == "message":
    sys.exit("a message instead of a code")
"""


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("zygote-job")
    (folder / "job.py").write_text(JOB, encoding="utf-8")
    (folder / "jobmodule.py").write_text(JOB, encoding="utf-8")
    return folder


def _env(out: Path, **extra: str) -> dict[str, str]:
    # The image's locale: without one, the interpreter coerces it and a nested interpreter sees other flags.
    path = f"{image_python().parent}:/usr/bin:/bin"
    return {"PATH": path, "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "OUT": str(out), **extra}


def _run(command: list[str], cwd: Path, out: Path, forked: bool, **extra: str) -> subprocess.CompletedProcess[str]:
    out.mkdir(parents=True)
    env = image_zygote.job_env(_env(out, **extra)) if forked else _env(out, **extra)
    assert (ENV_SOCKET in env) is forked
    return subprocess.run(command, cwd=cwd, env=env, input="on stdin", capture_output=True, text=True, check=False)


def _outputs(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.name != "preloaded"}


def _preloaded(folder: Path) -> bool:
    return (folder / "preloaded").read_text() == "True"


@pytest.mark.parametrize(
    ("how", "mode", "extra"),
    [
        ("", "script", {}),
        ("reason", "script", {}),
        ("raise", "script", {}),
        ("signal", "script", {}),
        ("message", "module", {}),
        ("", "command", {"OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": "/nowhere"}),
    ],
)
def test_a_job_forked_from_the_zygote_matches_the_plain_process(
    job: Path, tmp_path: Path, how: str, mode: str, extra: dict[str, str]
) -> None:
    python = str(image_python().parent / "python3")
    command = {"script": [python, "job.py", "an argument"], "module": [python, "-m", "jobmodule", "x"]}.get(
        mode, [python, "-c", JOB, "y"]
    )
    plain = _run(command, job, tmp_path / "plain", False, HOW=how, **extra)
    forked = _run(command, job, tmp_path / "forked", True, HOW=how, **extra)
    expected = {"": 0, "reason": 2, "raise": 1, "signal": -signal.SIGTERM, "message": 1}[how]
    assert (plain.returncode, forked.returncode) == (expected, expected), plain.stderr
    same = {str(tmp_path / "forked"): str(tmp_path / "plain")}.popitem()
    seen, expected_seen = json.loads(forked.stdout.replace(*same)), json.loads(plain.stdout)
    assert {name: (value, expected_seen[name]) for name, value in seen.items() if value != expected_seen[name]} == {}
    assert forked.stdout.replace(*same) == plain.stdout
    assert forked.stderr.replace(*same) == plain.stderr
    assert _outputs(tmp_path / "forked") == _outputs(tmp_path / "plain")
    assert (_preloaded(tmp_path / "plain"), _preloaded(tmp_path / "forked")) == (False, True)


def test_a_job_whose_import_time_environment_differs_runs_plainly(job: Path, tmp_path: Path) -> None:
    # The nested interpreter asks the same zygote (its socket is inherited) with another OMP_NUM_THREADS.
    nested = (
        "import os, subprocess, sys; changed = dict(a.split('=') for a in sys.argv[1:]); "
        "subprocess.run([sys.executable, 'job.py'], env={**os.environ, **changed}, check=True)"
    )
    python = str(image_python())
    done = _run([python, "-c", nested, "OMP_NUM_THREADS=3", f"OUT={tmp_path / 'out'}"], job, tmp_path / "out", True)
    assert done.returncode == 0, done.stderr
    assert not _preloaded(tmp_path / "out")  # declined, started as a plain process
    same = _run([python, "-c", nested, f"OUT={tmp_path / 'same'}"], job, tmp_path / "same", True)
    assert same.returncode == 0 and _preloaded(tmp_path / "same")  # the toolkit's case: train.py forks too


def _poll(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"waited {DEADLINE}s for {what}"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


SLEEPER = (
    "import os, sys, time; open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid())); "
    "os.rename(sys.argv[1] + '.tmp', sys.argv[1]); time.sleep(600)"
)


def test_killing_the_waiting_process_kills_its_forked_job(tmp_path: Path) -> None:
    env = image_zygote.job_env(_env(tmp_path))
    pid_file = tmp_path / "pid"
    stand_in = subprocess.Popen([str(image_python()), "-c", SLEEPER, str(pid_file)], env=env)
    _poll(pid_file.exists, "the forked job to write its pid")
    child = int(pid_file.read_text())
    assert child != stand_in.pid  # it runs in the zygote's fork, not in the process we started
    stand_in.kill()  # what subprocess.run's timeout does
    stand_in.wait()
    _poll(lambda: not _alive(child), f"the forked job {child} to die with its stand-in")


@pytest.mark.parametrize("borrowed", [False, True], ids=["own-zygote", "borrowed-zygote"])
def test_a_caller_killed_with_sigkill_leaves_no_forked_job(tmp_path: Path, borrowed: bool) -> None:
    """Its own zygote dies with it; a zygote lent by this process (SLIPSTREAM_ZYGOTES) outlives it, and the
    stand-in, started as ours are (die_with_parent), takes the job along."""
    pid_file = tmp_path / "pid"
    env = {k: v for k, v in os.environ.items() if k != image_zygote.LENT}
    if borrowed:
        lender = image_zygote.job_env(_env(tmp_path))[ENV_SOCKET]
        env[image_zygote.LENT] = str(image_zygote.shared_folder())
    caller = (
        "import os, signal, subprocess, sys, time\n"
        "from slipstream.local import image_zygote\n"
        "from slipstream.local.image_env import image_python\n"
        "from slipstream.local.parent_death import die_with_parent\n"
        f"env = image_zygote.job_env({_env(tmp_path)!r})\n"
        f"print(env.get({ENV_SOCKET!r}), flush=True)\n"
        f"subprocess.Popen([str(image_python()), '-c', {SLEEPER!r}, {str(pid_file)!r}], env=env"
        f"{', preexec_fn=die_with_parent()' if borrowed else ''})\n"
        f"while not os.path.exists({str(pid_file)!r}): time.sleep(0.05)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", caller], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (done.stdout.strip() == lender) if borrowed else (done.stdout.strip() not in ("", "None")), done.stdout
    child = int(pid_file.read_text())
    _poll(lambda: not _alive(child), f"the forked job {child} to die with the run that was killed")


def test_the_off_switch_restores_plain_processes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(image_zygote.SWITCH, "0")
    assert image_zygote.job_env(_env(tmp_path)) == _env(tmp_path)


def test_a_zygote_that_died_is_restarted(tmp_path: Path) -> None:
    env = image_zygote.job_env(_env(tmp_path))
    zygote = next(z for z in image_zygote._zygotes.values() if z.socket_path == env[ENV_SOCKET])
    os.kill(zygote.process.pid, signal.SIGKILL)
    zygote.process.wait()
    again = image_zygote.job_env(_env(tmp_path / "again"))
    restarted = next(z for z in image_zygote._zygotes.values() if z.socket_path == again[ENV_SOCKET])
    done = _run([str(image_python()), "-c", JOB], tmp_path, tmp_path / "out", True)
    assert restarted.process.pid != zygote.process.pid and restarted.process.poll() is None
    assert done.returncode == 0 and _preloaded(tmp_path / "out")


# A model server program that answers with what its gunicorn worker observes ("preloaded": forked from a zygote).
# The gevent facts: locks, thread-locals (scikit-learn's config_context keeps its settings in one), sleeps and
# sockets are gevent's in a gevent worker, also in the libraries a zygote imported before the fork; logging's
# module lock is the one exception either way (logging is imported before any patching, by gunicorn itself).
SERVING_PROGRAM = r"""
import json, logging, os, socket, sys, threading, time
import numpy, sklearn, sklearn._config, threadpoolctl  # every model server imports scikit-learn for its model

def model_fn(model_dir):
    return sorted(os.listdir(model_dir))

def _kind(value):
    return f"{type(value).__module__}.{type(value).__qualname__}"

def transform_fn(model, body, content_type, accept):
    seen = {
        "model": model, "body": body.decode() if isinstance(body, bytes) else body, "cwd": os.getcwd(),
        "env": {k: v for k, v in os.environ.items() if k != "SLIPSTREAM_ZYGOTE_SOCKET"},
        "blas": [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if "numpy" in pool["filepath"]],
        "product": float((numpy.arange(64.0).reshape(8, 8) @ numpy.ones((8, 8))).sum()),
        "preloaded": "pandas" in sys.modules,
        "sklearn_config_local": _kind(sklearn._config._threadlocal),
        "new_lock": _kind(threading.Lock()), "new_local": _kind(threading.local()),
        "logging_lock": _kind(logging._lock), "sleep": time.sleep.__module__, "socket": socket.socket.__module__,
        "get_ident": threading.get_ident.__module__,
    }
    return json.dumps(seen, sort_keys=True), "application/json"
"""


def _model_server_answer(base: Path) -> dict:
    from slipstream.local.serving.container import ModelContainer

    (base / "code").mkdir(parents=True)
    (base / "model").mkdir()
    (base / "code" / "serve_probe.py").write_text(SERVING_PROGRAM, encoding="utf-8")
    (base / "model" / "model.joblib").write_bytes(b"")
    container = ModelContainer(base, {"SAGEMAKER_PROGRAM": "serve_probe.py"}).start()
    try:
        container.wait_ready(timeout=120)
        answer = container.invoke(b"[[1, 2]]", {"Content-Type": "application/json"}, timeout=30)
    finally:
        container.stop()
    assert answer.status == 200, answer
    return json.loads(answer.body)


def test_a_model_server_forked_from_its_zygote_sees_what_a_plain_one_sees(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """gunicorn's gevent workers monkey-patch before the app imports numpy, pandas and scikit-learn, as in the
    image; forked from the model servers' zygote (which patched before its preloads) a worker holds the same
    gevent locks, thread-locals and sleeps, and sees the same environment, folders and thread counts."""
    forked = _model_server_answer(tmp_path / "forked")
    monkeypatch.setenv(image_zygote.SWITCH, "0")
    plain = _model_server_answer(tmp_path / "plain")
    assert forked.pop("preloaded") is True and plain.pop("preloaded") is False
    for seen, name in ((forked, "forked"), (plain, "plain")):  # each ran in its own folder
        assert seen.pop("cwd") == str(tmp_path / name)
        seen["env"] = {k: v.replace(str(tmp_path / name), "<base>") for k, v in seen["env"].items()}
    assert forked == plain
    assert forked["model"] == ["model.joblib"] and forked["blas"] == [1]  # the container's OMP_NUM_THREADS=1
    assert forked["sklearn_config_local"].startswith("gevent") and forked["sleep"].startswith("gevent"), forked
