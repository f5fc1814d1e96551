"""`slipstream predict`: score a file with a registered version on this machine, the way the batch job on AWS
scores it: training/batch_score.py from the sourcedir, on the image's Python and libraries, with the version's
SageMaker-layout model folder and the data contract (docs/batch.md)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from slipstream.batch_config import BatchConfig
from slipstream.batch_job import BATCH_PROGRAM, batch_arguments
from slipstream.config import Config
from slipstream.documents.batch import BatchSummary
from slipstream.errors import ConfigError, DataError, SlipstreamError
from slipstream.local import image_zygote
from slipstream.local.image_env import image_python
from slipstream.local.parent_death import die_with_parent
from slipstream.local.registry import CHAMPION, Registry, VersionInfo
from slipstream.local.sagemaker import container_env
from slipstream.sourcedir import PROJECT_ROOT, extract_sourcedir

SUFFIXES = (".csv", ".parquet", ".pq")
Progress = Callable[[int, int, int], None]  # rows read, bytes read, total bytes


class BatchFailed(SlipstreamError):
    exit_code = 4


@dataclass(frozen=True)
class BatchFiles:
    input: Path
    output: Path

    @property
    def rejects(self) -> Path:
        return self.output.with_name(f"{self.output.stem}.rejects.csv")

    @property
    def summary(self) -> Path:
        return self.output.with_name(f"{self.output.stem}.summary.json")


def check_files(input_path: Path, output: Path) -> BatchFiles:
    if not input_path.is_file():
        raise DataError(f"input file {input_path} does not exist")
    for path in (input_path, output):
        if path.suffix.lower() not in SUFFIXES:
            raise DataError(f"{path}: unknown file type {path.suffix or '(none)'!r}; use .csv or .parquet")
    if output.resolve() == input_path.resolve():
        raise DataError(f"--output {output} is the input file; name another file")
    if output.is_dir():
        raise DataError(f"--output {output} is a folder; name a file (.csv or .parquet)")
    return BatchFiles(input_path, output)


def resolve_version(config: Config, version: str | None, alias: str | None) -> tuple[Registry, VersionInfo]:
    if not Registry.exists(config):
        raise ConfigError(f"no model registered yet for {config.name}: `slipstream run` trains and registers one")
    registry = Registry(config)
    info = registry.by_version(version) if version else registry.by_alias(alias or CHAMPION)
    if info is None or not info.complete:
        wanted = f"version {version}" if version else f"alias {alias or CHAMPION!r}"
        latest = registry.latest()
        hint = [f"the newest version is {latest.version}; `slipstream status` lists the aliases"] if latest else []
        raise ConfigError(f"the registry of {config.name} has no model for {wanted}", details=hint)
    return registry, info


def predict_file(
    config: Config,
    files: BatchFiles,
    batch: BatchConfig,
    *,
    version: str | None,
    alias: str | None,
    progress: Progress | None = None,
) -> BatchSummary:
    """Score `files.input` into `files.output` (+ rejects and summary beside it); raises BatchFailed."""
    registry, info = resolve_version(config, version, alias)
    if not config.contract_path.is_file():
        raise ConfigError(f"no data contract at {config.contract_path}: `slipstream run` writes it")
    config.state_path.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="batch-", dir=config.state_path) as scratch:
        job = Path(scratch)
        model_dir = registry.download_model(info, job / "model")
        code = extract_sourcedir(job / "code", PROJECT_ROOT)
        arguments = batch_arguments(
            batch,
            input_path=str(files.input.resolve()),
            model=str(model_dir),
            contract=str(config.contract_path.resolve()),
            output=str(files.output.resolve()),
            rejects=str(files.rejects.resolve()),
            summary=str(files.summary.resolve()),
            progress=True,
        )
        _run([str(image_python()), BATCH_PROGRAM, *arguments], job, code, info.version, progress)
    return read_summary(files.summary)


def _run(command: list[str], job: Path, code: Path, version: str, progress: Progress | None) -> None:
    opt_ml = job / "opt" / "ml"
    env = container_env(opt_ml, {"SLIPSTREAM_MODEL_VERSION": version})
    log = job / "batch.log"
    with log.open("w", encoding="utf-8") as stderr:
        child = subprocess.Popen(
            command,
            cwd=code,
            env=image_zygote.job_env(env),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            preexec_fn=die_with_parent(),
        )
        try:
            assert child.stdout is not None
            for line in child.stdout:
                _report(line, progress)
            child.wait()
        except BaseException:
            child.terminate()  # the scorer unwinds on SIGTERM and removes its partial files
            child.wait()
            raise
    if child.returncode != 0:
        failure = opt_ml / "output" / "failure"
        reason = failure.read_text(encoding="utf-8").strip() if failure.is_file() else ""
        if reason:  # the scorer said what was wrong: that is the whole message
            raise BatchFailed(reason.removeprefix(f"{BATCH_PROGRAM} failed: "))
        tail = log.read_text(encoding="utf-8").strip().splitlines()[-5:]
        raise BatchFailed(f"the batch scorer failed (exit code {child.returncode})", details=tail)


def _report(line: str, progress: Progress | None) -> None:
    try:
        seen = json.loads(line)
    except ValueError:
        return  # not ours (a library printing): ignored
    if progress is not None and isinstance(seen, dict):
        progress(int(seen.get("rows", 0)), int(seen.get("bytes", 0)), int(seen.get("total_bytes", 0)))


def read_summary(path: Path) -> BatchSummary:
    try:
        return BatchSummary.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as error:
        raise BatchFailed(f"the batch scorer's summary {path} is unreadable: {error}") from None
