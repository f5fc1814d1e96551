"""The scheduled drift Lambda (lambdas/drift): captured traffic vs the training baselines, as CloudWatch metrics.

Reads `captures/data/` (the capture stream's objects), the deployment record, each version's
`runs/<run_id>/baseline.json`, and scans the feedback table. Publishes `Slipstream` metrics (see
lambdas/drift/publish.py) that the drift alarm and the dashboard watch.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.serving.feedback_store import FeedbackStore
from cdk.shared.lambda_function import SlipstreamFunction, pandas_layer
from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.settings import DeploySettings
from slipstream.layout import BASELINE, DEPLOYMENT_KEY, retained_key, run_key


class DriftFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        artifact_bucket: s3.IBucket,
        capture_prefix: str,
        feedback: FeedbackStore,
        artifact_ref: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stage = settings.stage
        pandas = pandas_layer(self, stage.pandas_layer_arn)
        self.fn = SlipstreamFunction(
            self,
            "Drift",
            name="drift",
            description="Drift: PSI of captured traffic vs the training baseline, quality from feedback",
            environment={
                "SLIPSTREAM_CONFIG": settings.config.model_dump_json(),
                "CAPTURE_BUCKET": artifact_bucket.bucket_name,
                "CAPTURE_PREFIX": capture_prefix,
                "DEPLOYMENT_URI": artifact_bucket.s3_url_for_object(DEPLOYMENT_KEY),
                "ARTIFACT_BUCKET": artifact_bucket.bucket_name,
                "FEEDBACK_TABLE": feedback.table.table_name,
            },
            defaults=settings.lambda_defaults,
            extra_layers=[pandas],
            slipstream_modules=("monitoring", "warehouse"),
            memory_mb=2048,
            timeout_seconds=600,  # up to MAX_CAPTURE_OBJECTS (2000) small objects per run
        )
        # The next scheduled run is the retry: a failed run is not repeated by Lambda's async retries.
        self.fn.function.configure_async_invoke(retry_attempts=0, max_event_age=Duration.hours(1))
        # The deployment record names each version's retained baseline (models/<run>/baseline.json); a record
        # with only a run id falls back to the run's own copy (runs/<run>/baseline.json).
        baselines, run_baselines = retained_key("*", BASELINE), run_key("*", BASELINE)
        artifact_bucket.grant_read(self.fn.role, f"{capture_prefix}*")
        artifact_bucket.grant_read(self.fn.role, baselines)
        artifact_bucket.grant_read(self.fn.role, run_baselines)
        artifact_bucket.grant_read(self.fn.role, DEPLOYMENT_KEY)
        feedback.grant_scan(self.fn.role)
        events.Rule(
            self,
            "Schedule",
            description="Drift of the last window of captured traffic",
            schedule=events.Schedule.expression(settings.config.monitoring.schedule),
            targets=[targets.LambdaFunction(self.fn.function, retry_attempts=2, max_event_age=Duration.hours(1))],
        )
        acknowledge_grants(
            self.fn.role,
            {
                f"{artifact_ref}/{capture_prefix}*": "Firehose names capture objects by hour and a random suffix.",
                f"{artifact_ref}/{baselines}": "Each model version's baseline lives under its run id, known only "
                "at run time; only baseline.json files are readable.",
                f"{artifact_ref}/{run_baselines}": "A record without a retained baseline names its run; only "
                "baseline.json files are readable.",
            },
        )
        acknowledge(
            self.fn.function,
            "AwsSolutions-L1",
            "Python 3.11 on purpose: the project's Python version and the Powertools/AWS SDK for pandas layers' build.",
        )
