"""What the batch scorer (training/batch_score.py) is given: one builder for `slipstream predict` and for the
batch processing job the AWS state machine starts, so the two runtimes pass the same flags."""

from __future__ import annotations

import json

from slipstream.batch_config import BatchConfig
from slipstream.job_arguments import CODE_DIR, PROCESSING_ROOT

BATCH_PROGRAM = "batch_score.py"
# The processing job's mounts: input file, model (the package's model.tar.gz), contract, results.
INPUT_DIR = f"{PROCESSING_ROOT}/input/data"
MODEL_DIR = f"{PROCESSING_ROOT}/input/model"
CONTRACT_DIR = f"{PROCESSING_ROOT}/input/contract"
OUTPUT_DIR = f"{PROCESSING_ROOT}/output"
PREDICTIONS, REJECTS, SUMMARY = "predictions", "rejects.csv", "summary.json"
# As the evaluation job (slipstream/job_commands.py): unpack the one .gz of the code input, run the program.
BATCH_ENTRYPOINT = ["/bin/sh", "-c", f'cd {CODE_DIR} && tar -xzf ./*.gz && exec python3 {BATCH_PROGRAM} "$@"', "batch"]


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
    arguments = ["--input", input_path, "--model", model, "--contract", contract]
    arguments += ["--output", output, "--rejects", rejects, "--summary", summary]
    arguments += ["--on-bad-row", config.on_bad_row, "--id-columns", json.dumps(config.id_columns)]
    arguments += ["--chunk-rows", str(config.chunk_rows)]
    return [*arguments, "--progress"] if progress else arguments


def processing_arguments(config: BatchConfig) -> list[str]:
    """The job's arguments on AWS: every path is one of its mounts. The output is a folder, so the scorer
    writes predictions.<the input's suffix> in it: the results keep the input's format."""
    return batch_arguments(
        config,
        input_path=INPUT_DIR,
        model=MODEL_DIR,
        contract=f"{CONTRACT_DIR}/contract.json",
        output=OUTPUT_DIR,
        rejects=f"{OUTPUT_DIR}/{REJECTS}",
        summary=f"{OUTPUT_DIR}/{SUMMARY}",
    )
