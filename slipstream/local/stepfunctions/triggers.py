"""What starts the pipeline on AWS and what `cloud_run` reads to find it, stood up from the synthesized stacks:
the data bucket's EventBridge notifications, the NewDataRule with its StartPipeline target, and the stacks'
outputs as CloudFormation lists them.

Opt-in (`build_world(..., triggers=True)`): the CLI engine and most tests start each execution themselves,
and with the rule in place every upload under the data prefix would start a second one, as on AWS.
The rules' Lambda targets are delivered by `moto_extensions` (moto's EventBridge has no Lambda targets).
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from slipstream.local.stepfunctions.intrinsics import Scope, resolve

REGION = "us-east-1"


def deploy_triggers(synth: Any, storage: Scope, pipeline: Scope, create_function: Any) -> None:
    _bucket_notifications(synth.templates["storage"], storage)
    events, resources = boto3.client("events", region_name=REGION), synth.templates["pipeline"]["Resources"]
    for logical, rule in resources.items():
        props = rule["Properties"] if rule["Type"] == "AWS::Events::Rule" else {}
        if "EventPattern" not in props:
            continue  # not a rule, or the retraining schedule: the emulation has no clock to fire it
        for target in props.get("Targets", []):
            function = target["Arn"].get("Fn::GetAtt", [None])[0]
            if function and function not in pipeline.attributes:
                create_function(function, resources[function], pipeline)
        pattern = resolve(props["EventPattern"], pipeline)
        name = pipeline.local_name(logical)
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), State=props.get("State", "ENABLED"))
        targets = [{"Id": t["Id"], "Arn": resolve(t["Arn"], pipeline)} for t in props.get("Targets", [])]
        events.put_targets(Rule=name, Targets=targets)


def _bucket_notifications(template: dict[str, Any], storage: Scope) -> None:
    """CDK turns EventBridge notifications on with its own custom resource (Custom::S3BucketNotifications)."""
    s3 = boto3.client("s3", region_name=REGION)
    for resource in template["Resources"].values():
        if resource["Type"] != "Custom::S3BucketNotifications":
            continue
        wanted = resource["Properties"]["NotificationConfiguration"]
        if "EventBridgeConfiguration" in wanted:
            bucket = resolve(resource["Properties"]["BucketName"], storage)
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )


def record_stacks(synth: Any, scopes: dict[str, Scope]) -> None:
    """Each emulated stack's outputs, resolved, in a CloudFormation stack of the same name (what `cloud_run`
    and the deploy workflow read). The stack holds no resources of its own: they were created above."""
    cfn = boto3.client("cloudformation", region_name=REGION)
    for key, scope in scopes.items():
        outputs: dict[str, dict[str, Any]] = {}
        for name, output in synth.templates[key].get("Outputs", {}).items():
            outputs[name] = {"Value": str(resolve(output["Value"], scope))}
            if "Export" in output:
                outputs[name]["Export"] = {"Name": resolve(output["Export"]["Name"], scope)}
        template = {"Resources": {"Outputs": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outputs}
        cfn.create_stack(StackName=f"{synth.prefix}-{key}", TemplateBody=json.dumps(template))
