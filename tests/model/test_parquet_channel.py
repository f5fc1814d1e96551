"""The split ValidateData writes (Parquet) against the readers of the train/test channels.

Writer: slipstream.channel_files in .venv (the Lambda's pandas/pyarrow). Readers: training/dataset_io.py in the
jobs, on the image's pandas and pyarrow. The bundled model must come out of a Parquet channel exactly as it came
out of the CSV one, and the dtypes ValidateData built the contract on must reach training unchanged.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slipstream.channel_files import write_parquet
from slipstream.config import parse_config
from slipstream.dataset import load_dataset
from slipstream.local.image_env import image_python
from slipstream.steps.validate import validate_data
from tests.model.model_suite import LOGISTIC, TRAINING_DIR, Split, train_in_process


def _typed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zip": ["02134", "10001", None, "02134"],  # digits, but text: CSV would read them as numbers
            "visits": pd.array([3, None, 1, 7], dtype="Int64"),  # nullable integer: CSV makes it float
            "member": [True, False, True, True],
            "plan": pd.Categorical(["pro", "basic", "pro", None]),
            "mixed": [1, "a", None, 2.5],  # Python values of several types: written as their text
            "spend": [1.5, np.nan, 3.25, 0.1],
        }
    )


def test_dtypes_survive_the_channel(tmp_path: Path) -> None:
    from dataset_io import read_tables

    frame = _typed_frame()
    write_parquet(frame, tmp_path / "train" / "train.parquet")
    back = read_tables(tmp_path / "train", "train")
    expected = frame.assign(mixed=["1", "a", None, "2.5"])
    pd.testing.assert_frame_equal(back, expected)


def test_the_images_reader_gets_the_same_dtypes(tmp_path: Path) -> None:
    """The seam itself: .venv's pyarrow writes, the image's pandas 2.3 / pyarrow 17 read (as the jobs do)."""
    write_parquet(_typed_frame(), tmp_path / "train" / "train.parquet")
    script = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from dataset_io import read_tables;"
        "f = read_tables(Path(sys.argv[2]), 'train');"
        "print(json.dumps({'dtypes': {c: str(t) for c, t in f.dtypes.items()}, 'rows': f.astype(str).values.tolist()}))"
    )
    done = subprocess.run(
        [str(image_python()), "-c", script, str(TRAINING_DIR), str(tmp_path / "train")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    here = _typed_frame().assign(mixed=["1", "a", None, "2.5"])
    assert seen["dtypes"] == {name: str(dtype) for name, dtype in here.dtypes.items()}
    assert seen["rows"] == here.astype(str).values.tolist()


def _channels(root: Path, train: pd.DataFrame, test: pd.DataFrame, form: str) -> Split:
    for name, part in (("train", train), ("test", test)):
        (root / name).mkdir(parents=True)
        if form == "csv":
            part.to_csv(root / name / f"{name}.csv", index=False)
        else:
            write_parquet(part, root / name / f"{name}.parquet")
    return Split(train, test, root / "train", root / "test", "target")


@pytest.fixture(scope="module")
def bundled_split(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled dataset split by ValidateData itself, as `slipstream run` on slipstream.toml splits it."""
    fields = {"source": "sklearn:breast_cancer", "target": "target", "task": "classification"}
    config = parse_config({"data": fields}, base_dir=tmp_path_factory.mktemp("bundled"))
    result = validate_data(load_dataset(config), config, None)
    return result.train, result.test


def test_the_bundled_model_predicts_the_same_from_parquet_as_from_csv(
    tmp_path: Path, bundled_split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    import joblib
    from dataset_io import read_tables
    from model_pipeline import as_model_input

    probabilities = {}
    for form in ("csv", "parquet"):
        split = _channels(tmp_path / form, *bundled_split, form)
        model = train_in_process(tmp_path / f"{form}-run", split, "classification", LOGISTIC, {"max_iter": 1000})
        pipeline = joblib.load(model / "model.joblib")
        features = json.loads((model / "metadata.json").read_text())["features"]
        held_out = read_tables(split.test_dir, "test")
        probabilities[form] = pipeline.predict_proba(as_model_input(held_out, features))
    assert probabilities["csv"].shape == (len(bundled_split[1]), 2)
    np.testing.assert_array_equal(probabilities["parquet"], probabilities["csv"])
