"""Trust policies (slipstream/local/strict/trust.py): whether a service may assume a role, as IAM decides it."""

from __future__ import annotations

import pytest

from slipstream.local.strict.trust import LAMBDA, SAGEMAKER, STATES, Assumer, may_assume

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Pipeline"
MACHINE = Assumer(STATES, "eu-west-1", ACCOUNT, f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:Pipeline")
FUNCTION = Assumer(LAMBDA, "eu-west-1", ACCOUNT, f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:drift")
JOB = Assumer(SAGEMAKER, "eu-west-1", ACCOUNT, f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:training-job/train-1")


def trust(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(service, **extra) -> dict:
    return {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole", **extra}


def test_the_named_service_may_assume_the_role_and_no_other() -> None:
    document = trust(allow(STATES))
    assert may_assume(document, ROLE, MACHINE)
    assert not may_assume(document, ROLE, FUNCTION)
    assert not may_assume(document, ROLE, JOB)


def test_principal_service_may_be_a_list_and_the_document_a_string() -> None:
    document = trust(allow([LAMBDA, SAGEMAKER]))
    assert may_assume(document, ROLE, FUNCTION)
    assert may_assume(document, ROLE, JOB)
    assert not may_assume(document, ROLE, MACHINE)
    assert may_assume(
        '{"Statement": {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, '
        '"Action": "sts:AssumeRole"}}',
        ROLE,
        FUNCTION,
    )


def test_step_functions_may_be_trusted_through_its_regional_principal() -> None:
    assert may_assume(trust(allow("states.eu-west-1.amazonaws.com")), ROLE, MACHINE)
    assert not may_assume(trust(allow("states.us-east-1.amazonaws.com")), ROLE, MACHINE)


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"},
        allow(LAMBDA) | {"Action": "sts:TagSession"},
        allow(LAMBDA) | {"Action": "sts:AssumeRoleWithWebIdentity"},
    ],
    ids=["an-account-not-a-service", "another-action", "web-identity"],
)
def test_a_statement_for_someone_or_something_else_does_not_let_the_service_in(statement) -> None:
    assert not may_assume(trust(statement), ROLE, FUNCTION)


def test_no_trust_policy_lets_nobody_in() -> None:
    assert not may_assume(None, ROLE, FUNCTION)
    assert not may_assume(trust(), ROLE, FUNCTION)


def test_an_explicit_deny_wins_over_an_allow() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}
    assert not may_assume(trust(allow(LAMBDA), deny), ROLE, FUNCTION)
    assert may_assume(trust(allow(LAMBDA), deny | {"Principal": {"Service": SAGEMAKER}}), ROLE, FUNCTION)


def test_not_principal_covers_every_service_it_does_not_name() -> None:
    deny = {"Effect": "Deny", "NotPrincipal": {"Service": LAMBDA}, "Action": "sts:AssumeRole"}
    document = trust(allow([LAMBDA, SAGEMAKER]), deny)
    assert may_assume(document, ROLE, FUNCTION)
    assert not may_assume(document, ROLE, JOB)


def test_confused_deputy_conditions_see_the_account_and_the_source_the_service_sends() -> None:
    account = allow(SAGEMAKER, Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}})
    assert may_assume(trust(account), ROLE, JOB)
    assert not may_assume(trust(account), ROLE, Assumer(SAGEMAKER, "eu-west-1", "210987654321", JOB.source_arn))
    jobs = allow(SAGEMAKER, Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{ACCOUNT}:training-job/*"}})
    assert may_assume(trust(jobs), ROLE, JOB)
    model = Assumer(SAGEMAKER, "eu-west-1", ACCOUNT, f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model/m")
    assert not may_assume(trust(jobs), ROLE, model)


def test_a_condition_operator_the_evaluator_does_not_know_is_named() -> None:
    document = trust(allow(LAMBDA, Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}))
    with pytest.raises(ValueError, match="DateGreaterThan"):
        may_assume(document, ROLE, FUNCTION)
