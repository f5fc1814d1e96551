"""`[observability.datadog]` in slipstream.toml: send the stack's telemetry to Datadog as well as CloudWatch.

Off by default. On, the CDK app instruments every Lambda with Datadog's CDK construct library (its Python layer
and the Datadog Extension; the API key is read from Secrets Manager at run time, never placed in a template or
an environment variable) and streams the project's CloudWatch namespaces to Datadog through a CloudWatch metric
stream and a Firehose delivery stream. CloudWatch alarms and Slack stay as they are. `[stages.<name>.datadog]`
overrides the site, the secret or the switch for one stage. docs/datadog.md says what it costs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

# What the Slipstream stacks publish or run on: the SageMaker endpoints and jobs, the API, the pipeline, the
# Lambdas, and our own EMF metrics (drift, live quality, experiments).
DEFAULT_NAMESPACES = ("AWS/SageMaker", "AWS/ApiGateway", "AWS/States", "AWS/Lambda", "Slipstream")
SITES = ("datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ddog-gov.com")
# Datadog's Firehose intake for CloudWatch metric streams, per site; US3 and the government site have none.
METRIC_INTAKE = {
    "datadoghq.com": "https://awsmetrics-intake.datadoghq.com/v1/input",
    "datadoghq.eu": "https://awsmetrics-intake.datadoghq.eu/v1/input",
    "us5.datadoghq.com": "https://event-platform-intake.us5.datadoghq.com/api/v2/awsmetrics?dd-protocol=aws-kinesis-firehose",
    "ap1.datadoghq.com": "https://event-platform-intake.ap1.datadoghq.com/api/v2/awsmetrics?dd-protocol=aws-kinesis-firehose",
}
SITE_PATTERN = "^(" + "|".join(site.replace(".", r"\.") for site in SITES) + ")$"
SECRET_NAME = r"^[A-Za-z0-9/_+=.@-]{1,512}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatadogConfig(_Strict):
    enabled: bool = Field(default=False, description="Instrument the Lambdas and stream metrics to Datadog.")
    site: str = Field(
        default="datadoghq.com", pattern=SITE_PATTERN, description=f"Your Datadog site: one of {', '.join(SITES)}."
    )
    api_key_secret: str | None = Field(
        default=None,
        pattern=SECRET_NAME,
        description="Secrets Manager secret (name) holding the Datadog API key as plain text "
        "(default: `<name>/datadog-api-key`). Create it before deploying.",
    )
    python_layer_version: int | None = Field(
        default=None, ge=1, description="Datadog-Python layer version (default: the construct library's)."
    )
    extension_layer_version: int | None = Field(
        default=None, ge=1, description="Datadog-Extension layer version (default: the construct library's)."
    )
    metric_stream: bool = Field(
        default=True, description="Stream the CloudWatch namespaces below to Datadog (a metric stream + Firehose)."
    )
    namespaces: list[str] = Field(
        default_factory=lambda: list(DEFAULT_NAMESPACES),
        min_length=1,
        description="CloudWatch namespaces the metric stream sends.",
    )

    metric_stream_secret: str | None = Field(
        default=None,
        pattern=SECRET_NAME,
        description='Secrets Manager secret (name) holding `{"api_key": "<key>"}`, the format Firehose reads for '
        "the metric stream (default: `<name>/datadog-api-key-firehose`).",
    )

    @model_validator(mode="after")
    def _site_takes_metric_streams(self) -> DatadogConfig:
        if self.enabled and self.metric_stream and self.site not in METRIC_INTAKE:
            raise ValueError(
                f"Datadog site {self.site!r} does not take CloudWatch metric streams; set metric_stream = false "
                f"(Datadog then polls CloudWatch) or use one of {', '.join(METRIC_INTAKE)}"
            )
        return self

    def secret_name(self, project: str) -> str:
        return self.api_key_secret or f"{project}/datadog-api-key"

    def metric_stream_secret_name(self, project: str) -> str:
        return self.metric_stream_secret or f"{project}/datadog-api-key-firehose"

    @property
    def metric_intake_url(self) -> str:
        return METRIC_INTAKE[self.site]


class ObservabilityConfig(_Strict):
    datadog: DatadogConfig = Field(default_factory=DatadogConfig, description="Datadog, optional (off by default).")


class DatadogStageConfig(_Strict):
    """`[stages.<name>.datadog]`: what differs for one stage; unset keys keep `[observability.datadog]`'s."""

    enabled: bool | None = Field(default=None, description="Turn Datadog on or off for this stage only.")
    site: str | None = Field(default=None, pattern=SITE_PATTERN, description="This stage's Datadog site.")
    api_key_secret: str | None = Field(
        default=None, pattern=SECRET_NAME, description="This stage's API key secret (name)."
    )
    metric_stream_secret: str | None = Field(
        default=None, pattern=SECRET_NAME, description="This stage's metric-stream secret (name)."
    )

    def applied_to(self, project: DatadogConfig) -> DatadogConfig:
        # Validated again as a whole: a stage's site must take metric streams too.
        return DatadogConfig.model_validate({**project.model_dump(), **self.model_dump(exclude_none=True)})
