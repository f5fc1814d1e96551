"""The environment that mirrors the SageMaker image: the image's Python, found or refused with a clear message."""

from __future__ import annotations

import subprocess

import pytest

from slipstream.image import SKLEARN_IMAGE
from slipstream.local import image_env


def test_the_built_environment_runs_the_images_python_and_pins():
    python = image_env.image_python()
    probe = "import sys, sklearn, numpy, pandas; print('%d.%d' % sys.version_info[:2], sklearn.__version__)"
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == SKLEARN_IMAGE.python
    assert f"scikit-learn=={out[1]}" in SKLEARN_IMAGE.lock_file.read_text().splitlines()


def test_the_cdk_app_names_the_same_image_the_emulation_mirrors():
    from cdk.pipeline.sklearn_image import sklearn_image_uri  # noqa: F401  (the stack reads SKLEARN_IMAGE.name)

    assert SKLEARN_IMAGE.name == "sagemaker-scikit-learn:1.4-2-cpu-py3"
    assert SKLEARN_IMAGE.lock_file.is_file()


def test_a_missing_python_is_named_with_how_to_get_it(monkeypatch):
    monkeypatch.setattr(image_env, "_candidates", lambda version: [])
    with pytest.raises(image_env.ImageEnvError) as raised:
        image_env.find_interpreter("3.10", allow_download=False)
    text = str(raised.value)
    assert "Python 3.10 is needed" in text and "uv python install 3.10" in text


def test_an_environment_built_from_another_lock_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(image_env, "ENVS_DIR", tmp_path)
    folder = image_env.env_dir()
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "python").write_text("")
    (folder / image_env.STAMP).write_text("another lock")
    with pytest.raises(image_env.ImageEnvError, match="make install"):
        image_env.image_python()
