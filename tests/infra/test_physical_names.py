"""Every physical name the app sets fits its service's limit, for the longest project name the config accepts
(48 characters) and every stage: what CloudFormation would refuse at deploy time, or SageMaker at run time.

Also checks, on the same synthesis, that a non-default `data_prefix` reaches everything that uses it: the S3
trigger, StartPipeline, the GitHub deploy role and `cloud_run`'s upload key.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from slipstream.stage_config import STAGE_NAMES
from slipstream.steps.run_ids import MAX_RUN_ID_LENGTH
from tests.infra.conftest import INFRA_GROUP, stage_settings

pytestmark = INFRA_GROUP

LONGEST_NAME = "a-long-project-name-" + "x" * 27 + "z"  # hyphens included: the config allows them
DATA_PREFIX = "landing/zone/"
# (resource type, property) -> the longest name the service accepts. None: no documented limit.
LIMITS: dict[tuple[str, str], int | None] = {
    ("AWS::IAM::Role", "RoleName"): 64,
    ("AWS::IAM::Policy", "PolicyName"): 128,
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"): 128,
    ("AWS::Lambda::Function", "FunctionName"): 64,
    ("AWS::StepFunctions::StateMachine", "StateMachineName"): 80,
    ("AWS::SageMaker::ModelPackageGroup", "ModelPackageGroupName"): 63,
    ("AWS::S3::Bucket", "BucketName"): 63,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
    ("AWS::CloudWatch::Alarm", "AlarmName"): 255,
    ("AWS::CloudWatch::Dashboard", "DashboardName"): 255,
    ("AWS::SecretsManager::Secret", "Name"): 512,
    ("AWS::SNS::Topic", "TopicName"): 256,
    ("AWS::SQS::Queue", "QueueName"): 80,
    ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamName"): 64,
    ("AWS::DynamoDB::Table", "TableName"): 255,
    ("AWS::Events::Rule", "Name"): 64,
    ("AWS::KMS::Alias", "AliasName"): 256,
    ("AWS::ApiGateway::Stage", "StageName"): 128,
    ("AWS::ApiGateway::RestApi", "Name"): None,
    ("AWS::ApiGateway::UsagePlan", "UsagePlanName"): None,
    ("AWS::ApiGateway::ApiKey", "Name"): None,
    ("AWS::Glue::Table", "DatabaseName"): 255,
    ("AWS::Athena::WorkGroup", "Name"): 128,
    ("AWS::Athena::NamedQuery", "Name"): 128,
}
NOT_NAMES = {"MetricName", "Namespace", "DisplayName"}  # properties ending in "Name" that name nothing we create
# Per-run SageMaker names in the state machine (CreateTrainingJob etc.): 63 characters.
SAGEMAKER_NAMES = {"TrainingJobName", "ProcessingJobName", "ModelName", "EndpointConfigName", "EndpointName"}
SAGEMAKER_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
LONGEST_RUN_ID = "force-202612312359-" + "f" * (MAX_RUN_ID_LENGTH - len("force-202612312359-"))


@pytest.fixture(scope="module", params=STAGE_NAMES)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    from aws_cdk import App

    from cdk.app import build_app

    settings = stage_settings(data_prefix=DATA_PREFIX, retrain=True)  # every stage trains: its longest names
    settings = replace(
        settings,
        config=settings.config.model_copy(update={"name": LONGEST_NAME}),
        stage_name=request.param,
    )
    outdir = tmp_path_factory.mktemp(f"cdk.out-{request.param}")
    cdk_app = App(outdir=str(outdir))
    build_app(cdk_app, settings)  # CDK itself refuses some names already here (an IAM role's, for one)
    cdk_app.synth()
    templates = {p.name: json.loads(p.read_text()) for p in Path(outdir).glob("*.template.json")}
    return settings, templates


def test_every_name_in_the_templates_fits_its_limit(app: tuple[Any, dict[str, Any]]) -> None:
    _, templates = app
    problems, checked = [], 0
    for template_name, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            for key, value in resource.get("Properties", {}).items():
                if not key.endswith("Name") or key in NOT_NAMES or not isinstance(value, str):
                    continue  # a reference ({"Ref": ...}) names a resource created elsewhere
                where = f"{template_name} {logical_id}.{key} = {value!r} ({len(value)})"
                if (resource["Type"], key) not in LIMITS:
                    problems.append(f"{where}: add its service's limit to LIMITS")
                    continue
                limit = LIMITS[(resource["Type"], key)]
                checked += 1
                if limit is not None and len(value) > limit:
                    problems.append(f"{where}: longer than {limit}")
    assert problems == []
    assert checked >= 15  # the state machine, the package group, the deploy role, alarms, dashboard...


def _sagemaker_names(node: Any, found: list[str]) -> list[str]:
    """Every SageMaker name the definition passes, with States.Format('<template>', $.run_id) filled in."""
    if isinstance(node, dict):
        for key, value in node.items():
            name = key.removesuffix(".$")
            if name in SAGEMAKER_NAMES and isinstance(value, str):
                formatted = re.fullmatch(r"States\.Format\('([^']*)', \$\.run_id\)", value)
                if formatted:
                    found.append(formatted.group(1).replace("{}", LONGEST_RUN_ID))
                elif not key.endswith(".$"):
                    found.append(value)
            _sagemaker_names(value, found)
    elif isinstance(node, list):
        for item in node:
            _sagemaker_names(item, found)
    return found


def test_sagemaker_names_fit_with_the_longest_run_id(app: tuple[Any, dict[str, Any]]) -> None:
    from cdk.pipeline.doc import definition_from_template

    settings, templates = app
    pipeline = templates[f"{settings.prefix}-pipeline.template.json"]
    names = _sagemaker_names(definition_from_template(pipeline), [])
    assert f"{settings.job_prefix}-{LONGEST_RUN_ID}-train" in names and settings.endpoint_name in names
    assert [n for n in names if not SAGEMAKER_PATTERN.fullmatch(n)] == []
    experiment = settings.config.experiment.model_copy(update={"weight": 0.1})
    challenger = replace(settings, config=settings.config.model_copy(update={"experiment": experiment}))
    name = challenger.challenger_endpoint_name
    assert SAGEMAKER_PATTERN.fullmatch(name) and name.endswith("-challenger") and name != settings.endpoint_name


def test_names_stay_distinct_for_long_names_that_share_a_start() -> None:
    settings = stage_settings()
    first, second = (
        replace(settings, config=settings.config.model_copy(update={"name": LONGEST_NAME[:-1] + last})) for last in "yz"
    )
    for attribute in ("job_prefix", "github_deploy_role_name"):
        assert getattr(first, attribute) != getattr(second, attribute), attribute
    assert stage_settings().job_prefix == "breast-cancer-dev"  # short names are left as they are


def test_a_non_default_data_prefix_reaches_the_trigger_start_pipeline_and_the_deploy_role(
    app: tuple[Any, dict[str, Any]], tmp_path: Path
) -> None:
    import boto3
    from moto import mock_aws

    from slipstream.cli.cloud_run import upload_dataset

    settings, templates = app
    pipeline = json.dumps(templates[f"{settings.prefix}-pipeline.template.json"])
    assert json.dumps({"prefix": DATA_PREFIX}) in pipeline  # the S3 "Object Created" rule
    assert f'"DATA_PREFIX": "{DATA_PREFIX}"' in pipeline  # StartPipeline's scheduled runs list it
    deploy_role = json.dumps(templates[f"{settings.prefix}-github-deploy.template.json"])
    assert f"/{DATA_PREFIX}*" in deploy_role
    config = settings.config.model_copy(update={"stages": {settings.stage_name: settings.stage}})
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="data")
        key, _ = upload_dataset(config, s3, "data", stage=settings.stage_name)
    assert key.startswith(DATA_PREFIX)
