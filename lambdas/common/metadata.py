"""Values SageMaker accepts in a model package's CustomerMetadataProperties, made from any text.

SageMaker refuses a value that does not match `[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*` or is longer than 256 characters.
An S3 key may hold anything (`incoming/cohort (2024), v2.csv`), so a value built from one is escaped the
quoted-printable way: each other character becomes `=XX` per UTF-8 byte, `=` included, which keeps the text
readable and reversible. A value still too long keeps its start and end (the bucket and the file name) around
an elision; the exact text is then only where it came from (for the data: the run's validation.json).
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 256
ELISION = "..."
_PUNCTUATION = frozenset("_.:/+-@")  # SageMaker's set, less "=", the escape character
_CATEGORIES = ("L", "Z", "N")  # \p{L}, \p{Z}, \p{N}: stdlib only, Lambda's runtime has no `regex` package


def metadata_value(text: str) -> str:
    """`text` as a valid CustomerMetadataProperties value, escaped and, past 256 characters, elided."""
    escaped = "".join(char if _allowed(char) else _escape(char) for char in text)
    if len(escaped) <= MAX_LENGTH:
        return escaped
    keep = MAX_LENGTH - len(ELISION)
    return escaped[: keep // 2] + ELISION + escaped[-(keep - keep // 2) :]


def _allowed(char: str) -> bool:
    return char in _PUNCTUATION or unicodedata.category(char).startswith(_CATEGORIES)


def _escape(char: str) -> str:
    return "".join(f"={byte:02X}" for byte in char.encode("utf-8"))
