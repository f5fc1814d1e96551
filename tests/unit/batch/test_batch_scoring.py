"""The batch scorer's fast paths keep its answers: the model overwriting a chunk's own block scores what the
pickled Pipeline scores, and a malformed CSV line is reported with the batch it precedes, in row order."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import batch_model
import numpy as np
import pyarrow as pa
import pytest
from batch_csv import MalformedLines, numbered
from batch_model import predict, work_in_place
from batch_rows import check_chunk
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = [{"name": f"x{i}", "kind": "numeric"} for i in range(3)]
INFERENCE = Path(__file__).resolve().parents[3] / "inference" / "inference.py"


@pytest.fixture
def inference(monkeypatch: pytest.MonkeyPatch) -> None:
    """inference.py as the sourcedir puts it beside the scorer (here `import inference` finds the folder)."""
    spec = importlib.util.spec_from_file_location("slipstream_inference_py", INFERENCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(batch_model, "inference", module)


def _model() -> dict:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3)) * [1.0, 10.0, 100.0]
    x[rng.random(x.shape) < 0.1] = np.nan
    pipeline = Pipeline(
        [
            ("preprocess", make_pipeline(SimpleImputer(strategy="median"), StandardScaler())),
            ("estimator", LogisticRegression()),
        ]
    ).fit(x, np.where(np.nan_to_num(x[:, 0]) > 0, "b", "a"))
    return {"pipeline": pipeline, "metadata": {"task": "classification", "classes": ["a", "b"]}}


@pytest.mark.usefixtures("inference")
def test_the_model_scores_a_chunk_in_place_as_the_pickled_model_scores_a_copy() -> None:
    model = _model()
    pickled = model["pipeline"]
    rows = np.random.default_rng(4).normal(size=(50, 3)) * [1.0, 10.0, 100.0]
    rows[::7, 1] = np.nan  # the imputer fills these in place
    expected = pickled.predict_proba(np.asfortranarray(rows))  # a copy, column-major as the scorer builds it
    batch = pa.RecordBatch.from_pydict({f["name"]: rows[:, i] for i, f in enumerate(FEATURES)})
    chunk = check_chunk(batch, np.arange(1, 51), FEATURES, [])
    assert chunk.block is not None and chunk.block.flags.writeable
    assert not np.shares_memory(chunk.block, batch.column(0).to_numpy(zero_copy_only=False))  # the chunk's own
    work_in_place(pickled)
    assert [step.copy for step in pickled["preprocess"]] == [False, False]
    columns = predict(model, chunk)
    assert np.array_equal(columns["probability_a"].to_numpy(), expected[:, 0])  # to the last bit
    assert np.array_equal(columns["probability_b"].to_numpy(), expected[:, 1])
    assert not np.isnan(chunk.block).any()  # it did work in place: the missing cells were filled in the block


def test_only_leading_imputers_and_scalers_work_in_place() -> None:
    mixed = ColumnTransformer([("numeric", make_pipeline(SimpleImputer(), StandardScaler()), [0, 1])])
    pipeline = Pipeline([("preprocess", mixed), ("estimator", LogisticRegression())])
    work_in_place(pipeline)  # a ColumnTransformer selects copies itself: left as pickled
    assert [step.copy for step in mixed.transformers[0][1]] == [True, True]


def _lines(malformed: MalformedLines, *rows: int) -> None:
    for row in rows:
        malformed(type("Row", (), {"number": row + 1, "actual_columns": 4})())


@pytest.mark.parametrize("ahead", [False, True], ids=["in step", "parser ahead"])
def test_malformed_lines_are_reported_with_the_batch_they_precede(ahead: bool) -> None:
    """Rows 1-6 of a file: 3 is malformed, and 5; batches of two good rows. The parser may already have met
    row 5 when the first batch is numbered (pyarrow reads ahead): it still belongs to the second batch."""
    malformed = MalformedLines(3)

    def batches():
        _lines(malformed, 3, 5) if ahead else _lines(malformed, 3)
        yield pa.RecordBatch.from_pydict({"x": [1.0, 2.0]})  # rows 1, 2
        if not ahead:
            _lines(malformed, 5)
        yield pa.RecordBatch.from_pydict({"x": [3.0, 4.0]})  # rows 4, 6

    class Handle:
        def tell(self) -> int:
            return 0

    seen = [
        (list(numbers), [p["row"] for p in lines]) for _, numbers, _, lines in numbered(batches(), malformed, Handle())
    ]
    assert seen == [([1, 2], []), ([4, 6], [3, 5])]
    assert malformed.take() == []
