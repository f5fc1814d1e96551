"""The one JSON parser of request bodies: what the standard library accepts silently or fails on with a crash
is refused here as a JSON error (400, field `body`), with a reason that names the problem.

- duplicate keys: `{"a": 1, "a": 2}` is ambiguous (RFC 8259 leaves it to the parser); refused, never last-wins;
- numbers of more than 4,300 digits: `int()` raises ValueError (CVE-2020-10735's limit), which was a 500;
- nesting deeper than MAX_DEPTH: the C scanner recurses and raised RecursionError (a 500) at ~1,000 levels;
  a shallower but still absurd nesting is refused after parsing, before pydantic walks it.

Powertools calls it through `json_body_deserializer`, and turns its JSONDecodeError into a validation error.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_DEPTH = 32  # a request is 3 levels deep ({"instances": [{...}]}); anything near 32 is not one
MAX_DIGITS = sys.get_int_max_str_digits() or 4300
EXCERPT = 200  # characters of any caller's value an error message may quote


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """At most `limit` characters of a value, marked when cut: error messages never echo a whole value."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _too_deep(document: Any) -> bool:
    """Whether the parsed document nests deeper than MAX_DEPTH; iterative, so any depth is safe to check."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise json.JSONDecodeError(f"a number of {len(digits.lstrip('-'))} digits (at most {MAX_DIGITS})", "", 0)
    return int(digits)


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise json.JSONDecodeError(f"duplicate key {excerpt(key, 80)!r} in one object", "", 0)
        result[key] = value
    return result


def loads(text: str) -> Any:
    """Parse a request body; raise json.JSONDecodeError, with a reason a person can act on, for anything refused."""
    try:
        document = json.loads(text, object_pairs_hook=_refuse_duplicates, parse_int=_int)
    except json.JSONDecodeError as error:
        if error.doc == "":  # raised by a hook, which does not know the text or the position
            raise json.JSONDecodeError(error.msg, text, 0) from None
        raise
    except RecursionError:  # the C scanner recurses once per level: a 5,000-deep body got this far
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0) from None
    except ValueError as error:  # whatever else the parser cannot turn into a value is still the caller's 400
        raise json.JSONDecodeError(f"not accepted: {excerpt(str(error), 80)}", text, 0) from None
    if _too_deep(document):
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0)
    return document
