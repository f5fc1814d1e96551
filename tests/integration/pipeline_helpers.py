"""Build small projects (a config + a generated CSV) and drive the CLI in process, as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from slipstream.cli.main import app

RUNNER = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    result = RUNNER.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def status(config: Path) -> dict:
    code, output = cli("status", "--config", str(config), "--json")
    assert code == 0, output
    return json.loads(output)


def write_project(folder: Path, body: str, frame: pd.DataFrame | None = None, name: str = "data.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if frame is not None:
        frame.to_csv(folder / name, index=False)
    config = folder / "slipstream.toml"
    config.write_text(body, encoding="utf-8")
    return config


def customers(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Mixed numeric and categorical features with missing values; `spend` and `plan` drive the outcome."""
    rng = np.random.default_rng(seed)
    spend = rng.gamma(2.0, 50.0, rows)
    tenure = rng.integers(1, 60, rows).astype(float)
    plan = rng.choice(["basic", "plus", "pro"], rows)
    region = rng.choice(["north", "south", "east", "west"], rows)
    score = 0.02 * spend + 0.03 * tenure + (plan == "pro") * 1.5 - 3 + rng.normal(0, 0.5, rows)
    frame = pd.DataFrame({"spend": spend, "tenure": tenure, "plan": plan, "region": region})
    frame.loc[rng.choice(rows, rows // 20, replace=False), "tenure"] = np.nan
    frame.loc[rng.choice(rows, rows // 25, replace=False), "region"] = None
    frame["churned"] = np.where(score > 0, "yes", "no")
    frame["segment"] = pd.cut(score, [-np.inf, -1, 1, np.inf], labels=["low", "mid", "high"]).astype(str)
    frame["lifetime_value"] = 3 * spend + 10 * tenure.clip(0) + (plan == "pro") * 200 + rng.normal(0, 20, rows)
    return frame


def project_config(target: str, task: str, drop: list[str], *, estimator: str = "", extra: str = "") -> str:
    model = f'[model]\nestimator = "{estimator}"\n' if estimator else ""
    return (
        f'name = "customers"\n\n[data]\nsource = "data.csv"\ntarget = "{target}"\ntask = "{task}"\n'
        f"ignore_columns = {json.dumps(drop)}\n{model}{extra}"
    )


def never_unpickle_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """The laptop's scikit-learn may differ from the image's that trained the model: opening it here is a bug."""
    import pickle

    import cloudpickle
    import joblib

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model file was unpickled in the laptop's environment")

    for module, name in ((joblib, "load"), (pickle, "load"), (pickle, "loads"), (cloudpickle, "load")):
        monkeypatch.setattr(module, name, refuse)
