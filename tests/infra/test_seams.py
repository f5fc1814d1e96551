"""One test per pipeline Lambda seam: what the writer (the Lambda's logic) really returns is what its readers
accept: every path the real state machine reads from it, every later Lambda's request built from it, and the
local runtime's readers. Break either side (rename a field in a writer, a path in cdk/pipeline) and it fails.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from cdk.pipeline.payloads import read_paths
from cdk.pipeline.results import DEPLOYMENT_RECORD, EXECUTION, GATE, SMOKE, VALIDATION, Result
from lambdas.quality_gate.logic import judge
from lambdas.start_pipeline.logic import run_for_new_object
from slipstream.config import load_config
from slipstream.contract import Contract, Feature
from slipstream.documents.gate import CardSources, GateDecision, GateRequest
from slipstream.documents.record import RecordOutput, RecordRequest
from slipstream.documents.run import ObjectCreated, RunRequest
from slipstream.documents.smoke import SmokeRequest
from slipstream.documents.validation import ValidationOutput
from slipstream.model_card import render_model_card
from slipstream.steps.smoke_test import endpoint_post, smoke_test
from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP

REQUESTS = {"ValidateData": RunRequest, "QualityGate": GateRequest, "SmokeTest": SmokeRequest}
REQUESTS |= {"RecordDeployment": RecordRequest}
CONFIG = load_config("slipstream.toml")
_ROC_AUC = {
    "challenger": 0.99,
    "baseline": 0.5,
    "champion": None,
    "vs_baseline": {"difference": 0.49, "low": 0.45, "high": 0.5, "resamples": 2000},
    "vs_champion": None,
}
EVALUATION = {  # the parts of training/evaluation_run.py's report the gate reads (tests/unit/test_gate_seam.py)
    "task": "classification",
    "n_test_rows": 114,
    "metrics": {"roc_auc": 0.99},
    "champion_metrics": None,
    "comparison": {
        "method": "paired bootstrap",
        "resamples": 2000,
        "confidence": 0.95,
        "seed": 42,
        "rows": 114,
        "rows_resampled": 114,
        "baseline": {"kind": "majority class", "value": "benign", "source": "training data", "note": None},
        "metrics": {"roc_auc": _ROC_AUC},
    },
    "behaviour": {"passed": True, "tests": []},
}


class _S3:
    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(json.dumps(self.documents[f"s3://{Bucket}/{Key}"]).encode())}


class _Runtime:
    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        return {"Body": io.BytesIO(json.dumps({"predictions": ["benign"]}).encode())}


def execution_input() -> dict[str, Any]:
    event = {
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "data"}, "object": {"key": "a.csv", "etag": "e1"}},
    }
    return run_for_new_object(ObjectCreated.model_validate(event)).model_dump(mode="json")


def validation_output() -> dict[str, Any]:
    """ValidateData's answer as its logic builds it (the logic itself runs against moto in test_validate_lambda)."""
    names = {name: f"s3://artifacts/runs/r1/{name}" for name in ValidationOutput.model_fields if name.endswith("_uri")}
    output = ValidationOutput(
        **names, data_sha256="ab" * 32, data_label="s3://data/a.csv", is_new_contract=True, rows={"train": 8}
    )
    return output.model_dump(mode="json")


def gate_output() -> dict[str, Any]:
    # As card_sources() writes them for a config without [tuning] (CONFIG has none): no tuning job to read.
    sources = {name: f"s3://artifacts/{name}" for name in CardSources.model_fields if name != "tuning_job"}
    request = GateRequest(run_id="r1", evaluation_uri="s3://artifacts/e.json", card=CardSources(**sources))
    documents = {"s3://artifacts/e.json": EVALUATION, sources["contract_uri"]: {"features": []}}
    return judge(request, CONFIG, s3=_S3(documents)).model_dump(mode="json")


def smoke_output() -> dict[str, Any]:
    feature = Feature(name="x", kind="numeric", dtype="float64", null_rate=0.0)
    contract = Contract(
        target="y",
        task="classification",
        features=[feature],
        labels=["benign"],
        row_count=10,
        duplicate_rate=0.0,
        created_at=datetime.now(UTC),
    )
    return smoke_test(endpoint_post(_Runtime(), "endpoint"), "endpoint", contract).model_dump(mode="json")


def record_output() -> dict[str, Any]:
    return RecordOutput(uri="s3://artifacts/deployment.json", version="1").model_dump(mode="json")


WRITERS = {"execution": execution_input, "validation": validation_output, "gate": gate_output}
WRITERS |= {"smoke": smoke_output, "deployment_record": record_output}
RESULTS = {"execution": EXECUTION, "validation": VALIDATION, "gate": GATE, "smoke": SMOKE}
RESULTS |= {"deployment_record": DEPLOYMENT_RECORD}


def execution_state() -> dict[str, Any]:
    state = dict(WRITERS["execution"]())
    for name, result in RESULTS.items():
        if result.names():
            state[result.names()[0]] = WRITERS[name]()
    return state


def _segments(path: str) -> list[str | int]:
    return [name or int(index) for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", path)]


def lookup(state: dict[str, Any], path: str) -> Any:
    value: Any = state
    for part in _segments(path):
        value = value[part]
    return value


def _under(path: str, result: Result) -> bool:
    if not result.names():
        return path.split(".")[1].split("[")[0] in result.model.model_fields
    return path == result.path or path.startswith(result.path + ".")


def render(parameters: Any, state: dict[str, Any]) -> Any:
    """A payload as Step Functions builds it: paths into the writers' documents read from the state; other
    paths (Pass states', services') and intrinsics stand in as strings."""
    if not isinstance(parameters, dict):
        return parameters
    return {key.removesuffix(".$"): _value(key, value, state) for key, value in parameters.items()}


def _value(key: str, value: Any, state: dict[str, Any]) -> Any:
    if not key.endswith(".$"):
        return render(value, state)
    if value.startswith("$.") and any(_under(value, result) for result in RESULTS.values()):
        return lookup(state, value)
    return "s3://stand-in/for/a/value/from/elsewhere"


@pytest.fixture(scope="module")
def states(definition) -> dict[str, Any]:
    return definition["States"]


def test_every_pipeline_lambda_has_its_request_document(states):
    # payload_response_only: the Resource is the function itself (rendered as the template's GetAtt).
    lambdas = {name for name, s in states.items() if s.get("Type") == "Task" and "Function" in str(s["Resource"])}
    assert lambdas == set(REQUESTS)


@pytest.mark.parametrize("name", list(WRITERS))
def test_what_the_writer_returns_every_reader_accepts(states, name):
    result, state = RESULTS[name], execution_state()
    reads = [(sid, p) for sid, s in states.items() for p in read_paths(s) if _under(p, result)]
    assert reads, f"nothing reads {result.path}"
    for state_id, path in reads:
        assert lookup(state, path) is not None or path.endswith("champion_value"), f"{state_id} reads {path}"
    for state_id, s in states.items():
        if s.get("Type") == "Choice":
            for choice in s["Choices"]:
                if "BooleanEquals" in choice and _under(choice["Variable"], result):
                    assert isinstance(lookup(state, choice["Variable"]), bool), f"{state_id} on {choice['Variable']}"
    for state_id, request in REQUESTS.items():
        if any(_under(path, result) for path in read_paths(states[state_id])):
            request.model_validate(render(states[state_id]["Parameters"], state))


def test_the_gate_decision_is_what_the_local_runtime_and_the_model_card_read():
    output = gate_output()
    decision = GateDecision.model_validate(output)  # slipstream.local.stepfunctions.engine reads it so
    card = render_model_card(CONFIG, evaluation=EVALUATION, decision=decision, contract={}, lineage={}, report={})
    assert decision.metric in card
    required = [n for n, f in RecordRequest.model_fields.items() if f.is_required()]
    record = RecordRequest.model_validate({**{n: "x" for n in required}, "gate": output})
    assert record.gate == decision
