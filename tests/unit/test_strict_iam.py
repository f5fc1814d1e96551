"""The strict account's policy evaluator (slipstream/local/strict/iam.py): AWS's decisions and AWS's wording."""

from __future__ import annotations

import pytest

from slipstream.local.strict.iam import AccessDenied, Policies, Principal, Request, authorize

ROLE = "arn:aws:iam::123456789012:role/Pipeline"
CALLER = Principal("arn:aws:sts::123456789012:assumed-role/Pipeline/StepFunctions", ROLE, "123456789012")
TOPIC = "arn:aws:sns:us-east-1:123456789012:events"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234"
TLS = {"aws:securetransport": ["true"]}


def allow(action, resource, **extra):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def test_a_call_no_policy_allows_is_denied_in_aws_words() -> None:
    with pytest.raises(AccessDenied) as denied:
        authorize(CALLER, Request("sns:Publish", TOPIC), Policies([allow("s3:GetObject", "*")]))
    assert str(denied.value) == (
        f"User: {CALLER.arn} is not authorized to perform: sns:Publish on resource: {TOPIC} "
        "because no identity-based policy allows the sns:Publish action"
    )


def test_action_names_match_whatever_their_case_and_resources_by_wildcard() -> None:
    policy = allow("sagemaker:listModelPackages", "*")
    authorize(CALLER, Request("sagemaker:ListModelPackages", "*"), Policies([policy]))
    scoped = allow("s3:GetObject*", "arn:aws:s3:::bucket/runs/*/baseline.json")
    authorize(CALLER, Request("s3:GetObject", "arn:aws:s3:::bucket/runs/r1/baseline.json"), Policies([scoped]))
    with pytest.raises(AccessDenied):
        authorize(CALLER, Request("s3:GetObject", "arn:aws:s3:::bucket/models/r1/baseline.json"), Policies([scoped]))


def test_an_explicit_deny_wins_over_any_allow() -> None:
    deny = {"Statement": [{"Effect": "Deny", "Action": "sns:*", "Resource": "*"}]}
    with pytest.raises(AccessDenied, match="with an explicit deny in an identity-based policy"):
        authorize(CALLER, Request("sns:Publish", TOPIC), Policies([allow("sns:Publish", TOPIC), deny]))


def test_enforce_ssl_denies_plain_http_only() -> None:
    bucket_policy = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::bucket/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    identity = [allow("s3:GetObject", "arn:aws:s3:::bucket/*")]
    authorize(CALLER, Request("s3:GetObject", "arn:aws:s3:::bucket/k", TLS), Policies(identity, bucket_policy))
    plain = Request("s3:GetObject", "arn:aws:s3:::bucket/k", {"aws:securetransport": ["false"]})
    with pytest.raises(AccessDenied, match="explicit deny in a resource-based policy"):
        authorize(CALLER, plain, Policies(identity, bucket_policy))


def test_an_allow_whose_condition_fails_allows_nothing() -> None:
    pass_role = allow(
        "iam:PassRole", ROLE, Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    )
    to_sagemaker = Request("iam:PassRole", ROLE, {"iam:passedtoservice": ["sagemaker.amazonaws.com"]})
    authorize(CALLER, to_sagemaker, Policies([pass_role]))
    with pytest.raises(AccessDenied, match="no identity-based policy allows the iam:PassRole action"):
        authorize(
            CALLER, Request("iam:PassRole", ROLE, {"iam:passedtoservice": ["ec2.amazonaws.com"]}), Policies([pass_role])
        )


def test_like_and_bool_conditions() -> None:
    grant = allow("kms:CreateGrant", KEY, Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}})
    authorize(CALLER, Request("kms:CreateGrant", KEY, {"kms:grantisforawsresource": ["true"]}), root_key([grant]))
    with pytest.raises(AccessDenied):
        authorize(CALLER, Request("kms:CreateGrant", KEY), root_key([grant]))  # asked by the role itself
    metrics = allow(
        "cloudwatch:PutMetricData", "*", Condition={"StringLike": {"cloudwatch:namespace": "aws/sagemaker/*"}}
    )
    authorize(
        CALLER,
        Request("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": ["aws/sagemaker/X"]}),
        Policies([metrics]),
    )
    with pytest.raises(AccessDenied):
        authorize(
            CALLER,
            Request("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": ["Slipstream"]}),
            Policies([metrics]),
        )


def root_key(identity: list) -> Policies:
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return Policies(identity, key={"Statement": [root]})


def test_a_key_policy_delegating_to_the_account_needs_an_identity_policy_too() -> None:
    authorize(CALLER, Request("kms:Decrypt", KEY), root_key([allow("kms:Decrypt", KEY)]))
    with pytest.raises(AccessDenied, match="because no identity-based policy allows the kms:Decrypt action"):
        authorize(CALLER, Request("kms:Decrypt", KEY), root_key([allow("kms:Encrypt", KEY)]))


def test_a_key_policy_without_root_delegation_denies_even_what_iam_allows() -> None:
    service_only = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }
    with pytest.raises(AccessDenied) as denied:
        authorize(CALLER, Request("kms:Decrypt", KEY), Policies([allow("kms:*", "*")], key=service_only))
    assert str(denied.value).endswith("because no resource-based policy allows the kms:Decrypt action")


def test_a_key_policy_naming_the_role_allows_without_iam() -> None:
    to_role = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"}]}
    authorize(CALLER, Request("kms:Decrypt", KEY), Policies([], key=to_role))


def test_an_unknown_condition_operator_is_an_error_not_a_pass() -> None:
    odd = allow("s3:GetObject", "*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
    with pytest.raises(ValueError, match="DateGreaterThan"):
        authorize(CALLER, Request("s3:GetObject", "arn:aws:s3:::b/k"), Policies([odd]))
