"""What the batch scorer (training/batch_score.py) is given: the one builder of its flags, so every runtime that
starts it (`slipstream predict` today; the batch processing job on AWS, docs/batch.md) passes the same ones."""

from __future__ import annotations

import json

from slipstream.batch_config import BatchConfig
from slipstream.job_arguments import processing_path

BATCH_PROGRAM = "batch_score.py"
# The batch processing job's inputs and its output, by name: each is mounted at /opt/ml/processing/<name>.
DATA, MODEL, CONTRACT, SCORES = "data", "model", "contract", "scores"
CONTRACT_FILE = "contract.json"  # the serving contract's object name (slipstream/layout.py CONTRACT_KEY)
REJECTS_FILE, SUMMARY_FILE = "rejects.csv", "summary.json"  # beside predictions.<ext> in the output folder


def batch_arguments(
    config: BatchConfig,
    *,
    input_path: str,
    model: str,
    contract: str,
    output: str,
    rejects: str,
    summary: str,
    progress: bool = False,
) -> list[str]:
    """`output` may be a folder: the scorer then writes predictions.<the input's suffix> in it."""
    arguments = ["--input", input_path, "--model", model, "--contract", contract]
    arguments += ["--output", output, "--rejects", rejects, "--summary", summary]
    arguments += ["--on-bad-row", config.on_bad_row, "--id-columns", json.dumps(config.id_columns)]
    arguments += ["--chunk-rows", str(config.chunk_rows)]
    return [*arguments, "--progress"] if progress else arguments


def processing_arguments(config: BatchConfig) -> list[str]:
    """The scorer's flags inside the processing job: the data input is a folder holding the one file, the model
    input a folder holding model.tar.gz, the output a folder (predictions keep the input's format)."""
    scores = processing_path(SCORES)
    return batch_arguments(
        config,
        input_path=processing_path(DATA),
        model=processing_path(MODEL),
        contract=f"{processing_path(CONTRACT)}/{CONTRACT_FILE}",
        output=scores,
        rejects=f"{scores}/{REJECTS_FILE}",
        summary=f"{scores}/{SUMMARY_FILE}",
    )
