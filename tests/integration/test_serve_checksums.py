"""The serving cache against the SHA-256 the registry recorded at registration (writer: Registry.register;
readers: build_plan's cache check and the endpoint server's load check)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from slipstream.config import Config
from slipstream.local.model_checksums import ModelTampered, sha256_of
from slipstream.local.registry import CHAMPION, SAGEMAKER_ARTIFACTS, Registry
from slipstream.local.serving.plan import build_plan

pytestmark = pytest.mark.slow


def _plan_model_dir(config: Config) -> Path:
    plan = build_plan(config, host="127.0.0.1", port=1, endpoint_port=2)
    (item,) = [v for v in json.loads(plan.endpoint_spec.read_text()).values() if v["version"] == "1"]
    assert item["sha256"]["model.joblib"] == sha256_of(Path(item["model_dir"]) / "model.joblib")
    return Path(item["model_dir"])


def test_a_truncated_cached_model_is_replaced_from_the_registry(trained_config: Config) -> None:
    model = _plan_model_dir(trained_config) / "model.joblib"
    good = model.read_bytes()
    model.write_bytes(good[: len(good) // 2])
    assert (_plan_model_dir(trained_config) / "model.joblib").read_bytes() == good


def test_a_damaged_registry_copy_is_refused_naming_the_version_and_file(trained_config: Config) -> None:
    registry = Registry(trained_config)
    info = registry.by_alias(CHAMPION)
    assert info is not None
    artifacts = registry.client.get_run(info.run_id).info.artifact_uri
    stored = Path(urlparse(artifacts).path) / SAGEMAKER_ARTIFACTS
    cached = trained_config.state_path / "serving" / "models" / f"v{info.version}"
    backup = stored.parent / "model.joblib.good"
    shutil.copyfile(stored / "model.joblib", backup)
    try:
        (stored / "model.joblib").write_bytes(b"not a model")
        shutil.rmtree(cached, ignore_errors=True)
        with pytest.raises(ModelTampered) as raised:
            build_plan(trained_config, host="127.0.0.1", port=1, endpoint_port=2)
        assert f"version {info.version}" in raised.value.message
        assert raised.value.details[0].startswith("model.joblib:")
    finally:
        shutil.move(backup, stored / "model.joblib")
    _plan_model_dir(trained_config)  # restored: served again
