"""Model files served are the ones registered: a damaged cached copy is replaced, a damaged registry copy refused."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from slipstream.local.model_checksums import ModelTampered, file_checksums, verify
from slipstream.local.serving.endpoint_server import start_endpoints
from slipstream.local.serving.plan import served_copy


@dataclass
class Info:
    version: str = "3"


class FakeRegistry:
    """Stands in for Registry.download_model: copies `source` (the registry's artifacts) and checks it."""

    def __init__(self, source: Path, recorded: dict[str, str]) -> None:
        self.source, self.recorded, self.downloads = source, recorded, 0

    def download_model(self, info: Info, dest: Path) -> Path:
        self.downloads += 1
        copy = dest / "sagemaker-model"
        shutil.copytree(self.source, copy)
        verify(copy, self.recorded, version=info.version)
        return copy


@pytest.fixture
def registered(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    source = tmp_path / "registry" / "sagemaker-model"
    (source / "code").mkdir(parents=True)
    (source / "model.joblib").write_bytes(b"model bytes" * 1000)
    (source / "code" / "inference.py").write_text("print('hi')\n")
    return source, file_checksums(source)


def test_a_truncated_cached_model_is_copied_again(tmp_path: Path, registered: tuple[Path, dict[str, str]]) -> None:
    source, recorded = registered
    registry = FakeRegistry(source, recorded)
    model_dir = served_copy(registry, Info(), tmp_path / "models", recorded)
    assert served_copy(registry, Info(), tmp_path / "models", recorded) == model_dir and registry.downloads == 1
    (model_dir / "model.joblib").write_bytes(b"model")  # truncated in the cache
    again = served_copy(registry, Info(), tmp_path / "models", recorded)
    assert registry.downloads == 2 and (again / "model.joblib").read_bytes() == (source / "model.joblib").read_bytes()
    assert not (tmp_path / "models" / "v3.partial").exists()


def test_a_damaged_registry_copy_is_refused_naming_version_and_file(
    tmp_path: Path, registered: tuple[Path, dict[str, str]]
) -> None:
    source, recorded = registered
    (source / "model.joblib").write_bytes(b"tampered")
    with pytest.raises(ModelTampered) as raised:
        served_copy(FakeRegistry(source, recorded), Info(), tmp_path / "models", recorded)
    assert "version 3" in raised.value.message
    assert [d.split(":")[0] for d in raised.value.details] == ["model.joblib"]


def test_a_missing_file_is_named(tmp_path: Path, registered: tuple[Path, dict[str, str]]) -> None:
    source, recorded = registered
    (source / "code" / "inference.py").unlink()
    with pytest.raises(ModelTampered) as raised:
        verify(source, recorded, version="3")
    assert raised.value.details == ["code/inference.py: missing"]


def test_the_endpoint_server_refuses_a_model_that_changed_after_the_plan(
    tmp_path: Path, registered: tuple[Path, dict[str, str]]
) -> None:
    source, recorded = registered
    (source / "model.joblib").write_bytes(b"changed after the plan checked it")
    spec = {"m-champion": {"model_dir": str(source), "code_dir": str(tmp_path), "version": "3", "sha256": recorded}}
    with pytest.raises(SystemExit) as raised:
        start_endpoints(spec, tmp_path / "endpoints", workers=1)
    assert "m-champion" in str(raised.value) and "version 3" in str(raised.value)
    assert "model.joblib" in str(raised.value)
