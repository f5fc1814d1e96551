"""The deployment record seam: what each writer writes, each reader reads as the writer meant it.

Writers: `slipstream serve` (plan.variant_record, from a registry version) and the RecordDeployment Lambda
(lambdas/record_deployment). Readers: the predict Lambda (routing, the answer's version, GET /model), the
drift Lambda (each version's baseline) and `slipstream run --engine stepfunctions` (the closing summary).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from rich.console import Console

from lambdas.common.captures import read_deployment
from lambdas.drift.sources import baseline_uris
from lambdas.predict.documents import CachedDocument
from lambdas.predict.schema import ModelResponse
from lambdas.record_deployment.logic import RecordRequest, record_deployment
from slipstream.config import load_config
from slipstream.documents.deployment import DeploymentRecord
from slipstream.local.registry import VersionInfo
from slipstream.local.serving.plan import variant_record
from slipstream.local.stepfunctions.console_view import print_closing
from slipstream.steps.gate import GateDecision
from tests.unit.serving.conftest import ROW

REPO = Path(__file__).resolve().parents[3]
GATE = GateDecision(
    passed=True,
    metric="roc_auc",
    value=0.99,
    threshold=0.9,
    champion_value=None,
    baseline=None,
    champion=None,
    reasons=["ok"],
    baseline_figures="none",
    champion_figures="none",
)
# evaluation.json's importance as the evaluation job writes it (training/feature_importance.py).
IMPORTANCE = {
    "method": "permutation",
    "metric": "roc_auc",
    "orientation": "as is",
    "repeats": 5,
    "seed": 42,
    "rows": 10,
    "rows_used": 10,
    "noise_rule": "mean - 2 std > 0",
    "features": [{"feature": "mean radius", "mean": 0.2, "std": 0.01, "distinguishable": True}],
    "note": None,
    "flags": [{"kind": "top_feature_sensitive", "feature": "mean radius", "message": "listed as sensitive"}],
}


def local_record() -> str:
    """What `slipstream serve` writes for a champion registered by run r-local."""
    tags = {"gate.decision": "passed", "data.sha256": "cd" * 32, "git.commit": "abc123", "slipstream.run_id": "r-local"}
    info = VersionInfo(
        version="2", run_id="mlflow-run", metrics={"roc_auc": 0.98}, tags=tags, created_at=1_700_000_000_000
    )
    champion = variant_record(info.as_dict(), "cancer-champion", "# card", {"importance": IMPORTANCE})
    return DeploymentRecord(champion=champion).to_json()


def aws_record() -> str:
    """What the RecordDeployment Lambda writes to S3 for run r-aws (moto stands in for S3 and SageMaker)."""
    with mock_aws():
        s3, sagemaker = boto3.client("s3", region_name="us-east-1"), boto3.client("sagemaker", region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        documents = {
            "evaluation/evaluation.json": {"metrics": {"roc_auc": 0.99}, "n_test_rows": 10, "importance": IMPORTANCE},
            "contract.json": {"features": [{"name": "mean radius", "kind": "numeric"}], "labels": ["a", "b"]},
            "validation.json": {"rows": 50},
        }
        for name, document in documents.items():
            s3.put_object(Bucket="artifacts", Key=f"runs/r-aws/{name}", Body=json.dumps(document).encode())
        sagemaker.create_model_package_group(ModelPackageGroupName="g")
        arn = sagemaker.create_model_package(ModelPackageGroupName="g", ModelApprovalStatus="Approved")
        request = RecordRequest(
            run_id="r-aws",
            endpoint_name="cancer-dev",
            model_package_arn=arn["ModelPackageArn"],
            gate=GATE,
            data_uri="s3://data/incoming/cancer.csv",
            data_sha256="ab" * 32,
            evaluation_uri="s3://artifacts/runs/r-aws/evaluation/evaluation.json",
            contract_uri="s3://artifacts/runs/r-aws/contract.json",
            baseline_uri="s3://artifacts/models/r-aws/baseline.json",
            report_uri="s3://artifacts/runs/r-aws/validation.json",
        )
        uri = "s3://artifacts/deployment/deployment.json"
        record_deployment(
            request, load_config(REPO / "slipstream.toml"), s3=s3, sagemaker=sagemaker, deployment_uri=uri
        )
        return s3.get_object(Bucket="artifacts", Key="deployment/deployment.json")["Body"].read().decode()


WRITERS = {"slipstream serve": local_record, "RecordDeployment": aws_record}
EXPECTED = {"slipstream serve": ("2", "r-local"), "RecordDeployment": ("1", "r-aws")}


@pytest.fixture(params=sorted(WRITERS), scope="module")
def written(request) -> tuple[str, str]:
    return request.param, WRITERS[request.param]()


def test_every_writer_writes_a_deployment_record(written) -> None:
    writer, body = written
    champion = DeploymentRecord.model_validate_json(body).champion
    assert champion is not None and (champion.version, champion.run_id) == EXPECTED[writer]
    assert champion.gate == "passed" and champion.metrics and champion.model_card
    if writer == "RecordDeployment":  # renders the card from evaluation.json: the flag is a visible warning
        assert "> **Warning:** listed as sensitive." in champion.model_card


def test_the_predict_lambda_routes_and_describes_by_it(written, service, runtime, tmp_path) -> None:
    writer, body = written
    (tmp_path / "deployment.json").write_text(body)
    uri = (tmp_path / "deployment.json").as_uri()
    service.deployment = CachedDocument(uri, 60, lambda: None, DeploymentRecord.model_validate)
    runtime.version = None  # the endpoint does not say: the answer takes the record's version
    answer = service.predict([ROW], caller_id=None, request_id="r1")
    assert service.deployment.last_error is None
    assert answer.body["model_version"] == EXPECTED[writer][0]
    model = ModelResponse(**service.describe())
    assert model.champion is not None and model.champion.version == EXPECTED[writer][0]
    # GET /model: the importance and its flags, as the evaluation job wrote them.
    assert model.champion.importance is not None
    assert model.champion.importance.model_dump(mode="json") == IMPORTANCE


def test_the_drift_lambda_finds_each_versions_baseline(written) -> None:
    writer, body = written
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        s3.put_object(Bucket="artifacts", Key="deployment/deployment.json", Body=body.encode())
        deployment = read_deployment(s3, "s3://artifacts/deployment/deployment.json")
    assert deployment is not None
    version, run_id = EXPECTED[writer]
    expected = {"RecordDeployment": "s3://artifacts/models/r-aws/baseline.json"}  # the retained copy
    assert baseline_uris(deployment, "artifacts") == {
        version: expected.get(writer, f"s3://artifacts/runs/{run_id}/baseline.json")
    }


def test_the_stepfunctions_engine_names_the_model_serving(written) -> None:
    writer, body = written
    console = Console(file=io.StringIO(), width=200)
    facts = {
        "execution": "e1",
        "status": "SUCCEEDED",
        "notifications": [],
        "champion": DeploymentRecord.model_validate_json(body).champion,
        "run_dir": "runs/e1",
        "seconds": 1.0,
        "account": "acct",
        "started": datetime.now(UTC),
    }
    print_closing(console, facts)
    version, run_id = EXPECTED[writer]
    assert f"version {version} (run {run_id}) serves" in console.file.getvalue()  # type: ignore[attr-defined]
