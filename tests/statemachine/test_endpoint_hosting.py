"""Emulated SageMaker endpoints, as the deploy step creates them: CreateModel with the stack's serving environment,
a serverless endpoint config, CreateEndpoint / UpdateEndpoint / DeleteEndpoint, InvokeEndpoint through boto3.

The endpoint's container runs the image's serving stack on the image's Python and imports inference.py from
SAGEMAKER_SUBMIT_DIRECTORY (the sourcedir asset in S3), as the real container does: the model archive's own
code/inference.py is a different program here, so an answer from it would show the wrong code is served.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from sklearn.datasets import load_breast_cancer

from slipstream.local.stepfunctions import hosting, moto_extensions
from slipstream.local.strict.serverless import MB, ServerlessLimits
from slipstream.sourcedir import build_sourcedir
from tests.aws_roles import sagemaker_role_for_bucket
from tests.model.model_suite import REPO, train_in_image

# Needs no synthesis, only moto: a group of its own keeps the trained archives (module fixture) on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("endpoint-hosting")]
BUCKET, REGION = "assets", "us-east-1"
MODEL_COPY = """
def model_fn(model_dir):
    return {}

def transform_fn(model, body, content_type, accept):
    return '{"predictions": ["the model archive\\'s own copy answered"]}', "application/json"
"""


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("hosting")
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.copy()
    frame["target"] = data.target_names[data.target]
    (root / "train").mkdir()
    frame.to_csv(root / "train" / "train.csv", index=False)
    model = train_in_image(root / "job", root / "train")
    (model / "code" / "inference.py").write_text(MODEL_COPY, encoding="utf-8")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(model.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(model)), recursive=False)
    sourcedir = build_sourcedir(REPO, root / "sourcedir").read_bytes()  # the stack's asset, byte for byte
    return {"model.tar.gz": buffer.getvalue(), "sourcedir.tar.gz": sourcedir}


@pytest.fixture
def account(archives: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    moto_extensions.install()
    monkeypatch.setitem(moto_extensions.SERVERLESS, "limits", ServerlessLimits(max_payload_bytes=MB // 2))
    with mock_aws(config=moto_extensions.MOTO_CONFIG):  # type: ignore[call-overload]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        for key, body in archives.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        sagemaker_role_for_bucket(BUCKET)  # the endpoints download their model and code as this role
        clients = {name: boto3.client(name, region_name=REGION) for name in ("sagemaker", "sagemaker-runtime")}
        try:
            yield clients
        finally:
            moto_extensions.close_account()


def _deploy(sagemaker: Any, name: str, version: str, *, max_concurrency: int = 5, update: bool = False) -> dict:
    environment = {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{BUCKET}/sourcedir.tar.gz",
        "SLIPSTREAM_MODEL_VERSION": version,
    }
    container = {"Image": "sklearn", "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz", "Environment": environment}
    role = "arn:aws:iam::123456789012:role/sagemaker"
    sagemaker.create_model(ModelName=f"m{version}", ExecutionRoleArn=role, PrimaryContainer=container)
    serverless = {"MemorySizeInMB": 2048, "MaxConcurrency": max_concurrency}
    variant = {"VariantName": "AllTraffic", "ModelName": f"m{version}", "ServerlessConfig": serverless}
    sagemaker.create_endpoint_config(EndpointConfigName=f"c{version}", ProductionVariants=[variant])
    call = sagemaker.update_endpoint if update else sagemaker.create_endpoint
    call(EndpointName=name, EndpointConfigName=f"c{version}")
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] in ("Creating", "Updating")
    return sagemaker.describe_endpoint(EndpointName=name)


def _rows(n: int) -> list[dict[str, float]]:
    return load_breast_cancer(as_frame=True).data.head(n).to_dict(orient="records")


def _invoke(runtime: Any, name: str = "e", **call: Any) -> Any:
    return json.loads(runtime.invoke_endpoint(EndpointName=name, **call)["Body"].read())


def test_the_endpoint_serves_the_submit_directorys_inference_py(account) -> None:
    endpoint = _deploy(account["sagemaker"], "e", "4")
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    body = json.dumps({"instances": _rows(2)})
    answer = _invoke(account["sagemaker-runtime"], ContentType="application/json", Body=body)
    assert answer["predictions"] == ["malignant", "malignant"] and answer["model_version"] == "4"


def test_no_content_type_is_json_and_a_bad_request_is_a_400(account) -> None:
    _deploy(account["sagemaker"], "e", "1")
    runtime = account["sagemaker-runtime"]
    assert len(_invoke(runtime, Body=json.dumps(_rows(1)))["predictions"]) == 1
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(EndpointName="e", ContentType="application/json", Body='{"instances": [{}]}')
    assert raised.value.response["OriginalStatusCode"] == 400
    assert len(json.loads(raised.value.response["OriginalMessage"])["problems"]) == 30  # every feature named


def test_serverless_limits_answer_with_sagemakers_codes(account) -> None:
    _deploy(account["sagemaker"], "e", "1", max_concurrency=1)
    runtime = account["sagemaker-runtime"]
    with pytest.raises(runtime.exceptions.ValidationError, match="has oversize body"):
        runtime.invoke_endpoint(EndpointName="e", ContentType="application/json", Body=" " * (MB // 2 + 1))
    hosted = moto_extensions.endpoints._HOSTED[next(iter(moto_extensions.endpoints._HOSTED))]
    assert hosted.gate.limit == 1  # MaxConcurrency from the endpoint config's ServerlessConfig
    hosted.gate.enter()  # one invocation in flight
    try:
        with pytest.raises(runtime.exceptions.ClientError) as raised:
            runtime.invoke_endpoint(EndpointName="e", Body=json.dumps(_rows(1)))
        assert raised.value.response["Error"]["Code"] == "ThrottlingException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        hosted.gate.leave()
    with ThreadPoolExecutor(1) as pool:  # and answers again once it is free
        assert pool.submit(_invoke, runtime, Body=json.dumps(_rows(1))).result()["predictions"]


def test_update_replaces_the_container_and_delete_stops_it(account) -> None:
    sagemaker, runtime = account["sagemaker"], account["sagemaker-runtime"]
    _deploy(sagemaker, "e", "1")
    first = hosting.container_of(next(iter(moto_extensions.endpoints._HOSTED.values())))
    assert _deploy(sagemaker, "e", "2", update=True)["EndpointStatus"] == "InService"
    assert first.process is not None and first.process.poll() is not None  # the old config's server stopped
    assert _invoke(runtime, Body=json.dumps(_rows(1)))["model_version"] == "2"
    assert hosting.live_count() == 1
    (second,) = [hosting.container_of(h) for h in moto_extensions.endpoints._HOSTED.values()]
    sagemaker.delete_endpoint(EndpointName="e")
    assert second.process is not None and second.process.poll() is not None and hosting.live_count() == 0
    with pytest.raises(runtime.exceptions.ValidationError, match="Endpoint e of account 123456789012 not found"):
        runtime.invoke_endpoint(EndpointName="e", Body="[]")


def test_a_model_that_cannot_load_fails_the_ping_health_check(account, archives) -> None:
    program = b"def model_fn(model_dir):\n    raise RuntimeError('cannot load')\n\ndef transform_fn(*args):\n    pass\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("inference.py")
        info.size = len(program)
        tar.addfile(info, io.BytesIO(program))
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=BUCKET, Key="sourcedir.tar.gz", Body=buffer.getvalue())
    endpoint = _deploy(account["sagemaker"], "e", "1")
    assert endpoint["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check" in endpoint["FailureReason"]
    assert "cannot load" in endpoint["FailureReason"]  # the container log's tail says why
    assert hosting.live_count() == 0


def test_closing_the_account_stops_every_container(archives, monkeypatch, tmp_path: Path) -> None:
    from moto import mock_aws

    with mock_aws(config=moto_extensions.MOTO_CONFIG):  # type: ignore[call-overload]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        moto_extensions.install()
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        for key, body in archives.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        sagemaker_role_for_bucket(BUCKET)
        _deploy(boto3.client("sagemaker", region_name=REGION), "e", "1")
        (hosted,) = moto_extensions.endpoints._HOSTED.values()
        moto_extensions.close_account()
    container = hosting.container_of(hosted)
    assert container.process is not None and container.process.poll() is not None
    assert not moto_extensions.endpoints._HOSTED and hosting.live_count() == 0
    shutil.rmtree(tmp_path, ignore_errors=True)
