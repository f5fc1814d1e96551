"""Which captured rows belong to the running experiment (slipstream/local/experiment_result.py)."""

from __future__ import annotations

from slipstream.experiment.outcomes import experiment_rows
from slipstream.local.experiment_result import rows_of
from slipstream.local.experiments import Experiment
from slipstream.local.registry import VersionInfo
from slipstream.monitoring.traffic import feedback_frame, traffic_from_rows

STAGED_MS = 1_780_000_000_000  # the challenger's registration, ms since epoch (2026-05-28T20:26:40Z)


def _info(version: str) -> VersionInfo:
    return VersionInfo(version=version, run_id="r", metrics={}, tags={}, created_at=STAGED_MS)


def _record(request_id: str, at: str, variant: str, version: str, **extra: object) -> dict[str, object]:
    base = {"request_id": request_id, "timestamp": f"2026-05-28T{at}+00:00", "variant": variant}
    return {**base, "row": 0, "model_version": version, "prediction": "yes", "shadowed": False, **extra}


def test_only_this_experiments_versions_from_the_challengers_first_answer() -> None:
    records = [
        _record("before", "20:00:00", "champion", "1"),  # champion-only traffic before the experiment
        _record("staged-not-routed", "20:30:00", "champion", "1"),  # staged, serve not restarted yet
        _record("first", "20:40:00", "challenger", "2"),
        _record("ours", "20:41:00", "champion", "1"),
        _record("old-challenger", "20:42:00", "challenger", "9"),
        _record("other-shadow", "20:43:00", "champion", "1", shadowed=True, shadow_model_version="9"),
        _record("shadow", "20:44:00", "champion", "1", shadowed=True, shadow_model_version="2"),
    ]
    rows = experiment_rows(traffic_from_rows(records), feedback_frame([]))

    kept = rows_of(rows, Experiment(_info("1"), _info("2")))

    assert kept["request_id"].tolist() == ["first", "ours", "other-shadow", "shadow"]
    assert kept.set_index("request_id")["shadowed"].to_dict() == {
        "first": False, "ours": False, "other-shadow": False, "shadow": True,
    }  # fmt: skip


def test_nothing_before_the_challenger_answers() -> None:
    rows = experiment_rows(traffic_from_rows([_record("a", "20:41:00", "champion", "1")]), feedback_frame([]))
    assert rows_of(rows, Experiment(_info("1"), _info("2"))).empty
