"""Pydantic/powertools validation errors as [{field, reason}]: one entry per problem, named for a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lambdas.predict.json_body import excerpt

MAX_PROBLEMS = 100  # keeps an error body bounded when a large request is wrong everywhere


def _field(loc: Sequence[Any]) -> str:
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _reason(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"not valid JSON: {error.get('ctx', {}).get('error', 'decode error')}"
    if kind == "missing":
        return "missing (required)"
    if kind == "extra_forbidden":
        return "unknown field (not in the data contract)"
    return str(error.get("msg", "invalid"))


def validation_problems(errors: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    problems = []
    for error in errors[:MAX_PROBLEMS]:
        loc = error.get("loc", ())
        field = "body" if error.get("type") == "json_invalid" else _field(loc)
        # Field names and pydantic's messages can carry the caller's own text (a key, a value): bounded.
        problems.append({"field": excerpt(field), "reason": excerpt(_reason(error))})
    if len(errors) > MAX_PROBLEMS:
        problems.append({"field": "body", "reason": f"and {len(errors) - MAX_PROBLEMS} more problems"})
    return problems
