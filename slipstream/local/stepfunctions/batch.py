"""The batch stack (cdk/batch/) stood up in moto: its roles, its state machine, and its S3 trigger rule with the
state machine target (delivered by `moto_extensions`, as the role the rule's target names).

The processing job it starts runs like Evaluate's (jobs.py run_processing: the image's Python, the inputs
downloaded to their LocalPaths, the outputs uploaded), after the strict checks every CreateProcessingJob gets.
A file put under `[batch] input_prefix` starts it once the data bucket's EventBridge notifications are on
(`build_world(..., triggers=True)`, triggers.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from slipstream.local.stepfunctions.intrinsics import Scope, resolve

REGION = "us-east-1"
Creator = Callable[[dict[str, Any], Scope], None]


def deploy_batch(
    template: dict[str, Any], scope: Scope, create_roles: Creator, create_policies: Creator, create_function: Any
) -> str:
    """The batch state machine's ARN, with its Locate function, its rule and every policy in place."""
    create_roles(template, scope)
    resources = template["Resources"]
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function":
            create_function(logical, resource, scope)
    logical, machine = next((k, r) for k, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine")
    body = machine["Properties"]["DefinitionString"]
    definition = resolve(body, scope) if isinstance(body, dict) else body
    name = machine["Properties"]["StateMachineName"]
    arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=name, definition=definition, roleArn=resolve(machine["Properties"]["RoleArn"], scope)
    )["stateMachineArn"]
    scope.attributes[logical] = {"Ref": arn, "Name": name}
    events = boto3.client("events", region_name=REGION)
    for rule_id, rule in resources.items():
        if rule["Type"] != "AWS::Events::Rule":
            continue
        props = rule["Properties"]
        events.put_rule(Name=scope.local_name(rule_id), EventPattern=json.dumps(resolve(props["EventPattern"], scope)))
        targets = [_target(t, scope) for t in props["Targets"]]
        events.put_targets(Rule=scope.local_name(rule_id), Targets=targets)
    create_policies(template, scope)
    return arn


def _target(target: dict[str, Any], scope: Scope) -> dict[str, Any]:
    resolved = {"Id": target["Id"], "Arn": resolve(target["Arn"], scope)}
    return {**resolved, "RoleArn": resolve(target["RoleArn"], scope)} if "RoleArn" in target else resolved
