"""QualityGate on AWS: read the processing job's evaluation.json and apply the same decision as locally."""

from __future__ import annotations

import json
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.config import Config
from slipstream.documents.gate import GateDecision, GateRequest
from slipstream.steps.gate import decide


def judge(request: GateRequest, config: Config, *, s3: Any) -> GateDecision:
    bucket, key = split_s3_uri(request.evaluation_uri)
    evaluation = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return decide(evaluation, config.gate, higher_is_better=config.higher_is_better)
