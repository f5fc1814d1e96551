"""IAM policy evaluation for one account, as AWS evaluates a same-account request.

moto ships a policy evaluator (`moto.iam.access_control.IAMPolicyStatement`) and we build on it, but as it stands
it is more lenient or more severe than IAM in ways our policies hit, so these parts are ours:
- action names match case-insensitively (CDK writes `sagemaker:listModelPackages`); resources case-sensitively,
  with `*` and `?` as IAM's only wildcards (moto's regex lets `.` match anything);
- an Allow whose condition does not hold is neutral (moto answers DENIED, so CDK's `enforceSSL` Deny on
  `aws:SecureTransport=false` would refuse every TLS call), and NotResource is honoured;
- the condition operators CDK's grants use: String*, Arn*, Bool, Null, with `...IfExists` and the
  `ForAnyValue:`/`ForAllValues:` qualifiers (moto evaluates StringEquals only and ignores the rest);
- principals of resource-based policies (key, bucket and topic policies): `*`, an account (delegation to IAM),
  a role or its session, a service (trust policies, strict/trust.py);
- the decision logic: an explicit Deny anywhere wins; a KMS key policy must allow, directly or by delegating to
  the account root (then an identity-based policy must allow too); elsewhere either kind of policy may allow.
The denial message is AWS's own wording.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

from moto.iam.access_control import IAMPolicyStatement

Context = dict[str, list[str]]  # condition key (lower case) -> the request's values


class Effect(Enum):
    ALLOW = "allow"
    DENY = "deny"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Principal:
    """Who signs a request: an assumed role's session (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`)."""

    arn: str
    role_arn: str
    account: str

    @property
    def root(self) -> str:
        return f"arn:aws:iam::{self.account}:root"


@dataclass(frozen=True)
class Request:
    action: str  # service:Action
    resource: str
    context: Context = field(default_factory=dict)


class AccessDenied(Exception):
    """A call IAM refuses; `str()` is AWS's message."""

    def __init__(self, principal: Principal, request: Request, reason: str) -> None:
        self.principal, self.request, self.reason = principal, request, reason
        super().__init__(
            f"User: {principal.arn} is not authorized to perform: {request.action} on resource: {request.resource} "
            f"{reason}"
        )


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _compare(operator: str, expected: str, actual: str) -> bool:
    base = operator.removesuffix("IfExists").removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
    positive = base.replace("Not", "", 1)
    if positive in ("StringEquals", "ArnEquals"):
        return expected == actual
    if positive == "StringEqualsIgnoreCase":
        return expected.lower() == actual.lower()
    if positive in ("StringLike", "ArnLike"):
        return _wildcard(expected, actual)
    if positive == "Bool":
        return expected.lower() == actual.lower()
    raise ValueError(f"the strict emulation does not evaluate the IAM condition operator {operator}")


OPERATORS = {
    f"{kind}{variant}"
    for kind, variants in {
        "String": ("Equals", "NotEquals", "EqualsIgnoreCase", "NotEqualsIgnoreCase", "Like", "NotLike"),
        "Arn": ("Equals", "NotEquals", "Like", "NotLike"),
    }.items()
    for variant in variants
} | {"Bool", "Null"}


def condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    """One `"<operator>": {"<key>": <expected>}` entry of a Condition block against the request's context."""
    base = operator.removesuffix("IfExists").removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
    if base not in OPERATORS:
        raise ValueError(f"the strict emulation does not evaluate the IAM condition operator {operator}")
    actual = context.get(key.lower())
    if operator == "Null":
        return (actual is None) == (str(expected).lower() == "true")
    if actual is None:
        return operator.endswith("IfExists") or ("Not" in operator and not operator.startswith("ForAnyValue:"))
    negated = "Not" in operator.removesuffix("IfExists")
    wanted = _listed(expected)

    def matches(value: str) -> bool:
        hit = any(_compare(operator, e, value) for e in wanted)
        return not hit if negated else hit

    if operator.startswith("ForAllValues:"):
        return all(matches(v) for v in actual)
    return any(matches(v) for v in actual)


class Statement(IAMPolicyStatement):
    """One policy statement: moto's element matching with IAM's wildcards, case rules and conditions."""

    def effect_on(self, request: Request, principal: Principal | None = None) -> Effect:
        """ALLOW/DENY if the statement applies to the request (and, in a resource policy, to the principal)."""
        if not self._applies(request):
            return Effect.NEUTRAL
        if principal is not None and not self.names(principal):
            return Effect.NEUTRAL
        conditions = self._statement.get("Condition") or {}
        for operator, entries in conditions.items():
            if not all(condition_holds(operator, k, v, request.context) for k, v in entries.items()):
                return Effect.NEUTRAL
        return Effect.DENY if self._statement["Effect"] == "Deny" else Effect.ALLOW

    def _applies(self, request: Request) -> bool:
        s = self._statement
        actions = "NotAction" if "NotAction" in s else "Action"
        hit = any(_wildcard(p, request.action, ignore_case=True) for p in _listed(s[actions]))
        if hit == (actions == "NotAction"):
            return False
        if "NotResource" in s:
            return not any(_wildcard(p, request.resource) for p in _listed(s["NotResource"]))
        return any(_wildcard(p, request.resource) for p in _listed(s.get("Resource", "*")))

    def names(self, principal: Principal) -> bool:
        """Whether the Principal element names the caller (`*`, its account, its role or its session)."""
        given = self._statement.get("Principal")
        if given == "*":
            return True
        if not isinstance(given, dict):
            return False
        aws = _listed(given.get("AWS", []))
        return any(p in ("*", principal.account, principal.root, principal.role_arn, principal.arn) for p in aws)

    def names_service(self, service: str) -> bool:
        """Whether the Principal (or NotPrincipal) element covers a service principal, as in a trust policy."""
        if "NotPrincipal" in self._statement:
            return not self._covers_service(self._statement["NotPrincipal"], service)
        return self._covers_service(self._statement.get("Principal"), service)

    @staticmethod
    def _covers_service(given: Any, service: str) -> bool:
        if given == "*":
            return True
        if not isinstance(given, dict):
            return False
        return "*" in _listed(given.get("AWS", [])) or service in _listed(given.get("Service", []))

    def delegates_only(self, principal: Principal) -> bool:
        """Names the caller only through its account: a grant to IAM, not to the caller itself."""
        given = self._statement.get("Principal")
        aws = _listed(given.get("AWS", [])) if isinstance(given, dict) else []
        return not any(p in ("*", principal.role_arn, principal.arn) for p in aws) and given != "*"


def statements(document: str | dict[str, Any]) -> list[Statement]:
    return _parsed(document) if isinstance(document, str) else _statements_of(document)


@lru_cache(maxsize=512)
def _parsed(document: str) -> list[Statement]:
    return _statements_of(json.loads(document))


def _statements_of(policy: dict[str, Any]) -> list[Statement]:
    body = policy.get("Statement", [])
    return [Statement(s) for s in (body if isinstance(body, list) else [body])]


def _combine(effects: list[Effect]) -> Effect:
    if Effect.DENY in effects:
        return Effect.DENY
    return Effect.ALLOW if Effect.ALLOW in effects else Effect.NEUTRAL


@dataclass
class Policies:
    """What applies to one request: the caller's identity-based policies and the resource's own policy."""

    identity: list[str | dict[str, Any]]
    resource: str | dict[str, Any] | None = None  # bucket or topic policy
    key: str | dict[str, Any] | None = None  # KMS key policy (only for kms: requests)


def authorize(principal: Principal, request: Request, policies: Policies) -> None:
    """Raise AccessDenied unless IAM allows `request` by `principal`."""
    identity = _combine([s.effect_on(request) for doc in policies.identity for s in statements(doc)])
    if identity is Effect.DENY:
        raise AccessDenied(principal, request, "with an explicit deny in an identity-based policy")
    resource_doc = policies.key if policies.key is not None else policies.resource
    held = [(s, s.effect_on(request, principal)) for s in statements(resource_doc)] if resource_doc else []
    if any(effect is Effect.DENY for _, effect in held):
        raise AccessDenied(principal, request, "with an explicit deny in a resource-based policy")
    allowing = [s for s, effect in held if effect is Effect.ALLOW]
    direct = any(not s.delegates_only(principal) for s in allowing)
    if policies.key is not None:
        if direct or (allowing and identity is Effect.ALLOW):
            return
        if not allowing:
            reason = f"because no resource-based policy allows the {request.action} action"
            raise AccessDenied(principal, request, reason)
    elif identity is Effect.ALLOW or direct:
        return
    raise AccessDenied(principal, request, f"because no identity-based policy allows the {request.action} action")
