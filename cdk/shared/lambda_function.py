"""The one Lambda construct: every Slipstream function is built here, so they all share the same defaults.

arm64 (cheaper per ms), Python 3.11 (the project's version), JSON logs into a log group we own with a
retention, X-Ray active tracing, Powertools from its public layer, a role of its own, and an environment
that holds typed values: each value is serialised here and parsed again by the handler's env model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk.shared.lambda_asset import stage_lambda
from cdk.shared.nag import acknowledge
from cdk.shared.settings import PROJECT_ROOT, LambdaDefaults

RUNTIME = lambda_.Runtime.PYTHON_3_11
POWERTOOLS_SSM = "/aws/service/powertools/python/arm64/python3.11/{version}"


def powertools_layer(scope: Construct, version: str) -> lambda_.ILayerVersion:
    """The Powertools public layer for this region, looked up at deploy time (not synth: no network, no account).

    Powertools publishes one SSM public parameter per release and region; pinning the release to the one
    in requirements.lock gives Lambda the same library the tests ran with. The layer bundles pydantic v2
    (built for the layer's architecture), which our env and event models need.
    """
    stack = Stack.of(scope)
    layer_id = f"PowertoolsLayer{version.replace('.', '')}"
    existing = stack.node.try_find_child(layer_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    arn = ssm.StringParameter.value_for_string_parameter(stack, POWERTOOLS_SSM.format(version=version))
    return lambda_.LayerVersion.from_layer_version_arn(stack, layer_id, arn)


# AWS-managed "AWS SDK for pandas" layer (pandas, numpy, pyarrow) for Python 3.11 arm64. Its version
# number differs by region (docs: aws-sdk-pandas.readthedocs.io/en/stable/layers.html); version 30 is
# published in the regions served by account 336392948345. Set `pandas_layer_arn` per stage to pin another.
PANDAS_LAYER = "arn:${AWS::Partition}:lambda:${AWS::Region}:336392948345:layer:AWSSDKPandas-Python311-Arm64:30"


def pandas_layer(scope: Construct, pinned_arn: str | None) -> lambda_.ILayerVersion:
    """The AWS SDK for pandas layer, as `scope`'s child "PandasLayer": the stage's pinned ARN, else AWS's."""
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PandasLayer", pinned_arn or Fn.sub(PANDAS_LAYER))


def emf_dimensions(function: str, **dimensions: str) -> dict[str, str]:
    """The dimensions of a metric that our Lambda `function` publishes through Powertools (EMF). Powertools adds
    `service` (its POWERTOOLS_SERVICE_NAME, which SlipstreamFunction sets to the function's name) to every data
    point, and CloudWatch treats another dimension set as another metric: an alarm without it gets no data."""
    return {**dimensions, "service": function}


def _env_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


class SlipstreamFunction(Construct):
    """One Lambda function, its role and its log group. `function` is the `lambda_.Function`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        description: str,
        environment: Mapping[str, Any],
        defaults: LambdaDefaults,
        extra_layers: Sequence[lambda_.ILayerVersion] = (),
        memory_mb: int = 256,
        timeout_seconds: int = 60,
        reserved_concurrency: int | None = None,
        slipstream_modules: tuple[str, ...] = (),
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=retention(defaults.log_retention_days),
            removal_policy=removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name} Lambda: only what this function touches",
        )
        # Instead of AWSLambdaBasicExecutionRole (which grants logs on every group): write to our group only.
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            code=lambda_.Code.from_asset(str(stage_lambda(PROJECT_ROOT, name, slipstream_modules))),
            handler=f"lambdas.{name}.handler.handler",
            role=self.role,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_seconds),
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            layers=[powertools_layer(self, defaults.powertools_version), *extra_layers],
            environment={
                "POWERTOOLS_SERVICE_NAME": name,
                **{key: _env_value(value) for key, value in environment.items()},
            },
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )


# CloudWatch accepts only these retention periods (days).
_RETENTION = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


def retention(days: int) -> logs.RetentionDays:
    """The shortest allowed retention that keeps logs at least `days` days."""
    allowed = next((value for value in sorted(_RETENTION) if value >= days), 3653)
    return getattr(logs.RetentionDays, _RETENTION[allowed])
