"""API parameters checked as the service checks them, from botocore's own service models.

botocore's client refuses only what its validator covers (required and unknown members, types, `min`), and
moto's Step Functions interpreter even turns that off (`parameter_validation=False`). AWS's services go further:
they refuse enum values outside the enum, strings and collections outside `min`/`max`, numbers out of range and
strings not matching the model's `pattern` (Java regexes, matched whole, hence the `regex` package for
`\\p{L}` and friends), and answer ValidationException (400) with every violation, in Coral's words:
"2 validation errors detected: Value 'x' at 'trainingJobName' failed to satisfy constraint: ...; ...".

`check_call` is a botocore `before-parameter-build` handler; it sees the caller's own parameters after
botocore's built-in handlers have filled idempotency tokens and the like. A client that validates (every
boto3 client but moto's interpreter's) refuses SDK-level problems itself, so those are left to botocore's
ParamValidationError, as on AWS nothing would be sent. S3 is REST-XML and does not apply the model's
constraints server-side (it has its own rules and codes, e.g. KeyTooLongError, InvalidStorageClass), so for S3
only the SDK-level checks apply. Rules are compiled once per shape and kept per service model.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import regex
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape
from botocore.utils import parse_to_aware_datetime

# Services whose servers do not apply the model's constraints (REST-XML, own error codes): SDK checks only.
NO_SERVER_CHECKS = frozenset({"s3", "s3control"})
_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list, tuple),
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (float, int, Decimal),
    "double": (float, int, Decimal),
    "boolean": (bool,),
}
_NUMBERS = frozenset({"integer", "long", "float", "double"})
_SURROGATE_PAIR = regex.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", regex.IGNORECASE)
_HIDDEN = object()  # a value Coral does not print (sensitive members, streams)


@dataclass(frozen=True)
class Violation:
    path: str
    constraint: str
    value: Any = _HIDDEN
    sdk: bool = False  # botocore's own validator refuses this too (required, unknown, type, min)

    def message(self) -> str:
        shown = "" if self.value is _HIDDEN else f" {_render(self.value)}"
        return f"Value{shown} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def check_call(params: dict[str, Any], model: OperationModel, context: dict[str, Any] | None = None, **_: Any) -> None:
    """botocore `before-parameter-build` handler: raise the service's ValidationException for a call it refuses."""
    found = violations(model, params)
    if not found:
        return
    config = (context or {}).get("client_config")
    if getattr(config, "parameter_validation", True) and any(v.sdk for v in found):
        return  # the SDK refuses the call itself (ParamValidationError) before anything is sent
    raise validation_error(model, found)


def violations(model: OperationModel, params: dict[str, Any]) -> list[Violation]:
    """Every constraint of the operation's input the parameters break, in the order of the model's members."""
    shape = model.input_shape
    if shape is None:
        return []
    service = model.service_model
    rules = _rules_for(service.service_name, service.api_version)
    found: list[Violation] = []
    rules(shape).check(params, "", found)
    return found if service.service_name not in NO_SERVER_CHECKS else [v for v in found if v.sdk]


def validation_error(model: OperationModel, found: list[Violation]) -> ClientError:
    """The service's answer: one ValidationException (ValidationError for Query services) naming them all."""
    count = len(found)
    message = f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(v.message() for v in found)
    query = model.service_model.protocol == "query"
    error = {"Code": "ValidationError" if query else "ValidationException", "Message": message}
    if query:
        error["Type"] = "Sender"
    metadata = {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4()), "HTTPHeaders": {}, "RetryAttempts": 0}
    return ClientError({"Error": error, "ResponseMetadata": metadata}, model.name)


@lru_cache(maxsize=64)
def _rules_for(service_name: str, api_version: str) -> ServiceRules:
    return ServiceRules()


class ServiceRules:
    """The compiled rules of one service model's shapes, by shape name (unique within a model)."""

    def __init__(self) -> None:
        self._shapes: dict[str, ShapeRules] = {}

    def __call__(self, shape: Shape) -> ShapeRules:
        rules = self._shapes.get(shape.name)
        if rules is None:
            rules = self._shapes[shape.name] = ShapeRules(shape, self)
        return rules


class ShapeRules:
    """One shape's constraints, read once from the model."""

    def __init__(self, shape: Shape, service: ServiceRules) -> None:
        meta = shape.metadata
        self.shape, self.service, self.kind = shape, service, shape.type_name
        self.document = self.kind == "structure" and bool(getattr(shape, "is_document_type", False))
        self.min, self.max = meta.get("min"), meta.get("max")
        self.enum = tuple(getattr(shape, "enum", None) or ())
        self.pattern = meta.get("pattern")
        self.regex = _compile(self.pattern) if self.pattern else None
        self.sensitive = bool(meta.get("sensitive"))
        self.required = tuple(meta.get("required", ()))
        self.union = bool(meta.get("union"))

    def check(self, value: Any, path: str, found: list[Violation]) -> None:
        if self.document:
            return  # free-form JSON: nothing in the model to check it against
        if not self._type_ok(value):
            found.append(Violation(path, f"Member must be of type {self.kind}", self._shown(value), sdk=True))
            return
        if self.kind == "structure":
            self._check_structure(value, path, found)
        elif self.kind == "list":
            self._check_size(len(value), value, path, found, sdk_min=True)
            member = self.service(self.shape.member)
            for index, item in enumerate(value, start=1):
                member.check(item, f"{path}.{index}.member", found)
        elif self.kind == "map":
            self._check_map(value, path, found)
        else:
            self._check_scalar(value, path, found)

    def _type_ok(self, value: Any) -> bool:
        if self.kind == "blob":
            return isinstance(value, bytes | bytearray | str) or hasattr(value, "read")
        if self.kind == "timestamp":
            try:
                parse_to_aware_datetime(value)
            except (TypeError, ValueError, AttributeError):
                return False
            return True
        expected = _TYPES.get(self.kind)
        if expected is None:
            return True
        if self.kind in _NUMBERS and isinstance(value, bool):
            return False  # JSON true is not a number, whatever Python's bool subclassing says
        return isinstance(value, expected)

    def _check_structure(self, value: dict[str, Any], path: str, found: list[Violation]) -> None:
        members = self.shape.members
        if self.union and len(value) != 1:
            found.append(Violation(path or self.shape.name, "Member must have exactly one member set", sdk=True))
        for name in self.required:
            if value.get(name) is None:
                found.append(Violation(_join(path, name), "Member must not be null", None, sdk=True))
        for name, item in value.items():
            if name not in members:
                constraint = f"Member must be one of the members of {self.shape.name}"
                found.append(Violation(_join(path, name), constraint, _HIDDEN, sdk=True))
            elif item is not None or name not in self.required:
                self.service(members[name]).check(item, _join(path, name), found)

    def _check_map(self, value: dict[Any, Any], path: str, found: list[Violation]) -> None:
        self._check_size(len(value), value, path, found, sdk_min=False)
        keys, values = self.service(self.shape.key), self.service(self.shape.value)
        for key, item in value.items():
            broken: list[Violation] = []
            keys.check(key, path, broken)
            if broken:
                detail = ", ".join(v.constraint for v in broken)
                constraint = f"Map keys must satisfy constraint: [{detail}]"
                found.append(Violation(path, constraint, keys._shown(key), broken[0].sdk))
            values.check(item, f"{path}.{key}", found)

    def _check_scalar(self, value: Any, path: str, found: list[Violation]) -> None:
        if self.kind in _NUMBERS:
            self._check_range(value, path, found)
            return
        if self.kind == "string":
            self._check_size(len(value), value, path, found, sdk_min=True)
            if self.enum and value not in self.enum:
                constraint = f"Member must satisfy enum value set: [{', '.join(self.enum)}]"
                found.append(Violation(path, constraint, self._shown(value)))
            if self.regex is not None and not self.regex.fullmatch(value):
                constraint = f"Member must satisfy regular expression pattern: {self.pattern}"
                found.append(Violation(path, constraint, self._shown(value)))
        elif self.kind == "blob" and isinstance(value, bytes | bytearray | str):
            size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
            self._check_size(size, value, path, found, sdk_min=False)

    def _check_size(self, size: int, value: Any, path: str, found: list[Violation], *, sdk_min: bool) -> None:
        if self.min is not None and size < self.min:
            constraint = f"Member must have length greater than or equal to {self.min}"
            found.append(Violation(path, constraint, self._shown(value), sdk=sdk_min))
        if self.max is not None and size > self.max:
            constraint = f"Member must have length less than or equal to {self.max}"
            found.append(Violation(path, constraint, self._shown(value)))

    def _check_range(self, value: Any, path: str, found: list[Violation]) -> None:
        if self.min is not None and value < self.min:
            constraint = f"Member must have value greater than or equal to {_number(self.min)}"
            found.append(Violation(path, constraint, self._shown(value), sdk=True))
        if self.max is not None and value > self.max:
            constraint = f"Member must have value less than or equal to {_number(self.max)}"
            found.append(Violation(path, constraint, self._shown(value)))

    def _shown(self, value: Any) -> Any:
        return _HIDDEN if self.sensitive or hasattr(value, "read") else value


def _join(path: str, member: str) -> str:
    """Coral names members in camelCase from the first letter only: SAMLOptions -> sAMLOptions."""
    name = member[:1].lower() + member[1:]
    return f"{path}.{name}" if path else name


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> regex.Pattern[str] | None:
    """The model's Java regex; None if the `regex` package cannot read it (then the pattern goes unchecked)."""
    try:
        return regex.compile(_SURROGATE_PAIR.sub(_code_point, pattern), regex.VERSION0)
    except regex.error:
        return None


def _code_point(pair: regex.Match[str]) -> str:
    """Java reads `\\uD800\\uDC00` as one supplementary code point (U+10000); Python needs it spelled so."""
    high, low = int(pair[1], 16), int(pair[2], 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def _number(limit: Any) -> str:
    return str(int(limit)) if float(limit).is_integer() else str(limit)


def _render(value: Any) -> str:
    """A value as Coral prints it (Java's toString): 'text', null, [a, b], {k=v}, a blob as its ByteBuffer."""
    if value is None:
        return "null"
    return f"'{_java(value)}'"


def _java(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_java(v) for v in value) + "]"
    if isinstance(value, bytes | bytearray):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)
