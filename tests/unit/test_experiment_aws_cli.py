"""`python -m slipstream.cli.experiment_aws`: one command that invokes the experiment Lambda with a typed request
naming the caller, and says what happened (or why the Lambda refused)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from slipstream.cli.experiment_aws import run_on_aws
from slipstream.documents.experiment import ExperimentAnswer, ExperimentRequest

REPO = Path(__file__).resolve().parents[2]
CALLER = "arn:aws:sts::123456789012:assumed-role/ops/alice"


class Clients:
    def __init__(self, answer: dict[str, Any], error: bool = False) -> None:
        self.answer, self.error = answer, error
        self.sent: list[ExperimentRequest] = []

    def __call__(self, service: str) -> Any:
        return self

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # boto3's names
        assert StackName == "breast-cancer-dev-monitoring"
        return {"Stacks": [{"Outputs": [{"OutputKey": "ExperimentFunctionName", "OutputValue": "fn-1"}]}]}

    def get_caller_identity(self) -> dict[str, str]:
        return {"Arn": CALLER}

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        assert FunctionName == "fn-1"
        self.sent.append(ExperimentRequest.model_validate_json(Payload))
        failed = {"FunctionError": "Unhandled"} if self.error else {}
        return {"Payload": io.BytesIO(json.dumps(self.answer).encode()), **failed}


def test_promote_sends_the_callers_identity_and_reports_the_change(capsys) -> None:
    answer = ExperimentAnswer(
        running=False,
        acted="promote",
        decided_by=CALLER,
        decision="keep collecting",
        reason="not decided yet",
        champion_version="1",
        challenger_version="2",
    )
    clients = Clients(answer.model_dump(mode="json"))
    assert run_on_aws("promote", stage="dev", config_path=str(REPO / "slipstream.toml"), clients=clients) == 0
    assert clients.sent == [ExperimentRequest(action="promote", decided_by=CALLER)]
    out = capsys.readouterr().out
    assert "promoted the challenger (decided by arn:aws:sts::123456789012:assumed-role/ops/alice)" in out


def test_status_analyses_without_naming_a_decider_and_a_refusal_exits_1(capsys) -> None:
    refusal = {"errorMessage": "no experiment is running on breast-cancer", "errorType": "NoExperiment"}
    clients = Clients(refusal, error=True)
    assert run_on_aws("stop", stage="dev", config_path=str(REPO / "slipstream.toml"), clients=clients) == 1
    assert "refused stop: no experiment is running on breast-cancer" in capsys.readouterr().err
    quiet = Clients(ExperimentAnswer(running=False, acted="none", reason="no experiment is running").model_dump())
    assert run_on_aws("status", stage="dev", config_path=str(REPO / "slipstream.toml"), clients=quiet) == 0
    assert quiet.sent == [ExperimentRequest(action="analyse")]


def test_slipstream_experiment_with_stage_acts_on_aws_and_exits_with_its_code(monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from slipstream.cli import experiment_aws
    from slipstream.cli.main import app

    calls: list[tuple[str, str]] = []

    def fake(action: str, *, stage: str, config_path: str = "slipstream.toml", clients: Any = None) -> int:
        calls.append((action, stage))
        return 1

    monkeypatch.setattr(experiment_aws, "run_on_aws", fake)
    config = str(REPO / "slipstream.toml")
    for action in ("status", "promote", "stop"):
        result = CliRunner().invoke(app, ["experiment", action, "--stage", "dev", "--config", config])
        assert result.exit_code == 1, result.output
    assert calls == [("status", "dev"), ("promote", "dev"), ("stop", "dev")]
