"""Resolve the CloudFormation intrinsics CDK writes into our templates, against resources we created ourselves.

Only the functions our synthesized stacks use (Ref, Fn::GetAtt, Fn::ImportValue, Fn::Join, Fn::Select,
Fn::Split, Fn::Sub, Fn::FindInMap). An intrinsic we do not know fails loudly: a template that grew a new one
must not run with a silently wrong value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


@dataclass
class Scope:
    """What one stack's intrinsics can see: pseudo parameters, its resources' attributes, its mappings, exports."""

    pseudo: dict[str, str]
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {"Ref"|"Arn"|...: value}
    mappings: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)  # shared by every stack of the app
    # Names CloudFormation would generate (roles, functions, buckets, keys, rules) are the logical id here: in an
    # account holding two stages, whose logical ids are the same, the second stage's get this prefix.
    qualifier: str = ""

    def local_name(self, logical_id: str, limit: int = 64) -> str:
        return f"{self.qualifier}{logical_id}"[:limit]

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        return self._attribute(name, "Ref")

    def get_att(self, logical_id: str, attribute: str) -> str:
        return self._attribute(logical_id, attribute)

    def _attribute(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise KeyError(f"no {attribute} for {logical_id}: the emulation did not create that resource") from None


def resolve(value: Any, scope: Scope) -> Any:
    """`value` with every intrinsic replaced by its value, recursively."""
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" or key.startswith("Fn::"):
            return _intrinsic(key, argument, scope)
    return {key: resolve(item, scope) for key, item in value.items()}


def _intrinsic(name: str, argument: Any, scope: Scope) -> Any:
    if name == "Ref":
        return scope.ref(argument)
    if name == "Fn::GetAtt":
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return scope.get_att(logical_id, attribute)
    if name == "Fn::ImportValue":
        export = resolve(argument, scope)
        if export not in scope.exports:
            raise KeyError(f"no export named {export!r}")
        return scope.exports[export]
    if name == "Fn::Join":
        separator, parts = argument
        return separator.join(str(part) for part in resolve(parts, scope))
    if name == "Fn::Select":
        index, items = resolve(argument, scope)
        return items[int(index)]
    if name == "Fn::Split":
        separator, text = argument
        return resolve(text, scope).split(separator)
    if name == "Fn::FindInMap":
        mapping, top, second = resolve(argument, scope)
        return scope.mappings[mapping][top][second]
    if name == "Fn::Sub":
        return _sub(argument, scope)
    raise NotImplementedError(f"intrinsic {name} is not supported by the local emulation")


def _sub(argument: Any, scope: Scope) -> str:
    template, variables = (argument, {}) if isinstance(argument, str) else argument
    values = {key: resolve(item, scope) for key, item in variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return str(values[name])
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return scope.get_att(logical_id, attribute)
        return scope.ref(name)

    return SUB_VARIABLE.sub(replace, template)
