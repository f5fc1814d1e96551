"""`slipstream promote --to`: bad input is named, exit 2, no traceback; the package it picks."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from slipstream.cli.main import app
from slipstream.cli.promote import PromotionError, find_package, promotion_request

CONFIG = '[data]\nsource = "sklearn:iris"\ntarget = "target"\ntask = "classification"\n'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "slipstream.toml"
    path.write_text(
        CONFIG + '\n[stages.dev]\nretrain = true\n[stages.staging]\npromote_from = "none"\nretrain = true\n'
    )
    return path


@pytest.mark.parametrize(
    ("target", "expected"),
    [("qa", "unknown stage 'qa'"), ("dev", "stage dev has no source"), ("staging", "stage staging has no source")],
)
def test_bad_stage_exits_2_with_the_reason(config: Path, target: str, expected: str) -> None:
    with mock_aws():
        result = CliRunner().invoke(app, ["promote", "--to", target, "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert "Traceback" not in result.output


def _package(sm, group: str, status: str) -> str:
    return sm.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://src-artifacts/models/abc/model.tar.gz"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]


def test_the_newest_approved_package_or_a_named_version() -> None:
    with mock_aws():
        sm = boto3.client("sagemaker", region_name="us-east-1")
        sm.create_model_package_group(ModelPackageGroupName="p-dev")
        with pytest.raises(PromotionError, match="no Approved model package"):
            find_package(sm, "p-dev", None)
        first = _package(sm, "p-dev", "Approved")
        _package(sm, "p-dev", "Rejected")
        assert find_package(sm, "p-dev", None)["ModelPackageArn"] == first
        with pytest.raises(PromotionError, match="version 2 of p-dev is Rejected, not Approved"):
            find_package(sm, "p-dev", 2)
        with pytest.raises(PromotionError, match="p-dev has no version 7"):
            find_package(sm, "p-dev", 7)
        request = promotion_request("dev", find_package(sm, "p-dev", 1))
        assert (request.run_id, request.source_bucket, request.model_package_arn) == (
            "promote-dev-1",
            "src-artifacts",
            first,
        )


@pytest.mark.parametrize("name", ["bc", "a" * 48])
def test_the_cli_names_the_group_the_stack_creates(tmp_path: Path, name: str) -> None:
    from cdk.shared.settings import DeploySettings
    from slipstream.cli.promote import group_name
    from slipstream.config import parse_config

    raw = {"name": name, "data": {"source": "sklearn:iris", "target": "target", "task": "classification"}}
    config = parse_config(raw, base_dir=tmp_path)
    for stage in ("dev", "staging", "prod"):
        settings = DeploySettings(config=config, stage_name=stage, stage=config.stage(stage))
        assert group_name(config, stage) == settings.model_package_group
