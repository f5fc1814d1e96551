"""The emulated account enforces IAM and KMS as AWS does: each principal of the synthesized stacks calls with its
own role's credentials and gets exactly what its policies (and the key, bucket and topic policies) allow.
The grants tested here each once passed on moto alone and failed on AWS; the stacks now grant what AWS needs."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from slipstream.local.stepfunctions.emulation import emulated_pipeline
from slipstream.local.stepfunctions.moto_extensions.iam import authorize_role, client_as
from slipstream.local.strict.iam import AccessDenied, Request
from tests.statemachine.conftest import STATEMACHINE_GROUP

pytestmark = STATEMACHINE_GROUP
REGION = "us-east-1"


@pytest.fixture(scope="module")
def account(config):
    with emulated_pipeline(config) as world:
        yield world


def role_arn(world, prefix: str) -> str:
    roles = world.client("iam").list_roles()["Roles"]
    return next(r["Arn"] for r in roles if r["RoleName"].startswith(prefix))


def test_the_state_machine_role_may_publish_to_the_encrypted_topic(account) -> None:
    sns = client_as(role_arn(account, "TrainingPipelineRole"), "sns", REGION, "StepFunctions")
    sns.publish(TopicArn=account.topic_arn, Message="{}")  # sns:Publish, and kms:GenerateDataKey*/Decrypt


def test_publishing_without_the_topic_key_fails_as_sns_fails_it(account) -> None:
    # The drift role may not publish at all; give it sns:Publish alone, as CDK's SnsPublish task grants.
    role = role_arn(account, "DriftRole")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": account.topic_arn}],
    }
    account.client("iam").put_role_policy(
        RoleName=role.rsplit("/", 1)[1], PolicyName="publish-only", PolicyDocument=json.dumps(policy)
    )
    try:
        with pytest.raises(ClientError) as refused:
            client_as(role, "sns", REGION, "drift").publish(TopicArn=account.topic_arn, Message="{}")
    finally:
        account.client("iam").delete_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyName="publish-only")
    assert refused.value.response["Error"]["Code"] == "KMSAccessDenied"
    message = refused.value.response["Error"]["Message"]
    assert message.startswith("User: arn:aws:sts::123456789012:assumed-role/DriftRole")
    assert "is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:" in message


def test_the_sagemaker_role_may_create_grants_on_the_volume_key_for_aws_resources(account) -> None:
    key = account.client("kms").list_keys()["Keys"]
    role = role_arn(account, "SageMakerRole")
    data_key = next(
        k["KeyArn"]
        for k in key
        if "data" in account.client("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"].lower()
    )
    grant = {"kms:grantisforawsresource": ["true"], "kms:viaservice": [f"sagemaker.{REGION}.amazonaws.com"]}
    authorize_role(role, "SageMaker", Request("kms:CreateGrant", data_key, grant), REGION)
    with pytest.raises(AccessDenied):  # a grant the role asks for itself is not one for an AWS resource
        authorize_role(role, "SageMaker", Request("kms:CreateGrant", data_key), REGION)


def test_the_drift_role_reads_the_baseline_the_deployment_record_names(account) -> None:
    s3 = account.client("s3")
    s3.put_object(Bucket=account.artifact_bucket, Key="models/run-1/baseline.json", Body=b"{}")
    s3.put_object(Bucket=account.artifact_bucket, Key="models/run-1/model.tar.gz", Body=b"model")
    drift = client_as(role_arn(account, "DriftRole"), "s3", REGION, "drift")
    drift.get_object(Bucket=account.artifact_bucket, Key="models/run-1/baseline.json")  # SSE-KMS: kms:Decrypt too
    with pytest.raises(ClientError) as refused:
        drift.get_object(Bucket=account.artifact_bucket, Key="models/run-1/model.tar.gz")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "s3:GetObject on resource: arn:aws:s3:::" in refused.value.response["Error"]["Message"]


def test_each_lambda_calls_as_its_own_role(account) -> None:
    """ValidateData may read the data bucket, not the artifacts: pointed at an artifact, it is refused as itself."""
    s3, lam = account.client("s3"), account.client("lambda")
    s3.put_object(Bucket=account.artifact_bucket, Key="models/run-1/data.csv", Body=b"a,b\n1,2\n")
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    validate = next(n for n in names if n.startswith("FunctionsValidateData"))
    event = {"run_id": "r1", "data": {"bucket": account.artifact_bucket, "key": "models/run-1/data.csv"}}
    answer = json.loads(lam.invoke(FunctionName=validate, Payload=json.dumps(event).encode())["Payload"].read())
    assert "assumed-role/FunctionsValidateDataRole" in answer["errorMessage"], answer
    assert "is not authorized to perform: s3:GetObject" in answer["errorMessage"]


def test_the_deployer_stays_an_administrator(account) -> None:
    s3 = account.client("s3")
    s3.put_object(Bucket=account.artifact_bucket, Key="anything/at/all.txt", Body=b"x")
    assert s3.get_object(Bucket=account.artifact_bucket, Key="anything/at/all.txt")["Body"].read() == b"x"


# --- Trust policies: a service is refused a role it may not assume, when it is handed the role ------------------

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"


@pytest.fixture(scope="module")
def ec2_only_role(account) -> str:
    """A role whose trust policy names EC2: none of the pipeline's services may be handed it."""
    trust = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    return account.client("iam").create_role(RoleName="Ec2Only", AssumeRolePolicyDocument=document)["Role"]["Arn"]


def refusal(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_step_functions_refuses_a_role_it_may_not_assume_and_takes_the_synthesized_one(account, ec2_only_role) -> None:
    sfn = account.client("stepfunctions")
    machine = sfn.describe_state_machine(stateMachineArn=account.state_machine_arn)
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    expected = (
        "AccessDeniedException",
        "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume "
        "the provided role.",
    )
    with pytest.raises(ClientError) as created:
        sfn.create_state_machine(name="Untrusted", definition=definition, roleArn=ec2_only_role)
    assert refusal(created) == expected
    with pytest.raises(ClientError) as updated:
        sfn.update_state_machine(stateMachineArn=account.state_machine_arn, roleArn=ec2_only_role)
    assert refusal(updated) == expected
    sfn.update_state_machine(stateMachineArn=account.state_machine_arn, roleArn=machine["roleArn"])


def test_lambda_refuses_a_role_it_may_not_assume_and_takes_the_synthesized_ones(account, ec2_only_role) -> None:
    lam = account.client("lambda")
    function = next(f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith("FunctionsValidate"))
    expected = ("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
    with pytest.raises(ClientError) as created:
        lam.create_function(
            FunctionName="untrusted",
            Runtime="python3.11",
            Role=ec2_only_role,
            Handler="index.handler",
            Code={"ZipFile": function_zip()},
        )
    assert refusal(created) == expected
    with pytest.raises(ClientError) as updated:
        lam.update_function_configuration(FunctionName=function["FunctionName"], Role=ec2_only_role)
    assert refusal(updated) == expected
    lam.update_function_configuration(FunctionName=function["FunctionName"], Role=function["Role"])


def function_zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_sagemaker_refuses_a_role_it_may_not_assume_and_takes_the_synthesized_one(account, ec2_only_role) -> None:
    sagemaker = account.client("sagemaker")
    container = {"Image": IMAGE, "ModelDataUrl": f"s3://{account.artifact_bucket}/models/run-1/model.tar.gz"}
    expected = (
        "ValidationException",
        f"Could not assume role {ec2_only_role}. Please ensure that the role exists and allows principal "
        "'sagemaker.amazonaws.com' to assume the role.",
    )
    with pytest.raises(ClientError) as model:
        sagemaker.create_model(ModelName="untrusted", ExecutionRoleArn=ec2_only_role, PrimaryContainer=container)
    assert refusal(model) == expected
    with pytest.raises(ClientError) as job:
        sagemaker.create_training_job(
            TrainingJobName="untrusted",
            AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            RoleArn=ec2_only_role,
            OutputDataConfig={"S3OutputPath": f"s3://{account.artifact_bucket}/untrusted/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            StoppingCondition={"MaxRuntimeInSeconds": 60},
        )
    assert refusal(job) == expected
    sagemaker_role = role_arn(account, "SageMakerRole")
    sagemaker.create_model(ModelName="trusted", ExecutionRoleArn=sagemaker_role, PrimaryContainer=container)
    sagemaker.delete_model(ModelName="trusted")
