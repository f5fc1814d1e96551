"""The parameter checks the emulated account applies to every call (slipstream/local/strict/params.py), against
botocore's real service models: each kind of constraint, the paths Coral names, and the answer AWS gives."""

from __future__ import annotations

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import Stubber
from moto import mock_aws

from slipstream.local.strict.params import check_call, violations

SESSION = botocore.session.get_session()
TAG_PATTERN = r"([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,256}"  # CustomerMetadataProperties values, as the model spells it
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def operation(service: str, name: str):
    return SESSION.get_service_model(service).operation_model(name)


def messages(service: str, name: str, params: dict) -> list[str]:
    return [v.message() for v in violations(operation(service, name), params)]


def training_job(**overrides) -> dict:
    job = {
        "TrainingJobName": "run-1-train",
        "AlgorithmSpecification": {"TrainingImage": "image:1", "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    return {**job, **overrides}


def test_a_valid_call_has_no_violations():
    assert messages("sagemaker", "CreateTrainingJob", training_job()) == []


def test_a_missing_required_member_is_null():
    params = training_job()
    del params["RoleArn"]
    (found,) = violations(operation("sagemaker", "CreateTrainingJob"), params)
    assert found.message() == "Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
    assert found.sdk  # botocore refuses it too, before sending


def test_an_unknown_member_is_named_with_its_structure():
    params = training_job(ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGb": 10})
    assert messages("sagemaker", "CreateTrainingJob", params) == [
        "Value at 'resourceConfig.volumeSizeInGb' failed to satisfy constraint: "
        "Member must be one of the members of ResourceConfig",
    ]


def test_a_value_of_the_wrong_type():
    assert messages("sagemaker", "CreateTrainingJob", training_job(TrainingJobName=5)) == [
        "Value '5' at 'trainingJobName' failed to satisfy constraint: Member must be of type string"
    ]
    assert messages("sagemaker", "CreateTrainingJob", training_job(EnableNetworkIsolation="yes"))  # not a bool
    stopping = {"MaxRuntimeInSeconds": True}  # JSON true is no number
    assert messages("sagemaker", "CreateTrainingJob", training_job(StoppingCondition=stopping))


def test_an_enum_value_outside_the_set():
    params = {"ModelPackageGroupName": "group", "ModelApprovalStatus": "Maybe"}
    assert messages("sagemaker", "CreateModelPackage", params) == [
        "Value 'Maybe' at 'modelApprovalStatus' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]"
    ]


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("a" * 64, "Member must have length less than or equal to 63"),
    ],
)
def test_string_lengths(name, constraint):
    found = messages("sagemaker", "CreateTrainingJob", training_job(TrainingJobName=name))
    assert f"Value '{name}' at 'trainingJobName' failed to satisfy constraint: {constraint}" in found


def test_number_ranges():
    stopping = {"MaxRuntimeInSeconds": 0, "MaxPendingTimeInSeconds": 2419201}
    assert messages("sagemaker", "CreateTrainingJob", training_job(StoppingCondition=stopping)) == [
        "Value '0' at 'stoppingCondition.maxRuntimeInSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
        "Value '2419201' at 'stoppingCondition.maxPendingTimeInSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 2419200",
    ]


def test_patterns_are_java_regexes_matched_whole_with_unicode_classes():
    def data(value: str) -> list[str]:
        params = {"ModelPackageGroupName": "group", "CustomerMetadataProperties": {"data": value}}
        return messages("sagemaker", "CreateModelPackage", params)

    assert data("s3://bucket/incoming/Café 2024 v2.csv") == []  # \p{L} takes é, \p{Z} the space
    assert data("s3://bucket/incoming/a,b.csv") == [
        "Value 's3://bucket/incoming/a,b.csv' at 'customerMetadataProperties.data' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {TAG_PATTERN}"
    ]
    # Matched whole, not searched: a valid prefix does not make the name valid.
    assert messages("sagemaker", "CreateTrainingJob", training_job(TrainingJobName="run_1"))


def test_list_sizes_and_paths_into_list_members():
    assert messages("sagemaker", "CreateTrainingJob", training_job(InputDataConfig=[])) == [
        "Value '[]' at 'inputDataConfig' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ]
    channel = {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "ftp://x"}}}
    assert messages("sagemaker", "CreateTrainingJob", training_job(InputDataConfig=[channel])) == [
        "Value 'ftp://x' at 'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (https|s3)://([^/]+)/?(.*)"
    ]
    too_many = [{**channel, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/k"}}}] * 21
    (found,) = messages("sagemaker", "CreateTrainingJob", training_job(InputDataConfig=too_many))
    assert found.endswith(
        "at 'inputDataConfig' failed to satisfy constraint: Member must have length less than or equal to 20"
    )


def test_map_sizes_keys_and_values():
    too_many = {f"p{i}": "1" for i in range(101)}
    (found,) = messages("sagemaker", "CreateTrainingJob", training_job(HyperParameters=too_many))
    assert found.endswith(
        "at 'hyperParameters' failed to satisfy constraint: Member must have length less than or equal to 100"
    )
    long_value = {"ignore-columns": "x" * 2501}
    (found,) = messages("sagemaker", "CreateTrainingJob", training_job(HyperParameters=long_value))
    assert "at 'hyperParameters.ignore-columns' failed to satisfy constraint: Member must have length less" in found
    # Lambda's variable names are sensitive: Coral leaves the value out.
    function = {"FunctionName": "f", "Role": ROLE, "Code": {"ZipFile": b"z"}, "Environment": {"Variables": {"1X": "v"}}}
    assert messages("lambda", "CreateFunction", function) == [
        "Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
    ]


def test_every_violation_is_reported_in_one_validation_exception():
    params = training_job(TrainingJobName="a_b", StoppingCondition={"MaxPendingTimeInSeconds": 2419201})
    params["ResourceConfig"] = {**params["ResourceConfig"], "InstanceType": "ml.nope"}
    with pytest.raises(ClientError) as caught:
        check_call(params, operation("sagemaker", "CreateTrainingJob"), {"client_config": Config()})
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = error["Error"]["Message"]
    assert message.startswith("3 validation errors detected: Value 'a_b' at 'trainingJobName' failed")
    assert "; Value 'ml.nope' at 'resourceConfig.instanceType' failed" in message
    assert message.endswith(
        "at 'stoppingCondition.maxPendingTimeInSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 2419200"
    )


def test_query_services_answer_validation_error():
    with pytest.raises(ClientError) as caught:
        check_call({"RoleName": "r" * 65, "AssumeRolePolicyDocument": "{}"}, operation("iam", "CreateRole"))
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == (
        f"1 validation error detected: Value '{'r' * 65}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )


def test_sdk_level_problems_are_left_to_a_validating_client_and_reported_for_others():
    params = training_job()
    del params["RoleArn"]
    create = operation("sagemaker", "CreateTrainingJob")
    check_call(params, create, {"client_config": Config()})  # botocore raises ParamValidationError itself next
    with pytest.raises(ClientError, match="Value null at 'roleArn'"):  # e.g. moto's Step Functions interpreter
        check_call(params, create, {"client_config": Config(parameter_validation=False)})


def test_s3_gets_only_the_sdk_checks():
    """S3 (REST-XML) applies none of the model's constraints server-side; it answers its own codes instead."""
    put = operation("s3", "PutObject")
    assert violations(put, {"Bucket": "b", "Key": "k", "StorageClass": "NOPE"}) == []
    assert [v.sdk for v in violations(put, {"Bucket": "b"})] == [True]


@pytest.mark.parametrize("validating", [True, False])
def test_the_hook_refuses_a_bad_call_in_the_emulated_account(validating):
    """Through a real client under mock_aws, with the checks tests/conftest.py installs for every moto test."""
    with mock_aws():
        sagemaker = boto3.client("sagemaker", config=Config(parameter_validation=validating))
        with pytest.raises(ClientError) as caught:
            sagemaker.create_model_package_group(ModelPackageGroupName="has spaces")
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert "at 'modelPackageGroupName' failed to satisfy constraint" in str(caught.value)
        if validating:
            with pytest.raises(ParamValidationError):
                sagemaker.create_model_package_group()
        assert sagemaker.create_model_package_group(ModelPackageGroupName="fine-name")["ModelPackageGroupArn"]
    # Outside mock_aws nothing is checked (a Stubber answers here: nothing may reach AWS).
    outside = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(outside) as stub:
        stub.add_response("create_model_package_group", {"ModelPackageGroupArn": "arn"})
        assert outside.create_model_package_group(ModelPackageGroupName="has spaces")["ModelPackageGroupArn"] == "arn"
