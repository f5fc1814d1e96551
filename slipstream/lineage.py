"""Where a model came from: code version and config fingerprint (the data hash lives in `dataset`)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from slipstream.config import Config
from slipstream.documents.gate import GateDecision


def git_commit(where: Path) -> str:
    """The commit of the repository holding `where`, with `-dirty` when there are uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=where, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"  # not a git checkout: lineage says so rather than failing the run
    return f"{commit}-dirty" if dirty else commit


def config_sha256(config: Config) -> str:
    """Fingerprint of the effective config (defaults filled in), independent of formatting and comments."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()


# The names of the lineage facts, the same on every registry: the local MLflow version's tags and the AWS model
# package's CustomerMetadataProperties (SageMaker's key pattern allows the dots). docs/lineage.md lists them.
RUN_ID = "slipstream.run_id"
DATA_SOURCE = "data.source"
DATA_SHA256 = "data.sha256"
GIT_COMMIT = "git.commit"
CONFIG_SHA256 = "config.sha256"
TRAINING_JOB = "training.job"
ESTIMATOR = "estimator"
GATE_DECISION = "gate.decision"
GATE_BASELINE = "gate.baseline"
GATE_CHAMPION = "gate.champion"


def lineage_facts(
    *,
    run_id: str,
    data_source: str,
    data_sha256: str,
    git_commit: str,
    config_sha256: str,
    training_job: str,
    estimator: str,
    gate_decision: str,
    gate_baseline: str,
    gate_champion: str,
) -> dict[str, str]:
    """Where a model came from and what the gate said, under the names every registry uses. The local runner
    passes values; the pipeline stack passes JSONPath expressions that the state machine fills in (so one list
    of names serves both, and a fact added here appears on both sides)."""
    return {
        RUN_ID: run_id,
        DATA_SOURCE: data_source,
        DATA_SHA256: data_sha256,
        GIT_COMMIT: git_commit,
        CONFIG_SHA256: config_sha256,
        TRAINING_JOB: training_job,
        ESTIMATOR: estimator,
        GATE_DECISION: gate_decision,
        GATE_BASELINE: gate_baseline,
        GATE_CHAMPION: gate_champion,
    }


def gate_detail_tags(decision: GateDecision) -> dict[str, str]:
    """The gate's reasons and figures as JSON: MLflow tags beside the facts (locally and on AWS), which SageMaker
    metadata cannot hold (the package's model card has them instead)."""
    figures = decision.model_dump(mode="json", include={"threshold", "baseline", "champion"})
    return {"gate.reasons": json.dumps(decision.reasons), "gate.figures": json.dumps(figures)}
