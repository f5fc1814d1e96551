"""Serverless endpoints that really serve: one model container per deployment, laid out as SageMaker lays it out.

The model archive the package names becomes <base>/model, and the submit directory its environment names
(SAGEMAKER_SUBMIT_DIRECTORY, the stack's sourcedir asset in S3) becomes <base>/code: the container imports
inference.py from there, as the scikit-learn image does, not from the model's own code/ copy. The container
runs in the image's environment (slipstream.local.serving.container); nothing here opens a model file.
Every container started here is stopped when its endpoint is deleted or replaced, and by `stop_all` when
the emulated account closes (an atexit hook too, so a crashed test run leaves no server behind).
"""

from __future__ import annotations

import atexit
import shutil
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.local.serving.container import ModelContainer
from slipstream.local.strict.serverless import HostedEndpoint, ServerlessLimits

_LIVE: set[HostedEndpoint] = set()
_LOCK = threading.Lock()


def _download_tarball(s3: Any, url: str, folder: Path, what: str) -> Path:
    if not url.startswith("s3://"):
        raise ValueError(f"{what} must be an s3:// URI, got {url!r}")
    bucket, key = split_s3_uri(url)
    archive = folder.parent / f"{folder.name}.tar.gz"
    s3.download_file(bucket, key, str(archive))
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    archive.unlink()
    return folder


def start_endpoint(
    s3: Any, name: str, model_data_url: str, environment: dict[str, str], limits: ServerlessLimits
) -> HostedEndpoint:
    """Download the model and the submit directory, start the container (not yet healthy: see `ping`)."""
    base = Path(tempfile.mkdtemp(prefix=f"slipstream-endpoint-{name}-"))
    _download_tarball(s3, model_data_url, base / "model", "ModelDataUrl")
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY")
    if submit:  # without it the toolkit imports from <base>/code, which SageMaker leaves empty
        _download_tarball(s3, submit, base / "code", "SAGEMAKER_SUBMIT_DIRECTORY")
    else:
        (base / "code").mkdir()
    container = ModelContainer(base, environment).start()
    endpoint = HostedEndpoint(name, container, limits, str(container.log_path))
    with _LOCK:
        _LIVE.add(endpoint)
    return endpoint


def container_of(endpoint: HostedEndpoint) -> ModelContainer:
    assert isinstance(endpoint.server, ModelContainer)
    return endpoint.server


def stop(endpoint: HostedEndpoint | None, *, keep_files: bool = False) -> None:
    if endpoint is None:
        return
    with _LOCK:
        _LIVE.discard(endpoint)
    container = container_of(endpoint)
    container.stop()
    if not keep_files:
        shutil.rmtree(container.base_dir, ignore_errors=True)


def stop_all() -> None:
    with _LOCK:
        live = list(_LIVE)
    for endpoint in live:
        stop(endpoint)


def live_count() -> int:
    with _LOCK:
        return len(_LIVE)


atexit.register(stop_all)
