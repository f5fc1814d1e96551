"""The canary on a laptop (`gate.promote = "canary"`): `slipstream serve` routes `[canary] share` of callers
to the staged challenger; `slipstream canary check` measures its alarms on the captured traffic since it went
live and applies the canary rule (slipstream/canary.py), the same function the CanaryCheck Lambda applies.

Promoted: the registry's `champion` alias moves to it (restart `slipstream serve` to serve it to everyone).
Rolled back: its `challenger` alias is removed and tagged with the reason, and the deployment record stops
routing to it at once (the running server re-reads the record every few seconds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slipstream import layout
from slipstream.canary import AlarmState, CanaryVerdict, canary_verdict
from slipstream.canary_traffic import canary_alarm_states
from slipstream.config import Config
from slipstream.documents.deployment import CanaryRecord, DeploymentRecord
from slipstream.errors import SlipstreamError

CANARY_FILE = "canary.json"  # in <state>/serving/: which version is the canary and since when


@dataclass(frozen=True)
class CanaryLook:
    version: str
    started_at: datetime
    states: dict[str, AlarmState]
    verdict: CanaryVerdict


def canary_record(config: Config, version: str) -> CanaryRecord:
    """The canary's start (written the first time `slipstream serve` serves this version as the canary)."""
    path = config.state_path / "serving" / CANARY_FILE
    known = _read(path)
    if known.get("version") != version:
        known = {"version": version, "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=2), encoding="utf-8")
    canary = config.canary
    return CanaryRecord(share=canary.share, bake_minutes=canary.bake_minutes, started_at=known["started_at"])


def look(config: Config, now: datetime | None = None) -> CanaryLook:
    from slipstream.local.monitoring.sources import load_feedback, load_traffic

    if config.gate.promote != "canary":
        raise SlipstreamError('no canary rollout: set gate.promote = "canary" in the config')
    record = _deployment(config)
    if record.canary is None or record.challenger is None:
        raise SlipstreamError("no canary is serving: run the pipeline, then `slipstream serve`")
    started = datetime.fromisoformat(record.canary.started_at)
    traffic = load_traffic(config)
    if len(traffic):  # only the bake: traffic since the canary went live
        stamps = _timestamps(traffic.meta["timestamp"])
        traffic = type(traffic)(traffic.features[stamps >= started], traffic.meta[stamps >= started])
    states = canary_alarm_states(
        traffic,
        load_feedback(config),
        config.canary,
        task=config.data.task,
        min_feedback=config.monitoring.min_feedback,
    )
    elapsed = ((now or datetime.now(UTC)) - started).total_seconds() / 60
    verdict = canary_verdict(
        states, watched=config.canary.alarms, elapsed_minutes=round(elapsed, 1), bake_minutes=config.canary.bake_minutes
    )
    return CanaryLook(record.challenger.version, started, states, verdict)


def act(config: Config, result: CanaryLook) -> str:
    """Promote or roll back as the verdict says; returns what was done, in a sentence."""
    from slipstream.local.registry import CHALLENGER, CHAMPION, Registry

    action = result.verdict.action
    if action == "continue":
        return f"canary version {result.version} keeps baking: {result.verdict.reason}"
    registry = Registry(config)
    registry.client.set_model_version_tag(registry.name, result.version, "canary.decision", action)
    registry.client.set_model_version_tag(registry.name, result.version, "canary.reason", result.verdict.reason)
    record = _deployment(config)
    if action == "promote":
        registry.client.set_registered_model_alias(registry.name, CHAMPION, result.version)
        _write(config, record.canary_promoted())
        return f"canary version {result.version} promoted to champion; restart `slipstream serve` to serve it to all"
    registry.client.delete_registered_model_alias(registry.name, CHALLENGER)
    _write(config, record.canary_rolled_back())
    return f"canary version {result.version} rolled back: {result.verdict.reason}"


def _deployment(config: Config) -> DeploymentRecord:
    path = _record_path(config)
    if not path.is_file():
        raise SlipstreamError("nothing is being served yet: run `slipstream serve` first")
    return DeploymentRecord.model_validate_json(path.read_text(encoding="utf-8"))


def _write(config: Config, record: DeploymentRecord) -> None:
    _record_path(config).write_text(record.to_json(), encoding="utf-8")


def _record_path(config: Config) -> Path:
    return config.state_path / "serving" / layout.LOCAL_DEPLOYMENT_FILE


def _timestamps(values: Any) -> Any:
    import pandas as pd

    return pd.to_datetime(values, utc=True, format="ISO8601")


def _read(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
