"""Trust policies: may a service assume a role? IAM evaluates the role's AssumeRolePolicyDocument for
`sts:AssumeRole` by the service's principal, with the condition keys the service sends (its account and the ARN
of the resource it acts for: the confused-deputy keys `aws:SourceAccount` and `aws:SourceArn`).

The statements are strict/iam.py's (its actions, conditions and wildcards); what is new here is the principal:
a trust policy names services (`Principal.Service`, a string or a list), which no identity policy does. An
explicit Deny wins; without an Allow the role cannot be assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slipstream.local.strict.iam import Effect, Request, statements

STATES = "states.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
SAGEMAKER = "sagemaker.amazonaws.com"


@dataclass(frozen=True)
class Assumer:
    """A service about to assume a role on a resource's behalf (a state machine, a function, a job)."""

    service: str  # its global service principal, e.g. states.amazonaws.com
    region: str
    account: str
    source_arn: str

    @property
    def principals(self) -> tuple[str, ...]:
        # Step Functions tries its global principal, then the regional one (its error message names both).
        if self.service == STATES:
            return (STATES, f"states.{self.region}.amazonaws.com")
        return (self.service,)

    def request(self, role_arn: str) -> Request:
        context = {"aws:sourceaccount": [self.account], "aws:sourcearn": [self.source_arn]}
        return Request("sts:AssumeRole", role_arn, context)


def may_assume(trust: str | dict[str, Any] | None, role_arn: str, assumer: Assumer) -> bool:
    """Whether the trust policy lets `assumer` assume `role_arn` (no policy, or no such role: it may not)."""
    if not trust:
        return False
    request = assumer.request(role_arn)
    effects = [
        s.effect_on(request)
        for s in statements(trust)
        if any(s.names_service(principal) for principal in assumer.principals)
    ]
    return Effect.DENY not in effects and Effect.ALLOW in effects
