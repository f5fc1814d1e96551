"""Serverless endpoints that really serve: the model.tar.gz a model package names, loaded with the model's own
code/inference.py the way the scikit-learn serving container loads it (the same loader `slipstream serve` uses).
"""

from __future__ import annotations

import itertools
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.serving.endpoint_server import HostedModel

_MODULE_NUMBERS = itertools.count()


def load_model(s3: Any, model_data_url: str, version: str) -> HostedModel:
    """Download and unpack `model_data_url`, then load it. Raises if the container could not start."""
    folder = Path(tempfile.mkdtemp(prefix="slipstream-endpoint-"))
    bucket, key = split_s3_uri(model_data_url)
    archive = folder / "model.tar.gz"
    s3.download_file(bucket, key, str(archive))
    model_dir = folder / "model"
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    # Each load gets its own module name: two versions of inference.py can be live at once (old and new config).
    return HostedModel(model_dir, version, f"slipstream_endpoint_inference_{next(_MODULE_NUMBERS)}")
