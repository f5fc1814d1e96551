"""Run one execution of the emulated pipeline and capture what a test asserts on: the path taken (from the
execution history) and the side effects (packages, endpoint and what it answers, deployment record,
notifications). The emulation itself lives in slipstream/local/stepfunctions, shared with
`slipstream run --engine stepfunctions`; this file stays thin."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from slipstream.documents.deployment import DeploymentRecord
from slipstream.layout import DEPLOYMENT_KEY, MODELS_PREFIX
from slipstream.local.stepfunctions.history import execution_end, path
from slipstream.local.stepfunctions.world import World


@dataclass
class Outcome:
    run_id: str
    status: str
    path: list[str]
    events: list[dict[str, Any]]
    end: dict[str, Any]
    notifications: list[dict[str, Any]]
    packages: dict[str, str] = field(default_factory=dict)  # run id -> approval status
    endpoint: dict[str, Any] | None = None
    package_details: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id -> DescribeModelPackage
    record: dict[str, Any] | None = None  # the deployment record in the artifact bucket, if any
    answer: dict[str, Any] | None = None  # what the endpoint answers for one probe row, if it serves
    served_model_url: str | None = None  # the ModelDataUrl the endpoint's model loads, if an endpoint exists
    retained: list[str] = field(default_factory=list)  # keys under models/ in the artifact bucket after the run

    def failures(self, state: str) -> list[str]:
        """Errors reported by `state`'s task attempts, in order."""
        errors, current = [], None
        for event in self.events:
            if event["type"].endswith("StateEntered"):
                current = event["stateEnteredEventDetails"]["name"]
            elif event["type"] in ("TaskFailed", "LambdaFunctionFailed") and current == state:
                details = next(v for k, v in event.items() if k.endswith("EventDetails"))
                errors.append(details["error"])
        return errors


class Pipeline:
    """One emulated deployment, with a queue subscribed to the pipeline's topic to read what it announced."""

    def __init__(self, world: World, probe: dict[str, Any]) -> None:
        self.world, self.probe = world, probe  # probe: one row of features to send the endpoint after each run
        sqs = world.client("sqs")
        self.queue = sqs.create_queue(QueueName=f"{world.synth.prefix}-notifications")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        world.client("sns").subscribe(TopicArn=world.topic_arn, Protocol="sqs", Endpoint=arn)

    def run(self, run_id: str, key: str) -> Outcome:
        arn = self.world.start(run_id, key)
        self.world.wait(arn)
        return self.capture_execution(run_id, arn)

    def capture_execution(self, run_id: str, arn: str) -> Outcome:
        """The outcome of an execution that has ended (started by the caller, e.g. to act during it)."""
        status, events = self.world.status(arn), self.world.history(arn)
        return self.capture(Outcome(run_id, status, path(events), events, execution_end(events), self.drain()))

    def snapshot(self) -> Outcome:
        """The account's side effects with no execution: e.g. what a restored account holds."""
        return self.capture(Outcome("", "", [], [], {}, self.drain()))

    def capture(self, outcome: Outcome) -> Outcome:
        """Fill in the side effects an execution left in the account."""
        outcome.packages, outcome.package_details = self._packages()
        outcome.endpoint = self._settled_endpoint()
        outcome.record, outcome.answer = self._record(), self._ask() if outcome.endpoint else None
        outcome.served_model_url = self._served_model_url(outcome.endpoint)
        listing = self.world.client("s3").list_objects_v2(Bucket=self.world.artifact_bucket, Prefix=MODELS_PREFIX)
        outcome.retained = sorted(item["Key"] for item in listing.get("Contents", []))
        return outcome

    def put_csv(self, bucket: str, key: str, frame: pd.DataFrame) -> str:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        self.world.client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue().encode())
        return key

    def drain(self) -> list[dict[str, Any]]:
        sqs, found = self.world.client("sqs"), []
        while messages := sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                envelope = json.loads(message["Body"])
                found.append({"subject": envelope.get("Subject"), **json.loads(envelope["Message"])})
                sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return found

    def _packages(self) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        sagemaker = self.world.client("sagemaker")
        summaries = sagemaker.list_model_packages(ModelPackageGroupName=self.world.model_package_group)
        details = {}
        for summary in summaries["ModelPackageSummaryList"]:
            package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            details[package["CustomerMetadataProperties"]["slipstream.run_id"]] = package
        return {run: package["ModelApprovalStatus"] for run, package in details.items()}, details

    def _settled_endpoint(self) -> dict[str, Any] | None:
        """The endpoint once it has settled (Creating/Updating answer once in the emulation)."""
        sagemaker = self.world.client("sagemaker")
        endpoint: dict[str, Any] | None = {"EndpointStatus": "Updating"}
        while endpoint and endpoint["EndpointStatus"] in ("Creating", "Updating"):
            try:
                endpoint = sagemaker.describe_endpoint(EndpointName=self.world.endpoint_name)
            except sagemaker.exceptions.ClientError:
                endpoint = None
        return endpoint

    def _served_model_url(self, endpoint: dict[str, Any] | None) -> str | None:
        """Endpoint -> config -> model -> its container's ModelDataUrl, or its model package's (as CreateModel's)."""
        if not endpoint:
            return None
        sagemaker = self.world.client("sagemaker")
        config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
        container = model["PrimaryContainer"]
        if container.get("ModelPackageName"):
            package = sagemaker.describe_model_package(ModelPackageName=container["ModelPackageName"])
            return package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        return container.get("ModelDataUrl")

    def _record(self) -> dict[str, Any] | None:
        s3 = self.world.client("s3")
        try:
            body = s3.get_object(Bucket=self.world.artifact_bucket, Key=DEPLOYMENT_KEY)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return DeploymentRecord.model_validate_json(body).model_dump(mode="json")  # the reader's view of it

    def _ask(self) -> dict[str, Any] | None:
        runtime = self.world.client("sagemaker-runtime")
        try:
            response = runtime.invoke_endpoint(
                EndpointName=self.world.endpoint_name,
                ContentType="application/json",
                Accept="application/json",
                Body=json.dumps({"instances": [self.probe]}),
            )
        except runtime.exceptions.ClientError:
            return None
        return json.loads(response["Body"].read())
