"""`slipstream experiment promote`: what the result allows, what --force overrides, and what gets recorded.
The registry and the captures are stood in for; tests/integration runs the same commands on real runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from slipstream.cli import experiment as command
from slipstream.cli.main import app
from slipstream.experiment.decide import VariantData, decide
from slipstream.experiment.result import ExperimentResult
from slipstream.local import experiments
from slipstream.local.experiments import Experiment
from slipstream.local.registry import VersionInfo
from slipstream.local.serving import plan
from tests.unit.experiment.simulate import settings


def _result(champion: float, challenger: float, *, latency_ms: float = 5.0) -> ExperimentResult:
    rng = np.random.default_rng(3)
    arms = [(rng.random(3_000) < p).astype(float) for p in (champion, challenger)]
    latencies = [np.full(3_000, 5.0), np.full(3_000, latency_ms)]
    data = [VariantData(outcomes=a, assigned=3_000, latencies_ms=lat) for a, lat in zip(arms, latencies, strict=True)]
    return decide(data[0], data[1], settings(weight=0.5))


@pytest.fixture
def ended(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[dict[str, Any]]:
    """Stand-ins for the registry and the captures; returns the calls to end_experiment."""
    info = [VersionInfo(version=v, run_id="r", metrics={}, tags={}, created_at=0) for v in ("1", "2")]
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(command, "_experiment", lambda cfg: (None, Experiment(*info)))
    monkeypatch.setattr(experiments, "end_experiment", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(plan, "follow_experiment", lambda *args: False)
    config = 'name = "t"\n[data]\nsource = "d.csv"\ntarget = "y"\ntask = "classification"\n'
    (tmp_path / "slipstream.toml").write_text(config)
    monkeypatch.chdir(tmp_path)
    return calls


def _promote(monkeypatch: pytest.MonkeyPatch, result: ExperimentResult, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(command, "_result", lambda cfg, experiment: result)
    outcome = CliRunner().invoke(app, ["experiment", "promote", "--by", "ana", *args], catch_exceptions=False)
    return outcome.exit_code, " ".join(outcome.output.split())


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (_result(0.86, 0.80), "'champion better'"),
        (_result(0.80, 0.86, latency_ms=3_000.0), "breaches a guardrail (p95_latency_ms 3000 > 2000)"),
    ],
    ids=["champion better", "challenger guardrail"],
)
def test_promote_refuses_against_the_result_unless_forced(monkeypatch, ended, result, why) -> None:
    code, output = _promote(monkeypatch, result)
    assert code == command.REFUSED_EXIT, output
    assert why in output and "--force" in output and ended == []

    code, output = _promote(monkeypatch, result, "--force")
    assert code == 0, output
    (call,) = ended
    assert (call["outcome"], call["decided_by"], call["forced"], call["result"]) == ("promoted", "ana", True, result)


def test_promote_on_a_better_challenger_is_not_forced(monkeypatch, ended) -> None:
    code, output = _promote(monkeypatch, _result(0.80, 0.86))
    assert code == 0 and "version 2 is now the champion (was version 1); decided by ana" in output
    assert ended[0]["forced"] is False and "note:" not in output
