"""Shadow mode: the caller gets the champion's answer at the champion's speed, whatever the challenger does;
the capture row carries both answers, and drift/experiment code reads it as the champion's request."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from lambdas.predict.capture import BackgroundCapture
from lambdas.predict.documents import CachedDocument
from lambdas.predict.runtime import invoke
from lambdas.predict.shadow import ShadowMirror
from lambdas.predict.sinks import JsonLinesSink
from slipstream.documents.deployment import DeploymentRecord
from slipstream.experiment.outcomes import analyse, experiment_rows
from slipstream.experiment.shadow import shadow_summary
from slipstream.experiment_config import ExperimentConfig
from slipstream.monitoring.traffic import feedback_frame, traffic_from_rows
from tests.deployment_records import record, variant
from tests.unit.serving.conftest import ROW, FakeRuntime

DEPLOYED = record(variant("3", endpoint="m-champion"), variant("4", endpoint="m-challenger"))


class Challenger(FakeRuntime):
    """The challenger's endpoint: answers "no", after `delay` seconds, or fails."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay, self.version = delay, "4"

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(self.delay)
        answer = super().invoke_endpoint(**kwargs)
        body = json.loads(answer["Body"].read())
        body["predictions"] = ["no"] * len(body["predictions"])
        return {"Body": io.BytesIO(json.dumps(body).encode())}


@pytest.fixture
def capture_file(tmp_path):
    return tmp_path / "capture.jsonl"


def _shadowed(service, challenger: FakeRuntime, capture_file, share: float = 1.0) -> ShadowMirror:
    service.endpoints["challenger"] = "m-challenger"
    service.deployment = CachedDocument(None, 60, lambda: None, DeploymentRecord.model_validate, default=DEPLOYED)
    service.capture = BackgroundCapture(JsonLinesSink(str(capture_file)))
    service.shadow = ShadowMirror(lambda e, rows: invoke(challenger, e, rows), share, service.capture)
    return service.shadow


def _captured(service, capture_file) -> list[dict[str, Any]]:
    assert service.shadow.flush() and service.capture.flush()
    return [json.loads(line) for line in capture_file.read_text().splitlines()]


def test_a_slow_challenger_adds_no_latency_and_the_row_carries_both_answers(service, runtime, capture_file) -> None:
    _shadowed(service, Challenger(delay=0.5), capture_file)

    started = time.perf_counter()
    prediction = service.predict([ROW, ROW], caller_id="c1", request_id="r1")
    elapsed = time.perf_counter() - started

    assert elapsed < 0.2, f"the caller waited {elapsed:.2f}s for the shadow call"
    assert (prediction.variant, prediction.body["predictions"]) == ("champion", ["yes", "yes"])
    assert [call["EndpointName"] for call in runtime.calls] == ["m-champion"]
    first, second = _captured(service, capture_file)
    assert [(r["row"], r["variant"], r["prediction"], r["shadow_prediction"]) for r in (first, second)] == [
        (0, "champion", "yes", "no"),
        (1, "champion", "yes", "no"),
    ]
    assert first["shadowed"] and first["shadow_model_version"] == "4" and first["endpoint"] == "m-champion"
    assert first["shadow_latency_ms"] >= 500 and first["shadow_error"] is None
    assert service.shadow.take_counts() == {"mirrored": 1, "failed": 0, "dropped": 0}


def test_a_failing_challenger_is_only_counted(service, call, capture_file) -> None:
    failing = Challenger()
    failing.error = ConnectionError("challenger down")
    _shadowed(service, failing, capture_file)

    status, _, body = call("POST", "/predict", {"instances": [ROW]})

    assert status == 200 and body["predictions"] == ["yes"] and body["variant"] == "champion"
    (row,) = _captured(service, capture_file)
    assert row["prediction"] == "yes" and row["shadowed"] and row["shadow_prediction"] is None
    assert "challenger down" in row["shadow_error"]
    assert service.shadow.take_counts()["failed"] == 1


def test_the_share_is_deterministic_per_request_id_and_only_champion_requests_are_mirrored(
    service, capture_file
) -> None:
    mirror = _shadowed(service, Challenger(), capture_file, share=0.3)
    picked = [mirror.selected(f"request-{i}") for i in range(2000)]
    assert picked == [mirror.selected(f"request-{i}") for i in range(2000)]
    assert 0.26 < sum(picked) / len(picked) < 0.34
    service.challenger_weight = 1.0  # everyone on the challenger: nothing is left to mirror
    service.predict([ROW], caller_id="c1", request_id=next(f"request-{i}" for i, p in enumerate(picked) if p))
    (row,) = _captured(service, capture_file)
    assert row["variant"] == "challenger" and row["shadowed"] is False and row["shadow_model_version"] is None


def test_mirrored_rows_count_as_champion_assignments_and_feed_the_shadow_summary(service, capture_file) -> None:
    _shadowed(service, Challenger(), capture_file)
    for index in range(3):
        service.predict([ROW, ROW], caller_id=None, request_id=f"r{index}")
    rows = experiment_rows(
        traffic_from_rows(_captured(service, capture_file), ["monthly spend", "tenure", "plan"]),
        feedback_frame([{"request_id": "r0", "row": 0, "ground_truth": "yes"}]),
    )

    assert set(rows["variant"]) == {"champion"} and rows["shadowed"].all()
    assert rows["shadow_prediction"].tolist() == ["no"] * 6
    settings = ExperimentConfig(metric="accuracy", minimum_effect=0.02, weight=0.5)
    assert analyse(rows, settings).sample_ratio.challenger == 0  # a shadow call is no challenger assignment
    summary = shadow_summary(rows, task="classification")
    assert summary is not None and (summary.requests, summary.rows, summary.failed) == (3, 6, 0)
    assert summary.agreement == 0.0 and summary.challenger_latency.p50_ms is not None
