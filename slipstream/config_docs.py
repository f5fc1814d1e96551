"""Render the configuration reference (docs/config.md) from the pydantic models, so it cannot drift.

`python -m slipstream.config_docs > docs/config.md`; a test fails when the committed page is stale.
"""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from slipstream.config import Config

HEADER = """# Configuration reference: `slipstream.toml`

Generated from `slipstream/config.py` by `python -m slipstream.config_docs`; do not edit by hand.
Unknown keys are refused, so a typo is an error, not a silently ignored setting. Defaults marked
"by task" are chosen from `data.task` (classification: LogisticRegression, gate on `roc_auc`;
regression: HistGradientBoostingRegressor, gate on `r2`; no threshold unless set: docs/gate.md).
"""


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "")
    for prefix in ("<class '", "'>"):
        text = text.replace(prefix, "")
    text = text.replace("slipstream.config.", "").replace("slipstream.stage_config.", "")
    text = text.replace("slipstream.experiment_config.", "").replace("slipstream.alarm_config.", "")
    return text.replace("|", "\\|")  # a bare pipe would split the markdown table cell


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "**required**"
    if field.default_factory is not None:
        return "empty"
    if field.default is None:
        return "by task / unset"
    return f"`{json.dumps(field.default)}`"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        for inner in [candidate, *typing.get_args(candidate)]:
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _section(title: str, model: type[BaseModel], lines: list[str], seen: set[str]) -> None:
    rows = [f"## `{title}`", "", "| key | type | default | meaning |", "|---|---|---|---|"]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        sub = _nested_model(field.annotation)
        if sub is not None and sub.__name__ not in seen:
            nested.append((f"{title}.{name}" if title != "top level" else name, sub))
        rows.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {field.description or ''} |")
    lines += [*rows, ""]
    for sub_title, sub in nested:
        seen.add(sub.__name__)
        _section(sub_title, sub, lines, seen)


def render() -> str:
    lines = [HEADER]
    _section("top level", Config, lines, {"Config"})
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
