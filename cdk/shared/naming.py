"""Physical names derived from the project name and stage, kept within each service's length limit.

`name` (up to 48 characters, slipstream/config.py) and the stage (up to 7) fit most limits as they are;
where a name plus its suffix would not, `bounded` keeps its start and replaces the rest with a short hash
of the whole, so the result is stable across deployments and two long names that share a start stay apart.
"""

from __future__ import annotations

import hashlib

DIGEST_LENGTH = 8

# Service limits on the names we set (AWS documentation of each service's Create* API).
IAM_ROLE = 64
SAGEMAKER = 63  # jobs, models, endpoint configs, endpoints, model package groups
STATE_MACHINE = 80
GLUE_DATABASE = 255  # lowercase letters, digits and `_` (what Athena accepts unquoted)
ATHENA_WORKGROUP = 128


def bounded(name: str, limit: int) -> str:
    """`name` when it fits in `limit` characters, else `<start>-<8 hex digits of sha256(name)>`."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]
    head = name[: limit - DIGEST_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def with_suffix(base: str, suffix: str, limit: int) -> str:
    """`<base><suffix>` within `limit`, shortening the base (not the suffix, which says what the thing is)."""
    return bounded(base, limit - len(suffix)) + suffix


def glue_name(name: str, limit: int = GLUE_DATABASE) -> str:
    """`name` as a Glue/Athena identifier: lowercase, hyphens as `_` (project names are letters, digits, `-`)."""
    return bounded(name, limit).lower().replace("-", "_")
