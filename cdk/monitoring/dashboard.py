"""The one CloudWatch dashboard: API, predict Lambda, endpoint(s), pipeline, drift, experiment, notifier, alarms.

Built with cdk-monitoring-constructs: its API Gateway, Lambda, Step Functions and SQS sections give the usual
rate/latency-percentile/error widgets in a few lines. It has no SageMaker endpoint section, so the endpoint
and the drift metrics are custom groups of the same facade. Alarms stay in cdk/monitoring/alarms.py (names, descriptions
with runbook anchors), and appear here as one alarm status widget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cdk_monitoring_constructs as mc
from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.monitoring.experiment_widgets import experiment_groups
from cdk.shared.lambda_function import emf_dimensions
from cdk.shared.settings import DeploySettings

HOUR, FIVE_MINUTES = Duration.hours(1), Duration.minutes(5)


def dashboard_url(name: str) -> str:
    return f"https://console.aws.amazon.com/cloudwatch/home?region={Aws.REGION}#dashboards/dashboard/{name}"


class ServiceDashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        api: apigw.RestApi,
        api_stage: str,
        functions: Mapping[str, lambda_.IFunction],  # title -> function; the predict Lambda first
        endpoints: dict[str, str],
        state_machine: sfn.IStateMachine,
        dead_letters: sqs.IQueue,
        alarms: Sequence[cloudwatch.IAlarm],
        drift: bool,
        experiment: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = settings.prefix
        self.settings = settings
        facade = mc.MonitoringFacade(
            self,
            "Facade",
            dashboard_factory=mc.DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=self.name,
                create_dashboard=True,
                create_summary_dashboard=False,
                create_alarm_dashboard=False,
            ),
        )
        facade.add_large_header(f"Slipstream {settings.config.name} ({settings.stage_name})")
        facade.add_widget(cloudwatch.AlarmStatusWidget(alarms=list(alarms), title="Alarms", width=24))
        facade.monitor_api_gateway(api=api, api_stage=api_stage, human_readable_name="Prediction API")
        titles = iter(functions.items())
        title, predict = next(titles)
        facade.monitor_lambda_function(lambda_function=predict, human_readable_name=title)
        facade.monitor_custom(
            human_readable_name="SageMaker endpoints",
            alarm_friendly_name="Endpoints",
            metric_groups=self._endpoint_groups(endpoints),
        )
        facade.monitor_step_function(state_machine=state_machine, human_readable_name="Training pipeline")
        if drift:
            facade.monitor_custom(
                human_readable_name="Drift (PSI of captured traffic vs training baseline)",
                alarm_friendly_name="Drift",
                metric_groups=self._drift_groups(list(endpoints)),
            )
        if experiment:
            facade.monitor_custom(
                human_readable_name="Experiment (challenger vs champion on live outcomes)",
                alarm_friendly_name="Experiment",
                metric_groups=experiment_groups(settings),
            )
        for title, fn in titles:
            facade.monitor_lambda_function(lambda_function=fn, human_readable_name=title)
        facade.monitor_sqs_queue(queue=dead_letters, human_readable_name="Slack notifier dead letters")

    @property
    def url(self) -> str:
        return dashboard_url(self.name)

    @staticmethod
    def _endpoint_groups(endpoints: dict[str, str]) -> list[mc.CustomMetricGroup]:
        def metric(endpoint: str, name: str, statistic: str, label: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name=name,
                dimensions_map={"EndpointName": endpoint, "VariantName": "AllTraffic"},
                statistic=statistic,
                period=FIVE_MINUTES,
                label=label,
            )

        calls, errors, latency = [], [], []
        for variant, endpoint in endpoints.items():
            calls.append(metric(endpoint, "Invocations", "Sum", f"{variant} invocations"))
            errors += [
                metric(endpoint, "Invocation5XXErrors", "Sum", f"{variant} 5XX"),
                metric(endpoint, "InvocationModelErrors", "Sum", f"{variant} model errors"),
            ]
            latency.append(metric(endpoint, "ModelLatency", "p99", f"{variant} model latency p99 (µs)"))
        return [
            mc.CustomMetricGroup(title="Invocations", metrics=calls),
            mc.CustomMetricGroup(title="Errors", metrics=errors),
            mc.CustomMetricGroup(title="Model latency", metrics=latency),
        ]

    def _drift_groups(self, variants: list[str]) -> list[mc.CustomMetricGroup]:
        model, threshold = self.settings.config.name, self.settings.config.monitoring.drift_min_psi

        def metric(name: str, variant: str, statistic: str = "Maximum") -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="Slipstream",
                metric_name=name,
                dimensions_map=emf_dimensions("drift", Model=model, Variant=variant),
                statistic=statistic,
                period=HOUR,
                label=f"{variant} {name}",
            )

        def search(dimensions: str, terms: str, statistic: str) -> cloudwatch.MathExpression:
            # SEARCH: one line per feature / version / quality metric, whatever the drift Lambda published.
            query = f'{{Slipstream,Model,{dimensions}}} Model="{model}" {terms}'
            return cloudwatch.MathExpression(
                expression=f"SEARCH('{query}', '{statistic}', 3600)", label="", period=HOUR
            )

        line = cloudwatch.HorizontalAnnotation(value=threshold, label=f"PSI threshold {threshold:g}")
        return [
            mc.CustomMetricGroup(
                title="Max feature PSI and prediction PSI",
                metrics=[metric(n, v) for v in variants for n in ("MaxFeaturePsi", "PredictionPsi")],
                horizontal_annotations=[line],
            ),
            mc.CustomMetricGroup(
                title="PSI per feature",
                metrics=[search("ModelVersion,Feature", 'MetricName="FeaturePsi"', "Maximum")],
                horizontal_annotations=[line],
            ),
            mc.CustomMetricGroup(title="Drifted features", metrics=[metric("DriftedFeatures", v) for v in variants]),
            mc.CustomMetricGroup(
                title="Captured rows per model version",
                metrics=[search("ModelVersion", 'MetricName="CapturedRows"', "Sum")],
            ),
            # LiveAccuracy, LiveF1, LiveMae, ... per variant: SEARCH matches the "Live" token of each name.
            mc.CustomMetricGroup(
                title="Live quality per variant (from feedback)", metrics=[search("Variant", "Live", "Average")]
            ),
        ]
