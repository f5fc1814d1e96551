"""Strict IAM and KMS: every call signed by a role is evaluated against that role's policies (strict/iam.py)."""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import unquote

from slipstream.local.stepfunctions.moto_extensions.switches import STRICT

# --- Strict IAM and KMS: every call by a role is evaluated against that role's policies -----------------------
# Principals sign with credentials from moto STS (`role_credentials`); `_SESSIONS` maps their access keys back to
# the role. Calls signed otherwise (the harness, the CLI: a deployer) are an administrator's and not evaluated.
# The evaluation is slipstream/local/strict (iam.py decides, resources.py says what each call asks for).

_SESSIONS: dict[str, Any] = {}  # access key id -> strict.iam.Principal
_ROLE_CREDENTIALS: dict[tuple[str, str], dict[str, str]] = {}  # (role ARN, session) -> credentials
# (region, service, role ARN) -> the client the state machine's tasks call with. moto's interpreter makes a new
# client for every task call (~0.05 s of CPU each: botocore builds the client class, endpoint rules and handlers);
# the service keeps one credential set per execution role, so one client per role serves every call.
_TASK_CLIENTS: dict[tuple[str, str, str], Any] = {}
_TASK_CLIENTS_LOCK = threading.Lock()
ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}


def role_credentials(role_arn: str, session: str) -> dict[str, str]:
    """Credentials of `role_arn` assumed through moto STS, as the service that runs as the role gets them."""
    import boto3

    from slipstream.local.strict.iam import Principal

    if (role_arn, session) not in _ROLE_CREDENTIALS:
        answer = boto3.client("sts", region_name="us-east-1", **ADMIN).assume_role(
            RoleArn=role_arn, RoleSessionName=session[:64]
        )
        given = answer["Credentials"]
        account = role_arn.split(":")[4]
        _SESSIONS[given["AccessKeyId"]] = Principal(answer["AssumedRoleUser"]["Arn"], role_arn, account)
        _ROLE_CREDENTIALS[(role_arn, session)] = {
            "aws_access_key_id": given["AccessKeyId"],
            "aws_secret_access_key": given["SecretAccessKey"],
            "aws_session_token": given["SessionToken"],
        }
    return _ROLE_CREDENTIALS[(role_arn, session)]


def reset_strict() -> None:
    """A new account: no sessions from the last one survive (moto's backends are reset with it)."""
    _SESSIONS.clear()
    _ROLE_CREDENTIALS.clear()
    with _TASK_CLIENTS_LOCK:
        _TASK_CLIENTS.clear()


def client_as(role_arn: str | None, service: str, region: str, session: str) -> Any:
    import boto3

    credentials = role_credentials(role_arn, session) if role_arn else ADMIN
    return boto3.client(service, region_name=region, **credentials)


def _state_machine_signs_its_calls() -> None:
    """moto's interpreter signs every task's call with a fixed "ak" key: sign with the state machine's role."""
    import importlib

    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.utils import boto_client as module

    original = module.boto_client_for
    base = "moto.stepfunctions.parser.asl.component.state.exec.state_task."
    users = [base + "lambda_eval_utils"] + [
        f"{base}service.state_task_service_{name}" for name in ("aws_sdk", "sns", "events", "sqs", "sfn", "dynamodb")
    ]

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        role = getattr(state_credentials, "role_arn", None)
        if not role or not STRICT["iam"]:
            return original(region=region, service=service, state_credentials=state_credentials)
        with _TASK_CLIENTS_LOCK:  # Parallel and Map branches call from threads of their own
            if (region, service, role) not in _TASK_CLIENTS:
                config = Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1})
                credentials = role_credentials(role, "StepFunctions")
                _TASK_CLIENTS[(region, service, role)] = boto3.client(
                    service, region_name=region, config=config, **credentials
                )
            return _TASK_CLIENTS[(region, service, role)]

    for name in users:
        importlib.import_module(name).boto_client_for = boto_client_for  # type: ignore[attr-defined]
    globals()["boto_client_for"] = boto_client_for


def _every_call_authorized() -> None:
    """moto's own IAM check (ActionAuthenticatorMixin) runs before every action, S3's included, but only in its
    opt-in mode, knows only IAM users and assumed roles' identity policies, and ignores resources: ours decides
    with the strict evaluator, the resource ARNs of strict.resources, and the key, bucket and topic policies."""
    from moto.core.authorization import ActionAuthenticatorMixin

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self, iam_request_cls, resource="*"):  # type: ignore[no-untyped-def]
        scope = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/", self.headers.get("Authorization", ""))
        principal = _SESSIONS.get(scope.group(1)) if scope and STRICT["iam"] else None
        if principal is None:
            return original(self, iam_request_cls, resource)
        _authorize_call(self, principal, scope.group(3), scope.group(2))

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize
    _bucket_policies_with_conditions()


def _bucket_policies_with_conditions() -> None:
    """moto's S3 applies a bucket policy's Deny itself, with its evaluator, which ignores Bool conditions: CDK's
    enforceSSL Deny (aws:SecureTransport=false) would refuse every call. Ours sees a TLS request (botocore's)."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    from slipstream.local.strict import iam

    def get_permission(self, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        request = iam.Request(action, resource, {"aws:securetransport": ["true"]})
        effects = [s.effect_on(request) for s in iam.statements(self.policy.decode())]
        return PermissionResult.DENIED if iam.Effect.DENY in effects else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission


IAM_PREFIXES = {"monitoring": "cloudwatch", "execute-api": "execute-api"}


def _authorize_call(response: Any, principal: Any, signing_name: str, region: str) -> None:
    from slipstream.local.strict import iam, resources

    service = IAM_PREFIXES.get(signing_name, signing_name)
    if service == "s3":
        action, param = response.data.get("Action", ""), _s3_param(response)
    else:
        action, param = response._get_action(), _param(response)
    call = resources.Call(service, action, param, principal.account, region, path=response.path or "")
    context = resources.base_context(principal.arn, principal.account, region)
    try:
        for asked in resources.requests_of(call):
            for request in _resolved(asked, region, principal.account):
                owner = {"aws:resourceaccount": resources.resource_account(request.resource, principal.account)}
                merged = iam.Request(request.action, request.resource, {**context, **owner, **request.context})
                iam.authorize(principal, merged, _policies_for(principal, merged, region))
    except iam.AccessDenied as denied:
        raise _denial(service, denied) from None


def authorize_role(role_arn: str, session: str, request: Any, region: str) -> None:
    """Evaluate one request a service makes as `role_arn` (a grant, a managed rule); raises AccessDenied."""
    from slipstream.local.strict import iam, resources

    role_credentials(role_arn, session)
    principal = next(p for p in _SESSIONS.values() if p.role_arn == role_arn and p.arn.endswith(f"/{session}"))
    owner = {"aws:resourceaccount": resources.resource_account(request.resource, principal.account)}
    context = {**resources.base_context(principal.arn, principal.account, region), **owner, **request.context}
    merged = iam.Request(request.action, request.resource, context)
    iam.authorize(principal, merged, _policies_for(principal, merged, region))


def authorize_signed(authorization: str, action: str, resource: str, region: str) -> str:
    """Evaluate a request signed with SigV4 (`authorization` is its Authorization header) the way a service that
    authorizes with IAM does (API Gateway's IAM auth): the signer's role must allow `action` on `resource`.
    Returns the signer's ARN. Raises AccessDenied; an administrator's signature (the harness, a deployer: moto's
    own identity for its keys) is allowed, an unsigned request is not (PermissionError)."""
    import boto3

    from slipstream.local.strict import iam, resources

    scope = re.search(r"Credential=([^/]+)/", authorization or "")
    if scope is None:
        raise PermissionError("Missing Authentication Token")
    principal = _SESSIONS.get(scope.group(1))
    if principal is None:
        return str(boto3.client("sts", region_name=region, **ADMIN).get_caller_identity()["Arn"])
    if not STRICT["iam"]:
        return str(principal.arn)
    context = resources.base_context(principal.arn, principal.account, region)
    request = iam.Request(action, resource, context)
    iam.authorize(principal, request, _policies_for(principal, request, region))
    return str(principal.arn)


def _param(response: Any) -> Any:
    def get(name: str) -> Any:
        value = response._get_param(name)
        return value if value is not None else response.querystring.get(name.lower(), [None])[0]

    return get


def _s3_param(response: Any) -> Any:
    bucket, key = _s3_bucket_and_key(response)
    values = {
        "Bucket": bucket,
        "Key": key,
        "Method": response.method,
        "CopySource": response.headers.get("x-amz-copy-source"),
        "SSEKMSKeyId": response.headers.get("x-amz-server-side-encryption-aws-kms-key-id"),
        "Prefix": (response.querystring.get("prefix") or [None])[0],  # ListObjects(V2): the s3:prefix key
    }
    return values.get


def _s3_bucket_and_key(response: Any) -> tuple[str, str | None]:
    bucket = response.bucket_name or ""
    key = unquote(response.parse_key_name()) if bucket else ""
    return bucket, key or None


def _resolved(asked: Any, region: str, account: str) -> list[Any]:
    """A KeyOf marker becomes kms requests on the key that really encrypts the topic, bucket or object."""
    from slipstream.local.strict import iam, resources

    if not isinstance(asked, resources.KeyOf):
        return [asked]
    key = _key_of(asked, region, account)
    if not key:
        return []
    arn = key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"
    via = "sns" if asked.kind == "topic" else "s3"
    context = {"kms:viaservice": [f"{via}.{region}.amazonaws.com"], "kms:calleraccount": [account]}
    return [iam.Request(action, arn, context) for action in asked.actions]


def _key_of(asked: Any, region: str, account: str) -> str | None:
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends

    if asked.kind == "key":
        return str(asked.name)
    if asked.kind == "topic":
        topic = sns_backends[account][region].topics.get(asked.name)
        return topic.kms_master_key_id if topic else None
    s3 = s3_backends[account]["aws"]
    if asked.kind == "bucket":
        bucket = s3.buckets.get(asked.name)
        rule = ((bucket.encryption or {}).get("Rule") or {}) if bucket else {}
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        return default.get("KMSMasterKeyID") if default.get("SSEAlgorithm") == "aws:kms" else None
    bucket_name, _, key_name = asked.name.partition("/")
    bucket = s3.buckets.get(bucket_name)
    stored = bucket.keys.get(key_name) if bucket else None
    return stored.kms_key_id if stored is not None and stored.encryption == "aws:kms" else None


def _policies_for(principal: Any, request: Any, region: str) -> Any:
    from moto.iam.models import iam_backends

    from slipstream.local.strict.iam import Policies

    role = iam_backends[principal.account]["aws"].get_role_by_arn(principal.role_arn)
    identity: list[Any] = list(role.policies.values())
    for managed in role.managed_policies.values():
        identity += [v.document for v in managed.versions if v.is_default]
    service = request.action.split(":", 1)[0]
    if service == "kms":
        return Policies(identity, key=_key_policy(request.resource, region, principal.account))
    return Policies(identity, resource=_resource_policy(service, request.resource, region, principal.account))


def _key_policy(arn: str, region: str, account: str) -> str:
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    key = backend.keys.get(backend.any_id_to_key_id(arn.rsplit("/", 1)[-1])) if "/" in arn else None
    return key.policy if key else json.dumps({"Statement": []})  # no such key: nothing allows


def _resource_policy(service: str, arn: str, region: str, account: str) -> str | None:
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends

    if service == "s3":
        bucket = s3_backends[account]["aws"].buckets.get(arn.removeprefix("arn:aws:s3:::").split("/")[0])
        return bucket.policy.decode() if bucket is not None and bucket.policy else None
    if service == "sns":
        topic = sns_backends[account][region].topics.get(arn)
        return topic.policy if topic else None
    return None


QUERY_SERVICES = {"sns": ("AuthorizationError", 403), "iam": ("AccessDenied", 403), "sts": ("AccessDenied", 403)}
QUERY_SERVICES["cloudwatch"] = ("AccessDenied", 403)


def _denial(service: str, denied: Exception) -> Exception:
    """The error each service answers a refused call with (S3: 403 AccessDenied; JSON APIs: AccessDeniedException;
    SNS: AuthorizationError, or KMSAccessDenied when the topic's key refuses)."""
    from moto.core.exceptions import JsonRESTError
    from moto.s3.exceptions import S3ClientError

    message = str(denied)
    if service == "s3":
        return S3ClientError("AccessDenied", message)  # moto serializes it as S3 does: 403 AccessDenied
    if service == "sns" and message.split("perform: ", 1)[1].startswith("kms:"):
        return _query_error("KMSAccessDenied", message, 400)
    if service in QUERY_SERVICES:
        code, status = QUERY_SERVICES[service]
        return _query_error(code, message, status)
    error = JsonRESTError("AccessDeniedException", message)
    error.code = 400 if service in ("sagemaker", "kms", "events", "states", "dynamodb", "firehose") else 403
    return error


def _query_error(code: str, message: str, status: int) -> Exception:
    # moto's pre-dispatch hook turns only HTTPExceptions into answers; _RESTError is the one that speaks XML.
    from moto.core.exceptions import _RESTError

    error = _RESTError(code, message)
    error.code = status
    return error


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _state_machine_signs_its_calls()
    _every_call_authorized()
