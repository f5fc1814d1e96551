"""Stand the synthesized stacks up in moto: buckets, key, topic, roles, the definition's Lambda functions, the
model package group, the sourcedir asset, and the state machine itself with every reference resolved.

Call inside an active `mock_aws(...)` with the extensions installed (see `emulation.py`).
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

from slipstream.documents.run import DataLocation, RunRequest
from slipstream.local.stepfunctions.batch import deploy_batch
from slipstream.local.stepfunctions.capture import deploy_capture
from slipstream.local.stepfunctions.intrinsics import Scope, resolve
from slipstream.local.stepfunctions.rest_apis import EmulatedApi, deploy_apis
from slipstream.local.stepfunctions.synth import Synthesized
from slipstream.local.stepfunctions.triggers import deploy_triggers, record_stacks

DEPLOYER = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}
ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account; the region our tests pin
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::NoValue": "",
}


@dataclass
class World:
    """Names and clients of one emulated deployment of the pipeline."""

    synth: Synthesized
    definition: dict[str, Any]
    state_machine_arn: str
    data_bucket: str
    artifact_bucket: str
    topic_arn: str
    endpoint_name: str
    model_package_group: str
    clients: dict[str, Any] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)  # functions outside the definition: "drift" -> name
    streams: dict[str, str] = field(default_factory=dict)  # "capture"/"feedback" -> stream name
    apis: dict[str, EmulatedApi] = field(default_factory=dict)  # "serving", and "approvals" on a manual stage
    account_notes: list[str] = field(default_factory=list)  # what restoring a saved account could not bring back
    batch_state_machine_arn: str | None = None  # the batch stack's (cdk/batch/), when the app has one

    def client(self, service: str) -> Any:
        """A client of the deployer (an administrator), never of whatever credentials the environment holds."""
        if service not in self.clients:
            self.clients[service] = boto3.client(service, region_name=REGION, **DEPLOYER)
        return self.clients[service]

    def start(self, run_id: str, key: str) -> str:
        """Start one execution named by the run id, as StartPipeline does; returns its ARN."""
        request = RunRequest(run_id=run_id, data=DataLocation(bucket=self.data_bucket, key=key))
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn, name=run_id, input=request.model_dump_json()
        )
        return response["executionArn"]

    def status(self, execution_arn: str) -> str:
        return self.client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]

    def wait(self, execution_arn: str, timeout: float = 300) -> str:
        from slipstream.local.stepfunctions.moto_extensions import costs

        ended, deadline = costs.execution_ended(execution_arn), time.monotonic() + timeout
        while (status := self.status(execution_arn)) == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still running after {timeout:.0f}s")
            ended.wait(costs.EXECUTION_POLL_SECONDS)  # woken at the end; a DescribeExecution a second meanwhile
        return status

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn, events, token = self.client("stepfunctions"), [], None
        while True:
            page = sfn.get_execution_history(executionArn=execution_arn, **({"nextToken": token} if token else {}))
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events


def build_world(synth: Synthesized, *, triggers: bool = False, qualifier: str = "") -> World:
    """`triggers`: also the S3 -> EventBridge -> StartPipeline path and the stacks' outputs (see triggers.py).
    The serving stack comes first, as its stack dependency says: the SmokeTest calls its API (rest_apis.py),
    whose predict function captures through its streams (capture.py). `qualifier`: a prefix for the names
    CloudFormation would generate, so that a second stage stands up in the same account (Scope.local_name)."""
    scope = Scope(pseudo=PSEUDO, qualifier=qualifier)
    storage = _scope_for(synth, "storage", scope)
    _create_storage(synth.templates["storage"], storage)
    notifications = _scope_for(synth, "notifications", scope)
    _create_keys(synth.templates["notifications"], notifications)
    sns = boto3.client("sns", region_name=REGION)
    for logical, resource in _of_type(synth.templates["notifications"], "AWS::SNS::Topic"):
        key = resource["Properties"].get("KmsMasterKeyId")
        attributes = {"KmsMasterKeyId": resolve(key, notifications)} if key else {}
        arn = sns.create_topic(Name=f"{synth.prefix}-{logical}", Attributes=attributes)["TopicArn"]
        notifications.attributes[logical] = {"Ref": arn, "TopicName": arn.rsplit(":", 1)[1]}
    for _, resource in _of_type(synth.templates["notifications"], "AWS::SNS::TopicPolicy"):
        policy = json.dumps(resolve(resource["Properties"]["PolicyDocument"], notifications))
        for topic in resolve(resource["Properties"]["Topics"], notifications):
            sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy)
    for key, stack_scope in (("storage", storage), ("notifications", notifications)):
        _export(synth.templates[key], stack_scope, scope)
    serving = _scope_for(synth, "serving", scope)
    _create_tables(synth.templates["serving"], serving, scope)
    streams = deploy_capture(synth, serving, _create_roles, _create_policies)
    apis = {"serving": deploy_apis(synth.templates["serving"], serving, synth.stage, _create_function)[0]}
    _export(synth.templates["serving"], serving, scope)
    pipeline = _scope_for(synth, "pipeline", scope)
    world = _create_pipeline(synth, pipeline)
    world.streams = streams
    # A manual stage's approvals API, with its decision function (API Gateway invokes it, the definition not).
    for api in deploy_apis(synth.templates["pipeline"], pipeline, synth.stage, _create_function):
        apis["approvals"] = api  # the pipeline stack's only API
    world.apis = apis
    if triggers:  # before the policies: they name the trigger's rule and function
        deploy_triggers(synth, storage, pipeline, _create_function)
    _export(synth.templates["pipeline"], pipeline, scope)
    for key, stack_scope in (("storage", storage), ("notifications", notifications), ("pipeline", pipeline)):
        _create_policies(synth.templates[key], stack_scope)
    if "monitoring" in synth.templates:
        _create_monitoring(synth, _scope_for(synth, "monitoring", scope), world)
    world.batch_state_machine_arn = _create_batch(synth, scope)
    if triggers:
        record_stacks(synth, {"storage": storage, "notifications": notifications, "pipeline": pipeline})
    return world


def _create_batch(synth: Synthesized, app_scope: Scope) -> str | None:
    if "batch" not in synth.templates:
        return None
    batch = _scope_for(synth, "batch", app_scope)
    _upload_file_assets(synth, batch, "batch")
    return deploy_batch(synth.templates["batch"], batch, _create_roles, _create_policies, _create_function)


def _export(template: dict[str, Any], stack_scope: Scope, app_scope: Scope) -> None:
    for output in template.get("Outputs", {}).values():
        if "Export" in output:
            try:
                app_scope.exports[output["Export"]["Name"]] = resolve(output["Value"], stack_scope)
            except KeyError:
                continue  # an output of a resource the emulation does not create


MONITORING_FUNCTIONS = ("drift", "experiment")  # lambdas/<name>: the monitoring functions the emulation runs


def _create_monitoring(synth: Synthesized, scope: Scope, world: World) -> None:
    """The drift and experiment functions (and their roles and policies): they read what the pipeline and the
    serving stack wrote, with their own grants; the serving stack's feedback table is created for them."""
    template = synth.templates["monitoring"]
    for export in set(re.findall(r'"Fn::ImportValue": "([^"]+)"', json.dumps(template))) - set(scope.exports):
        scope.exports[export] = f"arn:aws:local:::{export}"  # a stack the emulation does not stand up
    _create_roles(template, scope)
    for logical, resource in _of_type(template, "AWS::Lambda::Function"):
        name = resource["Properties"].get("Handler", "").split(".")[1:2]
        if name and name[0] in MONITORING_FUNCTIONS:
            _create_function(logical, resource, scope)
            world.functions[name[0]] = scope.attributes[logical]["Ref"]
    _create_policies(template, scope)


def _create_tables(template: dict[str, Any], stack_scope: Scope, app_scope: Scope) -> None:
    """The serving stack's DynamoDB tables (feedback), and the exports other stacks import them by."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    existing = set(dynamodb.list_tables()["TableNames"])
    for logical, resource in _of_type(template, "AWS::DynamoDB::Table"):
        props = resource["Properties"]
        name = props.get("TableName") or stack_scope.local_name(f"{logical}-local", 255)
        if name not in existing:  # a saved account keeps its tables
            # CloudFormation's SSESpecification names its switch SSEEnabled, the API's Enabled.
            sse = resolve(props.get("SSESpecification") or {}, stack_scope)
            encryption = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": sse["KMSMasterKeyId"]} if sse else None
            dynamodb.create_table(
                TableName=name,
                KeySchema=props["KeySchema"],
                AttributeDefinitions=props["AttributeDefinitions"],
                BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
                **({"SSESpecification": encryption} if encryption else {}),
            )
        arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        stack_scope.attributes[logical] = {"Ref": name, "Arn": arn}
    for output in template.get("Outputs", {}).values():
        try:
            if "Export" in output:
                app_scope.exports[output["Export"]["Name"]] = resolve(output["Value"], stack_scope)
        except KeyError:
            continue  # an output of a resource the emulation does not create


def _create_keys(template: dict[str, Any], scope: Scope) -> None:
    kms = boto3.client("kms", region_name=REGION)
    for logical, resource in _of_type(template, "AWS::KMS::Key"):
        policy = json.dumps(resolve(resource["Properties"]["KeyPolicy"], scope))
        description = scope.local_name(logical, 8192)
        key = _existing_key(kms, description)  # a saved account keeps its keys, as a stack update does
        if key is None:
            key = kms.create_key(Description=description, Policy=policy)["KeyMetadata"]
        else:  # ... and the update applies the template's key policy, which may have changed
            kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy)
        scope.attributes[logical] = {"Ref": key["KeyId"], "Arn": key["Arn"]}


def _create_roles(template: dict[str, Any], scope: Scope) -> None:
    iam = boto3.client("iam", region_name=REGION)
    for logical, resource in _of_type(template, "AWS::IAM::Role"):
        trust = resolve(resource["Properties"]["AssumeRolePolicyDocument"], scope)
        role = iam.create_role(RoleName=scope.local_name(logical), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        scope.attributes[logical] = {"Ref": role["RoleName"], "Arn": role["Arn"]}
        for managed in resource["Properties"].get("ManagedPolicyArns", []):
            iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=resolve(managed, scope))


def _create_policies(template: dict[str, Any], scope: Scope) -> None:
    """Inline policies on their roles, once every resource they name exists. A statement naming a resource the
    emulation does not create (a log group) gets an ARN no call asks for: it grants nothing here."""
    iam = boto3.client("iam", region_name=REGION)
    for logical, resource in template["Resources"].items():
        if logical not in scope.attributes:
            arn = f"arn:aws:local:{REGION}:{ACCOUNT}:{resource['Type']}/{logical}"
            scope.attributes[logical] = {"Ref": arn, "Arn": arn}
    for logical, resource in _of_type(template, "AWS::IAM::Policy"):
        document = json.dumps(resolve(resource["Properties"]["PolicyDocument"], scope))
        for role in resolve(resource["Properties"].get("Roles", []), scope):
            iam.put_role_policy(RoleName=role, PolicyName=logical[:128], PolicyDocument=document)
    # CDK moves statements past a role's 10,240-character inline limit into overflow managed policies.
    for logical, resource in _of_type(template, "AWS::IAM::ManagedPolicy"):
        document = json.dumps(resolve(resource["Properties"]["PolicyDocument"], scope))
        arn = iam.create_policy(PolicyName=scope.local_name(logical), PolicyDocument=document)["Policy"]["Arn"]
        scope.attributes[logical] = {"Ref": arn, "Arn": arn}
        for role in resolve(resource["Properties"].get("Roles", []), scope):
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)


def _scope_for(synth: Synthesized, key: str, app_scope: Scope) -> Scope:
    mappings = synth.templates[key].get("Mappings", {})
    return Scope(pseudo=app_scope.pseudo, mappings=mappings, exports=app_scope.exports, qualifier=app_scope.qualifier)


def _of_type(template: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(k, r) for k, r in template["Resources"].items() if r["Type"] == kind]


def _create_storage(template: dict[str, Any], scope: Scope) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    _create_keys(template, scope)
    existing = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    for logical, resource in _of_type(template, "AWS::S3::Bucket"):
        name = f"local-{re.sub(r'[^a-z0-9]', '', scope.local_name(logical, 1024).lower())}"[:63]
        if name not in existing:  # a saved account keeps its buckets, as a stack update does
            s3.create_bucket(Bucket=name)
        scope.attributes[logical] = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}
        encryption = resource["Properties"].get("BucketEncryption")
        if encryption:
            rules = [  # CloudFormation's names differ from the API's in one place
                {("Apply" + k if k == "ServerSideEncryptionByDefault" else k): v for k, v in rule.items()}
                for rule in resolve(encryption, scope)["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    for _, resource in _of_type(template, "AWS::S3::BucketPolicy"):
        policy = json.dumps(resolve(resource["Properties"]["PolicyDocument"], scope))
        s3.put_bucket_policy(Bucket=resolve(resource["Properties"]["Bucket"], scope), Policy=policy)
    _create_roles(template, scope)


def _existing_key(kms: Any, description: str) -> dict[str, Any] | None:
    """The key an earlier deploy created as `description` (a saved account): a stack update keeps its keys."""
    for listed in kms.list_keys()["Keys"]:
        key = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
        if key.get("Description") == description and key["KeyState"] == "Enabled":
            return dict(key)
    return None


def _create_pipeline(synth: Synthesized, scope: Scope) -> World:
    template = synth.templates["pipeline"]
    _create_roles(template, scope)
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    groups = []
    for logical, resource in _of_type(template, "AWS::SageMaker::ModelPackageGroup"):
        name = resource["Properties"]["ModelPackageGroupName"]
        try:  # a saved account keeps the group and its packages
            arn = sagemaker.describe_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
        except sagemaker.exceptions.ClientError:
            arn = sagemaker.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
        scope.attributes[logical] = {"Ref": name, "ModelPackageGroupArn": arn}
        groups.append(name)
    _upload_file_assets(synth, scope)
    _create_alarms(template, scope)  # the definition names the canary's alarms
    logical, machine = synth.state_machine()
    body = machine["Properties"]["DefinitionString"]
    for function_id in _functions_in(body):
        _create_function(function_id, template["Resources"][function_id], scope)
    definition = json.loads(resolve(body, scope) if isinstance(body, dict) else body)
    name = machine["Properties"].get("StateMachineName", logical)
    arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=resolve(machine["Properties"]["RoleArn"], scope)
    )["stateMachineArn"]
    scope.attributes[logical] = {"Ref": arn, "Name": name}
    exports = scope.exports
    return World(
        synth=synth,
        definition=definition,
        state_machine_arn=arn,
        data_bucket=_bucket_of(exports, "data-bucket-arn"),
        artifact_bucket=_bucket_of(exports, "artifact-bucket-arn"),
        topic_arn=next(v for k, v in exports.items() if k.startswith(f"{synth.prefix}-notifications")),
        endpoint_name=synth.prefix,
        model_package_group=groups[0],
    )


def _create_alarms(template: dict[str, Any], scope: Scope) -> None:
    """Metric alarms as PutMetricAlarm takes them (CloudFormation's property names are the API's)."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for logical, resource in _of_type(template, "AWS::CloudWatch::Alarm"):
        props = resolve(resource["Properties"], scope)
        cloudwatch.put_metric_alarm(**props)
        name = props["AlarmName"]
        scope.attributes[logical] = {"Ref": name, "Arn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"}


def _bucket_of(exports: dict[str, str], suffix: str) -> str:
    return next(v for k, v in exports.items() if k.endswith(suffix)).removeprefix("arn:aws:s3:::")


def _functions_in(value: Any) -> list[str]:
    """Logical ids of the Lambda functions the definition names (Fn::GetAtt [<id>, Arn])."""
    text = json.dumps(value)
    return sorted(set(re.findall(r'"Fn::GetAtt": \["(\w+Function\w*)", "Arn"\]', text)))


def _create_function(logical: str, resource: dict[str, Any], scope: Scope) -> None:
    # Only what running the handler needs: layers (Powertools, pandas) are this venv's packages here.
    wanted = ("Role", "Handler", "Runtime", "Timeout", "MemorySize", "Environment")
    props = {key: resolve(value, scope) for key, value in resource["Properties"].items() if key in wanted}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # moto wants a zip; the handler itself runs from this repo
        archive.writestr("README.txt", "code runs in process from the repository; see moto_extensions/")
    function = boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=scope.local_name(logical),
        Runtime=props.get("Runtime", "python3.11"),
        Role=props["Role"],
        Handler=props["Handler"],
        Code={"ZipFile": buffer.getvalue()},
        Timeout=props.get("Timeout", 60),
        MemorySize=props.get("MemorySize", 256),
        Environment={"Variables": props.get("Environment", {}).get("Variables", {})},
    )
    scope.attributes[logical] = {"Ref": function["FunctionName"], "Arn": function["FunctionArn"]}


def _upload_file_assets(synth: Synthesized, scope: Scope, stack: str = "pipeline") -> None:
    """File assets (the sourcedir archive) go where CDK's bootstrap bucket would hold them."""
    s3 = boto3.client("s3", region_name=REGION)
    for asset in synth.assets[stack].get("files", {}).values():
        if asset["source"].get("packaging") != "file":
            continue
        for destination in asset["destinations"].values():
            bucket = resolve({"Fn::Sub": destination["bucketName"]}, scope)
            if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                s3.create_bucket(Bucket=bucket)
            s3.upload_file(str(synth.outdir / asset["source"]["path"]), bucket, destination["objectKey"])
