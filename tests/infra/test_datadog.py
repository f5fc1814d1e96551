"""`[observability.datadog]` on: every Lambda instrumented by Datadog's construct library, the metric stream in
its own stack, the API key only ever referenced by secret, cdk-nag and cfn-lint clean. Off is the default
synthesis the other infra tests check (and the construct-ID snapshot pins)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint

from cdk.shared.settings import DeploySettings
from slipstream.config import ConfigError, load_config
from slipstream.observability_config import DEFAULT_NAMESPACES, METRIC_INTAKE
from tests.infra.conftest import INFRA_GROUP, stage_settings

pytestmark = INFRA_GROUP
DATADOG_ACCOUNT = "464622532012"  # where Datadog publishes its Lambda layers


def with_datadog(settings: DeploySettings, **datadog: Any) -> DeploySettings:
    observability = settings.config.observability
    config = settings.config.model_copy(
        update={
            "observability": observability.model_copy(
                update={"datadog": observability.datadog.model_validate({"enabled": True, **datadog})}
            )
        }
    )
    return replace(settings, config=config)


@pytest.fixture(scope="module")
def on(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from aws_cdk import App

    from cdk.app import build_app

    outdir = tmp_path_factory.mktemp("cdk-datadog")
    app = App(outdir=str(outdir))
    stacks = build_app(app, with_datadog(stage_settings(), site="datadoghq.eu"))
    assembly = app.synth()
    templates = {key: assembly.get_stack_by_name(stack.stack_name).template for key, stack in stacks.items()}
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    return {"templates": templates, "report": report}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}


def ours(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Slipstream's functions (Powertools' service name set), not CDK's own custom-resource handlers."""
    return {
        k: p
        for k, p in functions(template).items()
        if "POWERTOOLS_SERVICE_NAME" in p.get("Environment", {}).get("Variables", {})
    }


def test_every_slipstream_lambda_runs_under_datadog(on: dict[str, Any]) -> None:
    seen = 0
    for name, template in on["templates"].items():
        for logical, function in ours(template).items():
            seen += 1
            variables = function["Environment"]["Variables"]
            layers = json.dumps(function["Layers"])
            assert f"{DATADOG_ACCOUNT}:layer:Datadog-Python311-ARM" in layers, (name, logical)
            assert f"{DATADOG_ACCOUNT}:layer:Datadog-Extension-ARM" in layers, (name, logical)
            assert function["Handler"] == "datadog_lambda.handler.handler", (name, logical)
            assert variables["DD_LAMBDA_HANDLER"].endswith("handler.handler"), (name, logical)
            assert variables["DD_SITE"] == "datadoghq.eu"
            assert variables["DD_ENV"] == "dev" and variables["DD_SERVICE"] == "breast-cancer"
            assert "DD_API_KEY" not in variables and "DD_API_KEY_SECRET_ARN" in variables
            assert variables.get("DD_CAPTURE_LAMBDA_PAYLOAD", "false") == "false"  # features stay out of traces
    assert seen >= 8  # pipeline, serving and monitoring functions


def test_the_api_key_is_read_from_secrets_manager_only(on: dict[str, Any]) -> None:
    for name, template in on["templates"].items():
        for logical, function in ours(template).items():
            arn = json.dumps(function["Environment"]["Variables"]["DD_API_KEY_SECRET_ARN"])
            assert "breast-cancer/datadog-api-key" in arn, (name, logical, arn)
        text = json.dumps(template)
        assert '"AccessKey"' not in text, name  # Firehose's plain-text key field is never used


def test_metric_stream_sends_the_project_namespaces_to_the_site(on: dict[str, Any]) -> None:
    resources = on["templates"]["datadog"]["Resources"]
    (stream,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::MetricStream"]
    assert [f["Namespace"] for f in stream["IncludeFilters"]] == list(DEFAULT_NAMESPACES)
    assert stream["OutputFormat"] == "opentelemetry0.7"
    (delivery,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::KinesisFirehose::DeliveryStream"]
    http = delivery["HttpEndpointDestinationConfiguration"]
    assert http["EndpointConfiguration"]["Url"] == METRIC_INTAKE["datadoghq.eu"]
    assert "AccessKey" not in http["EndpointConfiguration"]
    assert http["SecretsManagerConfiguration"]["Enabled"] is True
    assert "breast-cancer/datadog-api-key-firehose" in json.dumps(http["SecretsManagerConfiguration"]["SecretARN"])
    assert http["S3BackupMode"] == "FailedDataOnly"
    assert http["S3Configuration"]["Prefix"] == "datadog/failed/"


def test_failed_metrics_expire_with_the_captures(on: dict[str, Any]) -> None:
    text = json.dumps(on["templates"]["storage"])
    assert '"Id": "expire-datadog-failed"' in text and '"Prefix": "datadog/failed/"' in text


def test_cdk_nag_and_cfn_lint_stay_clean(on: dict[str, Any]) -> None:
    nag = next(r for r in on["report"]["pluginReports"] if r["pluginName"] == "AwsSolutions")
    assert nag["violations"] == [], json.dumps(nag["violations"], indent=1)[:4000]
    for name in ("datadog", "serving", "storage"):
        errors = [m for m in lint(json.dumps(on["templates"][name])) if m.rule.id.startswith("E")]
        assert not errors, f"{name}: " + "\n".join(str(m) for m in errors)


def test_a_stage_can_turn_it_off_or_use_another_site(tmp_path: Path) -> None:
    config = tmp_path / "slipstream.toml"
    config.write_text(
        'name = "p"\n[data]\nsource = "sklearn:iris"\ntarget = "target"\ntask = "classification"\n'
        "[observability.datadog]\nenabled = true\n"
        "[stages.dev.datadog]\nenabled = false\n"
        '[stages.prod.datadog]\nsite = "us5.datadoghq.com"\napi_key_secret = "prod/dd"\n'
    )
    loaded = load_config(config)
    dev = DeploySettings(loaded, "dev", loaded.stages["dev"])
    prod = DeploySettings(loaded, "prod", loaded.stages["prod"])
    assert dev.datadog is None
    assert prod.datadog is not None and prod.datadog.metric_intake_url == METRIC_INTAKE["us5.datadoghq.com"]
    assert prod.datadog.secret_name("p") == "prod/dd"


def test_a_site_without_metric_streams_is_refused_by_name(tmp_path: Path) -> None:
    config = tmp_path / "slipstream.toml"
    body = 'name = "p"\n[data]\nsource = "sklearn:iris"\ntarget = "target"\ntask = "classification"\n'
    config.write_text(body + '[observability.datadog]\nenabled = true\nsite = "us3.datadoghq.com"\n')
    with pytest.raises(ConfigError, match=r"us3\.datadoghq\.com"):
        load_config(config)
    config.write_text(body + '[observability.datadog]\nenabled = true\n[stages.prod.datadog]\nsite = "ddog-gov.com"\n')
    with pytest.raises(ConfigError, match=r"stages\.prod\.datadog.*ddog-gov\.com"):
        load_config(config)
