"""Where `slipstream monitor` finds things on a laptop: what `slipstream serve` writes, and the registry.

`slipstream serve` (slipstream/local/serving/plan.py) sets the predict Lambda's CAPTURE_PATH to
`<state>/serving/capture/predictions.jsonl` and FEEDBACK_PATH to `<state>/serving/feedback.jsonl`. Every
`*.jsonl` file in the capture folder is read, so a rotated or hand-copied capture file counts too; feedback
is `feedback.jsonl` and its rotated `feedback.<UTC time>.jsonl` (lambdas/predict/sinks.JsonLinesSink). Each line
is one capture row (slipstream.warehouse.schema's `captures` table); the contract's feature list turns the
feature columns back into feature names.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from slipstream import layout
from slipstream.config import Config
from slipstream.contract import read_contract
from slipstream.monitoring.figures import Figures, compute_figures, settings_of
from slipstream.monitoring.traffic import Traffic, feedback_frame, parse_lines, traffic_from_rows

logger = logging.getLogger(__name__)
# Each version's baseline as the registry logged it (slipstream/local/registry.py); versions registered before
# the run-folder names were shared keep theirs under the old name.
BASELINE_ARTIFACTS = (layout.BASELINE, "validation/baseline.json")


def capture_dir(config: Config) -> Path:
    return config.state_path / "serving" / "capture"


def feedback_path(config: Config) -> Path:
    return config.state_path / "serving" / "feedback.jsonl"


def read_jsonl(paths: list[Path]) -> tuple[list[dict[str, Any]], int]:
    records, skipped = [], 0
    for path in paths:
        with path.open(encoding="utf-8") as file:
            found, bad = parse_lines(file)
        records += found
        skipped += bad
    return records, skipped


def feedback_files(config: Config) -> list[Path]:
    """The feedback file and its rotated predecessors (lambdas/predict/sinks.JsonLinesSink), oldest first."""
    path = feedback_path(config)
    rotated = sorted(path.parent.glob(f"{path.stem}.*{path.suffix}"))
    return rotated + ([path] if path.is_file() else [])


def capture_files(config: Config) -> list[Path]:
    return sorted(capture_dir(config).glob("*.jsonl"))


def contract_features(config: Config) -> list[str] | None:
    """The data contract's feature names, in order; None before the pipeline has written a contract."""
    if not config.contract_path.is_file():
        return None
    return [feature.name for feature in read_contract(config.contract_path).features]


def load_traffic(config: Config) -> Traffic:
    rows, skipped = read_jsonl(capture_files(config))
    return traffic_from_rows(rows, contract_features(config), skipped)


def load_feedback(config: Config) -> Any:
    records, _ = read_jsonl(feedback_files(config))
    return feedback_frame(records)


def registry_baselines(config: Config, versions: list[str]) -> dict[str, dict[str, Any] | None]:
    """The training baseline MLflow logged with each registered version (None when it has none)."""
    from slipstream.local.registry import Registry  # MLflow: only when there is traffic to compare

    if not Registry.exists(config):
        return dict.fromkeys(versions)
    registry = Registry(config)  # points MLflow at the config's tracking URI
    import mlflow

    found: dict[str, dict[str, Any] | None] = {}
    for version in versions:
        found[version] = None
        try:
            run_id = registry.client.get_model_version(registry.name, version).run_id
        except Exception as error:  # a version this registry does not have
            logger.warning("no baseline for version %s: %s", version, error)
            continue
        if run_id:
            found[version] = _logged_baseline(mlflow, run_id, version)
    return found


def _logged_baseline(mlflow: Any, run_id: str, version: str) -> dict[str, Any] | None:
    error: Exception | None = None
    for name in BASELINE_ARTIFACTS:
        try:
            return mlflow.artifacts.load_dict(f"runs:/{run_id}/{name}")
        except Exception as missing:  # MLflow raises its own errors for an absent artifact
            error = missing
    logger.warning("no baseline for version %s: %s", version, error)
    return None


def local_figures(config: Config, traffic: Traffic) -> Figures:
    baselines = registry_baselines(config, traffic.versions)
    return compute_figures(
        traffic, baselines, load_feedback(config), task=config.data.task, settings=settings_of(config.monitoring)
    )
