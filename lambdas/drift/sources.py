"""Each version's training baseline, which the drift Lambda compares captured traffic with (captures, the
deployment record and feedback are read by lambdas/common/captures.py, shared with the experiment Lambda).
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from lambdas.common.captures import read_json
from slipstream.documents.deployment import CHALLENGER, CHAMPION, DeploymentRecord
from slipstream.layout import BASELINE, run_key

logger = logging.getLogger(__name__)


def baseline_uris(deployment: DeploymentRecord, artifact_bucket: str) -> dict[str, str]:
    """model version -> baseline.json URI, from the deployment record's variants.

    A variant names its baseline as `baseline_uri`, or its pipeline run as `run_id` (ValidateData writes
    the run's BASELINE in the artifact bucket).
    """
    uris = {}
    for name in (CHAMPION, CHALLENGER):
        record = deployment.variant(name)
        if record is None:
            continue
        run_baseline = f"s3://{artifact_bucket}/{run_key(record.run_id, BASELINE)}" if record.run_id else None
        if uri := record.baseline_uri or run_baseline:
            uris[record.version] = uri
    return uris


def load_baselines(s3: Any, uris: dict[str, str], versions: list[str]) -> dict[str, dict[str, Any] | None]:
    baselines: dict[str, dict[str, Any] | None] = {}
    for version in versions:
        uri = uris.get(version)
        try:
            baselines[version] = read_json(s3, uri) if uri else None
        except ClientError as error:
            # A missing baseline is data (that version is reported without drift); anything else, AccessDenied
            # above all, is a broken deployment and must fail the run, not hide drift behind a warning.
            if error.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                raise
            logger.warning("no baseline for version %s at %s: %s", version, uri, error)
            baselines[version] = None
    return baselines
