"""Run one execution of the emulated pipeline and capture what a test asserts on: the path taken (from the
execution history) and the side effects (packages, endpoint, notifications). The emulation itself lives in
slipstream/local/stepfunctions, shared with `slipstream run --engine stepfunctions`; this file stays thin."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

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

    def __init__(self, world: World) -> None:
        self.world = world
        sqs = world.client("sqs")
        self.queue = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        world.client("sns").subscribe(TopicArn=world.topic_arn, Protocol="sqs", Endpoint=arn)

    def run(self, run_id: str, key: str) -> Outcome:
        arn = self.world.start(run_id, key)
        status = self.world.wait(arn)
        events = self.world.history(arn)
        return Outcome(run_id, status, path(events), events, execution_end(events), self._drain(), *self._effects())

    def put_csv(self, bucket: str, key: str, frame: pd.DataFrame) -> str:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        self.world.client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue().encode())
        return key

    def _drain(self) -> list[dict[str, Any]]:
        sqs, found = self.world.client("sqs"), []
        while messages := sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                envelope = json.loads(message["Body"])
                found.append({"subject": envelope.get("Subject"), **json.loads(envelope["Message"])})
                sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return found

    def _effects(self) -> tuple[dict[str, str], dict[str, Any] | None]:
        sagemaker = self.world.client("sagemaker")
        summaries = sagemaker.list_model_packages(ModelPackageGroupName=self.world.model_package_group)
        packages = {}
        for summary in summaries["ModelPackageSummaryList"]:
            package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            packages[package["CustomerMetadataProperties"]["run_id"]] = package["ModelApprovalStatus"]
        # The endpoint once settled: the pipeline ends right after requesting a rollback, without waiting for it.
        endpoint = {"EndpointStatus": "Updating"}
        while endpoint and endpoint["EndpointStatus"] in ("Creating", "Updating"):
            try:
                endpoint = sagemaker.describe_endpoint(EndpointName=self.world.endpoint_name)
            except sagemaker.exceptions.ClientError:
                endpoint = None
        return packages, endpoint
