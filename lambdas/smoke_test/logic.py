"""SmokeTest on AWS: load the run's contract and baseline from S3, then call the shared step function."""

from __future__ import annotations

import json
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.config import Config
from slipstream.contract import Contract
from slipstream.documents.smoke import SmokeRequest, SmokeResult
from slipstream.steps.smoke_test import smoke_test


def _read_json(s3: Any, uri: str) -> Any:
    bucket, key = split_s3_uri(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def run_smoke_test(request: SmokeRequest, config: Config, *, s3: Any, runtime: Any) -> SmokeResult:
    contract = Contract.model_validate(_read_json(s3, request.contract_uri))
    baseline = _read_json(s3, request.baseline_uri)
    return smoke_test(runtime, request.endpoint_name, contract, baseline, config.behaviour.minimum_functionality)
