"""Bodies no server may answer with a 5xx: the JSON edges of issue 15, shared by the handler's unit test and the
HTTP test against `slipstream serve`. Each case: (id, path, raw body, the reason the answer must contain).

`row` is a valid instance of the served contract; the bodies are built around it so the only fault is the one named.
"""

from __future__ import annotations

import json
from typing import Any

DEEP = 5_000
DIGITS = 4_301


def catalogue(row: dict[str, Any]) -> list[tuple[str, str, bytes, str]]:
    name = next(iter(row))
    instance = json.dumps(row)
    other = json.dumps({k: v for k, v in row.items() if k != name})[1:-1]
    cases = [
        ("huge integer", "/predict", f'{{"instances": [{{"{name}": {"9" * DIGITS}, {other}}}]}}', "digits"),
        ("huge negative integer", "/predict", f'{{"instances": [{{"{name}": -{"1" * 10_000}, {other}}}]}}', "digits"),
        ("huge row index", "/feedback", f'{{"request_id": "r", "row": {"9" * DIGITS}, "ground_truth": 1}}', "digits"),
        ("deep arrays", "/predict", '{"instances": ' + "[" * DEEP + "]" * DEEP + "}", "nested"),
        ("deep objects", "/predict", '{"instances": [' + '{"a": ' * DEEP + "1" + "}" * DEEP + "]}", "nested"),
        ("deep but parseable", "/predict", '{"instances": [' + "[" * 200 + "]" * 200 + "]}", "nested"),
        ("duplicate key", "/predict", f'{{"instances": [{instance}], "instances": []}}', "duplicate key"),
        ("duplicate feature", "/predict", f'{{"instances": [{{"{name}": 1, {instance[1:]}]}}', "duplicate key"),
        ("long unknown key", "/predict", f'{{"instances": [{{"{"k" * 5000}": 1, {instance[1:]}]}}', "unknown field"),
    ]
    return [(case, path, body.encode(), reason) for case, path, body, reason in cases]
