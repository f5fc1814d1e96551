"""What the batch scorer (training/batch_score.py) is given: the one builder of its flags, so every runtime that
starts it (`slipstream predict` today; the batch processing job on AWS, docs/batch.md) passes the same ones."""

from __future__ import annotations

import json

from slipstream.batch_config import BatchConfig

BATCH_PROGRAM = "batch_score.py"


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
