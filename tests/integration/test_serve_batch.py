"""`slipstream predict` end to end on the session's trained champion: the scores are the endpoint's, row by row;
bad rows are skipped with their number and reason, or fail the run leaving nothing behind; bad input is named.
(Named test_serve_*: it shares the serve group's trained champion, tests/integration/conftest.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from typer.testing import CliRunner

from slipstream.cli.main import app
from slipstream.config import Config
from slipstream.local.registry import CHAMPION, Registry
from tests.integration.batch_helpers import REPO, endpoint_answers, records

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cancer_rows() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame.drop(columns="target").head(120)
    frame.insert(0, "patient", [f"p{i:03d}" for i in range(len(frame))])
    return frame


def _predict(config: Config, *args: str) -> tuple[int, str]:
    config_file = Path(config.state_path).parent / "slipstream.toml"
    if not config_file.is_file():  # the repository's config on the session's state folder
        text = (REPO / "slipstream.toml").read_text(encoding="utf-8")
        config_file.write_text(f'state_dir = "{config.state_path}"\n{text}', encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", "-c", str(config_file), *args])
    return result.exit_code, result.output


def test_a_file_is_scored_as_the_endpoint_scores_it(trained_config: Config, cancer_rows, tmp_path: Path) -> None:
    source = tmp_path / "patients.csv"
    cancer_rows.to_csv(source, index=False)
    code, output = _predict(
        trained_config, "-i", str(source), "-o", str(tmp_path / "scores.csv"), "--id-column", "patient"
    )
    assert code == 0, output
    scored = pd.read_csv(tmp_path / "scores.csv")
    registry = Registry(trained_config)
    champion = registry.by_alias(CHAMPION)
    features = [c for c in cancer_rows.columns if c != "patient"]
    expected = endpoint_answers(registry.download_model(champion, tmp_path / "model"), records(cancer_rows, features))
    assert scored["row"].tolist() == list(range(1, len(cancer_rows) + 1))
    assert scored["patient"].tolist() == cancer_rows["patient"].tolist()
    assert scored["prediction"].tolist() == expected["predictions"]
    for label in expected["classes"]:
        wanted = [p[label] for p in expected["probabilities"]]
        np.testing.assert_allclose(scored[f"probability_{label}"], wanted, rtol=1e-12, atol=1e-15)
    assert set(scored["model_version"].astype(str)) == {champion.version}
    summary = json.loads((tmp_path / "scores.summary.json").read_text(encoding="utf-8"))
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_rejected"]) == (120, 120, 0)
    # Parquet in, Parquet out: the same answers.
    cancer_rows.to_parquet(tmp_path / "patients.parquet")
    code, output = _predict(trained_config, "-i", str(tmp_path / "patients.parquet"), "-o", str(tmp_path / "s.parquet"))
    assert code == 0, output
    assert pd.read_parquet(tmp_path / "s.parquet")["prediction"].tolist() == expected["predictions"]


def _messy(cancer_rows: pd.DataFrame, path: Path) -> None:
    messy = cancer_rows.astype(object)
    messy.loc[3, "mean radius"] = "abc"
    messy.loc[5, "worst area"] = float("inf")
    messy.loc[8, "mean texture"] = 1e9  # far outside the training range: the API refuses it too
    messy.to_csv(path, index=False)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[11] = "p010,1,2"  # row 11: too few values
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_bad_rows_are_skipped_with_row_and_reason(trained_config: Config, cancer_rows, tmp_path: Path) -> None:
    _messy(cancer_rows, tmp_path / "messy.csv")
    code, output = _predict(trained_config, "-i", str(tmp_path / "messy.csv"), "-o", str(tmp_path / "out.csv"))
    assert code == 0, output
    rejects = pd.read_csv(tmp_path / "out.rejects.csv")
    assert rejects["row"].tolist() == [4, 6, 9, 11]
    assert rejects["field"].fillna("").tolist() == ["mean radius", "worst area", "mean texture", ""]
    assert "got 'abc'" in rejects["reason"][0] and "finite" in rejects["reason"][1]
    assert "expected 31 values, got 3" in rejects["reason"][3]
    scored = pd.read_csv(tmp_path / "out.csv")
    assert len(scored) == 116 and not {4, 6, 9, 11} & set(scored["row"])
    assert scored["row"].iloc[-1] == 120  # numbering continues past the malformed line


def test_on_bad_row_fail_writes_nothing(trained_config: Config, cancer_rows, tmp_path: Path) -> None:
    _messy(cancer_rows, tmp_path / "messy.csv")
    out = tmp_path / "out.parquet"
    code, output = _predict(trained_config, "-i", str(tmp_path / "messy.csv"), "-o", str(out), "--on-bad-row", "fail")
    assert code != 0
    assert "row 4, field 'mean radius': expected a number, got 'abc'" in " ".join(output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.csv"]  # no output, no partial file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "999"], "has no model for version 999"),
        (["--alias", "nobody"], "has no model for alias 'nobody'"),
        (["--input-missing"], "does not exist"),
        (["--without-column"], "lacks features mean radius"),
    ],
    ids=["unknown-version", "unknown-alias", "missing-file", "missing-column"],
)
def test_bad_input_is_named(trained_config: Config, cancer_rows, tmp_path: Path, args, message) -> None:
    source = tmp_path / "in.csv"
    frame = cancer_rows.drop(columns="mean radius") if "--without-column" in args else cancer_rows
    if "--input-missing" not in args:
        frame.to_csv(source, index=False)
    flags = [a for a in args if not a.startswith("--input-missing") and a != "--without-column"]
    code, output = _predict(trained_config, "-i", str(source), "-o", str(tmp_path / "out.csv"), *flags)
    assert code not in (0, 1) or "unexpected" not in output
    assert code != 0 and message in " ".join(output.split()), output
    assert not (tmp_path / "out.csv").exists()
