"""ValidateData on AWS: fetch the new data, check it against the stored contract, write the run's inputs.

Writes the run's inputs under runs/<run_id>/ of the artifact bucket (the split, contract, baseline, report
behaviour spec and importance settings; the keys are in slipstream/layout.py), and the stored contract on the first run.
"""

from __future__ import annotations

import json
import tempfile
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from lambdas.common.metadata import metadata_value
from lambdas.common.s3uri import s3_uri
from slipstream import layout
from slipstream.channel_files import to_parquet
from slipstream.config import Config, parse_config
from slipstream.contract import Contract, read_contract
from slipstream.dataset import data_sha256, load_dataset
from slipstream.documents.evaluation import ImportanceSettings
from slipstream.documents.run import RunRequest
from slipstream.documents.validation import ValidationOutput
from slipstream.steps.validate import validate_data


def run_validation(request: RunRequest, config: Config, *, s3: Any, artifact_bucket: str) -> ValidationOutput:
    """Raises DataError / ContractViolation (the state machine's Catch reports them) when the data is refused."""
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / PurePosixPath(request.data.key).name
        s3.download_file(request.data.bucket, request.data.key, str(local))
        file_config = _config_for_file(config, local)
        frame = load_dataset(file_config)
        sha256 = data_sha256(file_config)
        result = validate_data(frame, config, _stored_contract(s3, artifact_bucket, Path(tmp)))
    source = s3_uri(request.data.bucket, request.data.key)
    put = _writer(s3, artifact_bucket)
    in_run = partial(layout.run_key, request.run_id)
    put(in_run(layout.TRAIN_FILE), to_parquet(result.train), layout.CHANNEL_CONTENT_TYPE)
    put(in_run(layout.TEST_FILE), to_parquet(result.test), layout.CHANNEL_CONTENT_TYPE)
    put(in_run(layout.CONTRACT), result.contract.model_dump_json(indent=2))
    put(in_run(layout.BASELINE), json.dumps(result.baseline, indent=2, default=str))
    put(in_run(layout.VALIDATION), json.dumps({**result.report, "source": source}, indent=2, default=str))
    put(in_run(layout.BEHAVIOUR), json.dumps(config.behaviour.model_dump(mode="json"), indent=2))
    put(in_run(layout.IMPORTANCE_SETTINGS), ImportanceSettings.from_config(config).model_dump_json(indent=2))
    if result.is_new_contract:
        put(layout.CONTRACT_KEY, result.contract.model_dump_json(indent=2))

    def uri(relative: str) -> str:
        return s3_uri(artifact_bucket, in_run(relative))

    return ValidationOutput(
        train_uri=uri(layout.TRAIN_CHANNEL),
        test_uri=uri(layout.TEST_CHANNEL),
        behaviour_uri=uri(layout.BEHAVIOUR_CONFIG),
        contract_uri=uri(layout.CONTRACT),
        baseline_uri=uri(layout.BASELINE),
        report_uri=uri(layout.VALIDATION),
        data_sha256=sha256,
        data_label=metadata_value(source),
        is_new_contract=result.is_new_contract,
        rows={"train": len(result.train), "test": len(result.test)},
    )


def _config_for_file(config: Config, local: Path) -> Config:
    """The same config, reading `data.source` from the downloaded copy."""
    raw = config.model_dump(mode="json")
    raw["data"]["source"] = local.name
    return parse_config(raw, base_dir=local.parent, source="SLIPSTREAM_CONFIG")


def _stored_contract(s3: Any, bucket: str, tmp: Path) -> Contract | None:
    target = tmp / layout.CONTRACT
    try:
        s3.download_file(bucket, layout.CONTRACT_KEY, str(target))
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            return None  # first run: validate_data writes the contract
        raise
    return read_contract(target)


def _writer(s3: Any, bucket: str):
    def put(key: str, body: str | bytes, content_type: str = "application/json") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)

    return put
