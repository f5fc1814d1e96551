"""One hosted model as the scikit-learn image hosts it: gunicorn running the image's serving module.

A ModelContainer is one process on the image's interpreter and pinned libraries (`image_python()`):
gunicorn with gevent workers, as the image's `serve` starts it, minus nginx, bound to a unix socket as in
the image (sagemaker_containers' UNIX_SOCKET_BIND, which its nginx proxies to) in a private temporary
folder (a socket path must stay under ~100 bytes, which the state folder's need not). The layout is the
container's: SAGEMAKER_BASE_DIR=<base>, the model in <base>/model, the submit directory (the sourcedir the
CreateModel environment names) in <base>/code and on the workers' path, so the toolkit imports
SAGEMAKER_PROGRAM from it without pip-installing anything. The laptop side only speaks HTTP to it: no model
file is ever opened here. gunicorn starts as image jobs do (image_zygote.job_env), forked from the model servers'
zygote when one serves this environment: that zygote monkey-patched threading, time and socket with gevent
before it imported numpy, pandas and scikit-learn, as the image's gevent workers do before the app imports
anything, so the locks, thread-locals and sleeps the libraries hold are gevent's either way.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from slipstream.image import SKLEARN_IMAGE
from slipstream.local import image_zygote
from slipstream.local.image_env import image_python
from slipstream.local.parent_death import die_with_parent

SERVING_MODULE = SKLEARN_IMAGE.environment["SAGEMAKER_SERVING_MODULE"]  # what its `serve` hands gunicorn
# The image's ENV lines (docker/1.4-2/final/Dockerfile.cpu) that matter to serving.
IMAGE_ENV = {**SKLEARN_IMAGE.process_environment, "SAGEMAKER_SERVING_MODULE": SERVING_MODULE}
MODEL_SERVER_TIMEOUT = 60  # gunicorn --timeout, the toolkit's SAGEMAKER_MODEL_SERVER_TIMEOUT default


class UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket, as the image's nginx reaches gunicorn (no TCP handshake, no port to collide)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class ModelUnreachable(Exception):
    """Nothing listens on the container's socket (it exited, or its endpoint server is gone)."""


def invoke_socket(socket_path: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST /invocations on a new connection, as the image's nginx proxies each request to gunicorn: a kept-alive
    connection would pin its caller to one gunicorn worker while the others idle. Raises ModelUnreachable when
    the socket refuses the connection, TimeoutError after `timeout`; a worker that dies mid-request gets
    nginx's 502 (SageMaker's ModelError, status 502)."""
    connection = UnixConnection(socket_path, timeout=timeout)
    try:
        try:
            connection.connect()
        except (FileNotFoundError, ConnectionRefusedError) as error:
            raise ModelUnreachable(type(error).__name__) from None
        connection.request("POST", "/invocations", body=body, headers={**headers, "Connection": "close"})
        answer = connection.getresponse()
        return Response(answer.status, answer.getheader("Content-Type") or "", answer.read())
    except (http.client.HTTPException, ConnectionError) as error:  # not TimeoutError: the caller's 424
        return Response(502, "text/plain", f"upstream closed the connection ({type(error).__name__})".encode())
    finally:
        connection.close()


class ContainerFailed(Exception):
    """The model server exited or answered /ping with an error: SageMaker's failed health check."""


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


@dataclass
class ModelContainer:
    base_dir: Path  # holds model/ and code/
    environment: dict[str, str]  # the model's container environment (SAGEMAKER_PROGRAM, ...)
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None
    socket_path: str = ""
    _log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.base_dir / "container.log"

    def start(self) -> ModelContainer:
        code = self.base_dir / "code"
        program = self.environment.get("SAGEMAKER_PROGRAM", "")
        if not (code / program).is_file():
            # The toolkit would then pip-install the folder into the image's environment and still fail.
            raise ContainerFailed(f"SAGEMAKER_PROGRAM {program!r} is not in the submit directory")
        self.socket_path = str(Path(tempfile.mkdtemp(prefix="slipstream-model-")) / "gunicorn.sock")  # 0700
        command = [str(image_python()), "-m", "gunicorn", "-k", "gevent", "-b", f"unix:{self.socket_path}"]
        command += ["-w", str(self.workers), "--worker-connections", str(1000 * self.workers)]
        command += ["--timeout", str(MODEL_SERVER_TIMEOUT), "--pythonpath", str(code), "--log-level", "info"]
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*command, SERVING_MODULE],
            env=image_zygote.job_env(self._env(code), image_zygote.SERVING),
            stdout=self._log,
            stderr=self._log,
            cwd=self.base_dir,
            preexec_fn=die_with_parent(),  # the endpoint server killed by SIGKILL takes its containers along
        )
        return self

    def _env(self, code: Path) -> dict[str, str]:
        """The container's environment only: nothing of the laptop's Python setup (PYTHONPATH, venv) leaks in."""
        keep = {k: os.environ[k] for k in ("PATH", "HOME", "TMPDIR") if k in os.environ}
        return {
            **keep,
            **IMAGE_ENV,
            # Single rows: OpenMP threads only contend (docs/performance.md#openmp); the model may override.
            "OMP_NUM_THREADS": "1",
            **self.environment,
            "SAGEMAKER_BASE_DIR": str(self.base_dir),
            "SM_MODEL_DIR": str(self.base_dir / "model"),
            "SAGEMAKER_SUBMIT_DIRECTORY": str(code),  # already downloaded, as the toolkit would have
        }

    def ping(self) -> bool | None:
        """True once /ping answers 200, None while starting, raises ContainerFailed when it never will."""
        if self.process is None or self.process.poll() is not None:
            raise ContainerFailed(f"the model server exited (code {self.process and self.process.returncode})")
        connection = UnixConnection(self.socket_path, timeout=2)
        try:
            connection.request("GET", "/ping")
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        if status >= 400:  # model_fn failed: every request, /ping too, answers 500
            raise ContainerFailed(f"/ping answered {status}")
        return status == 200 or None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ping():
            if time.monotonic() > deadline:
                raise ContainerFailed(f"/ping did not answer within {timeout:.0f}s")
            time.sleep(0.1)

    def invoke(self, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        """POST /invocations (invoke_socket); a container that refuses the connection gets nginx's 502 too."""
        try:
            return invoke_socket(self.socket_path, body, headers, timeout)
        except ModelUnreachable as error:
            return Response(502, "text/plain", f"upstream refused the connection ({error})".encode())

    def stop(self, grace: float = 3.0) -> None:
        if self.process is not None and self.process.poll() is None:
            # gunicorn's quick shutdown: SIGTERM would wait for gevent workers' graceful_timeout (30 s), and the
            # endpoint (or the account) holding this container is already gone.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.socket_path:
            shutil.rmtree(Path(self.socket_path).parent, ignore_errors=True)

    def log_tail(self, lines: int = 15) -> list[str]:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            return []
