"""Which IAM requests one API call makes: the action, the resource ARN(s) and the condition keys AWS evaluates,
for every action our stacks' principals call (AWS's Service Authorization Reference, per service).

Some permissions depend on the account's state (the key a topic or bucket encrypts with, the key an object was
written with): those come back as `KeyOf` markers that the moto hooks resolve. An action missing from the table
is checked against resource `*`, so a policy scoped to ARNs denies it: loudly, never silently allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from slipstream.local.strict.iam import Request

Param = Callable[[str], Any]  # a request parameter by its API name, or None


@dataclass(frozen=True)
class KeyOf:
    """kms:<action> on the key that encrypts `what`: ("topic", arn) | ("bucket", name) | ("object", bucket/key)
    | ("key", the key id or ARN the request names)."""

    kind: str
    name: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    service: str  # the IAM prefix: s3, sns, sagemaker, lambda, ...
    action: str
    param: Param
    account: str
    region: str
    path: str = ""

    def arn(self, kind: str, name: str, service: str | None = None) -> str:
        return f"arn:aws:{service or self.service}:{self.region}:{self.account}:{kind}{name}"

    def sagemaker(self, kind: str, name_param: str) -> str:
        name = str(self.param(name_param) or "")
        return name if name.startswith("arn:") else self.arn(f"{kind}/", name.lower())


PASSED_TO = "iam:PassedToService"


def _pass_role(call: Call, param: str, service: str) -> list[Request | KeyOf]:
    role = call.param(param)
    return [Request("iam:PassRole", role, {PASSED_TO.lower(): [service]})] if role else []


def _passed_role(call: Call) -> list[Request | KeyOf]:
    """The role a SageMaker create call hands the service, which it will act as."""
    a = call.action
    if a in ("CreateTrainingJob", "CreateProcessingJob"):
        return _pass_role(call, "RoleArn", "sagemaker.amazonaws.com")
    if a == "CreateHyperParameterTuningJob":  # its trials run as the definition's role
        role = (call.param("TrainingJobDefinition") or {}).get("RoleArn")
        return [Request("iam:PassRole", role, {PASSED_TO.lower(): ["sagemaker.amazonaws.com"]})] if role else []
    if a == "CreateModel":
        return _pass_role(call, "ExecutionRoleArn", "sagemaker.amazonaws.com")
    return []


def _sagemaker(call: Call) -> list[Request | KeyOf]:
    a = call.action
    kinds = {
        "TrainingJob": ("training-job", "TrainingJobName"),
        "HyperParameterTuningJob": ("hyper-parameter-tuning-job", "HyperParameterTuningJobName"),
        "ProcessingJob": ("processing-job", "ProcessingJobName"),
        "Model": ("model", "ModelName"),
        "EndpointConfig": ("endpoint-config", "EndpointConfigName"),
        "Endpoint": ("endpoint", "EndpointName"),
        "ModelPackageGroup": ("model-package-group", "ModelPackageGroupName"),
    }
    for suffix, (kind, param) in kinds.items():
        if a.endswith(suffix) and a[: -len(suffix)] in ("Create", "Describe", "Delete", "Update", "Stop"):
            found: list[Request | KeyOf] = [Request(f"sagemaker:{a}", call.sagemaker(kind, param))]
            if a in ("CreateEndpoint", "UpdateEndpoint"):
                found.append(Request(f"sagemaker:{a}", call.sagemaker("endpoint-config", "EndpointConfigName")))
            return found + _passed_role(call)
    if a in ("DescribeModelPackage", "UpdateModelPackage", "DeleteModelPackage"):
        param = "ModelPackageArn" if a == "UpdateModelPackage" else "ModelPackageName"
        return [Request(f"sagemaker:{a}", call.sagemaker("model-package", param))]
    if a == "CreateModelPackage":
        return [Request(f"sagemaker:{a}", call.sagemaker("model-package-group", "ModelPackageGroupName"))]
    if a == "ListTrainingJobsForHyperParameterTuningJob":  # on the tuning job (Service Authorization Reference)
        return [Request(f"sagemaker:{a}", call.sagemaker("hyper-parameter-tuning-job", "HyperParameterTuningJobName"))]
    if a in ("AddTags", "ListTags", "DeleteTags"):
        return [Request(f"sagemaker:{a}", call.param("ResourceArn") or "*")]
    if a == "InvokeEndpoint":
        name = unquote(call.path.split("/")[2]) if call.path.count("/") >= 2 else ""
        return [Request("sagemaker:InvokeEndpoint", call.arn("endpoint/", name.lower()))]
    return [Request(f"sagemaker:{a}", "*")]  # List*, Search: no resource


def _s3(call: Call) -> list[Request | KeyOf]:
    bucket, key = call.param("Bucket") or "", call.param("Key")
    target = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    prefix = call.param("Prefix") if call.action == "ListBucket" else None
    context = {"s3:prefix": [str(prefix)]} if prefix is not None else {}  # absent without one, as on AWS
    found: list[Request | KeyOf] = [Request(f"s3:{call.action}", target, context)]
    if call.action == "PutObject":
        source = call.param("CopySource")
        if source:  # CopyObject: read the source (and decrypt it), write the target
            source = unquote(str(source)).lstrip("/").split("?versionId=")[0]
            found += [Request("s3:GetObject", f"arn:aws:s3:::{source}"), KeyOf("object", source, ("kms:Decrypt",))]
        explicit = call.param("SSEKMSKeyId")
        writes = ("kms:GenerateDataKey",)
        found.append(KeyOf("key", explicit, writes) if explicit else KeyOf("bucket", bucket, writes))
    elif call.action == "GetObject" and call.param("Method") == "GET":
        found.append(KeyOf("object", f"{bucket}/{key}", ("kms:Decrypt",)))
    return found


def _lambda(call: Call) -> list[Request | KeyOf]:
    parts = call.path.split("/")  # /2015-03-31/functions/<name or ARN>/invocations
    name = unquote(parts[3]) if len(parts) > 3 else ""
    arn = name if name.startswith("arn:") else call.arn("function:", name)
    qualifier = call.param("Qualifier")
    action = {"Invoke": "InvokeFunction"}.get(call.action, call.action)
    return [Request(f"lambda:{action}", f"{arn}:{qualifier}" if qualifier else arn)]


def _sns(call: Call) -> list[Request | KeyOf]:
    topic = call.param("TopicArn") or "*"
    found: list[Request | KeyOf] = [Request(f"sns:{call.action}", topic)]
    if call.action == "Publish":  # SNS encrypts the message with the topic's key, as the publisher
        found.append(KeyOf("topic", topic, ("kms:GenerateDataKey", "kms:Decrypt")))
    return found


def _kms(call: Call) -> list[Request | KeyOf]:
    key = str(call.param("KeyId") or "")
    return [Request(f"kms:{call.action}", key if key.startswith("arn:") else call.arn("key/", key))]


def _cloudwatch(call: Call) -> list[Request | KeyOf]:
    """DescribeAlarms with AlarmNames is authorized per named alarm (metric alarms have resource-level
    permissions); without names, or for PutMetricData, there is no resource."""
    names = call.param("AlarmNames") if call.action == "DescribeAlarms" else None
    if names:
        return [Request("cloudwatch:DescribeAlarms", call.arn("alarm:", str(name))) for name in names]
    return [Request(f"cloudwatch:{call.action}", "*")]


# API Gateway's management API is authorized by HTTP method on the resource path (`apigateway:GET` on
# `arn:aws:apigateway:<region>::/apikeys/<id>`), not by action name.
APIGATEWAY_METHODS = {"Get": "GET", "Create": "POST", "Update": "PATCH", "Delete": "DELETE", "Put": "PUT"}


def _apigateway(call: Call) -> list[Request | KeyOf]:
    verb = next((m for prefix, m in APIGATEWAY_METHODS.items() if call.action.startswith(prefix)), "GET")
    path = call.path.split("?", 1)[0]
    return [Request(f"apigateway:{verb}", f"arn:aws:apigateway:{call.region}::{path}")]


def _by_name(kind: str, param: str) -> Callable[[Call], list[Request | KeyOf]]:
    return lambda call: [Request(f"{call.service}:{call.action}", call.arn(kind, str(call.param(param) or "")))]


TABLE: dict[str, Callable[[Call], list[Request | KeyOf]]] = {
    "sagemaker": _sagemaker,
    "s3": _s3,
    "lambda": _lambda,
    "sns": _sns,
    "kms": _kms,
    "cloudwatch": _cloudwatch,
    "apigateway": _apigateway,
    "states": lambda call: [Request(f"states:{call.action}", call.param("stateMachineArn") or "*")],
    "events": _by_name("rule/", "Name"),
    "dynamodb": _by_name("table/", "TableName"),
    "firehose": _by_name("deliverystream/", "DeliveryStreamName"),
    "secretsmanager": lambda call: [
        Request(f"secretsmanager:{call.action}", call.arn("secret:", str(call.param("SecretId") or "")))
    ],
}


def requests_of(call: Call) -> list[Request | KeyOf]:
    """The IAM requests one API call makes (`*` for actions that take no resource: List*, PutMetricData)."""
    build = TABLE.get(call.service)
    return build(call) if build else [Request(f"{call.service}:{call.action}", "*")]


def resource_account(resource: str, account: str) -> list[str]:
    """aws:ResourceAccount: the account an ARN names; an S3 ARN names none, and a bucket here is in the caller's
    account (the emulation is one account, where every stage of a promotion lives)."""
    parts = resource.split(":")
    return [parts[4] if len(parts) > 4 and parts[4] else account]


def base_context(principal_arn: str, account: str, region: str) -> dict[str, list[str]]:
    """Keys every request carries: botocore always speaks TLS, so aws:SecureTransport is true."""
    return {
        "aws:securetransport": ["true"],
        "aws:principalarn": [principal_arn],
        "aws:principalaccount": [account],
        "aws:requestedregion": [region],
    }
