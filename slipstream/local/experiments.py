"""One experiment at a time, on a laptop: who may take the `challenger` alias, and how an experiment ends.

An experiment runs while the `challenger` alias names a version that passed the gate, differs from the
champion, and gets traffic (`[experiment] weight` > 0, or `shadow_share` > 0); it ends when someone
promotes or stops it, which removes the alias. While it runs, a new passing model is registered (ADR 0004)
but refused the alias (docs/experiments.md#one-experiment-at-a-time says why refuse rather than queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from slipstream import layout
from slipstream.errors import SlipstreamError
from slipstream.experiment.record import ExperimentRecord, Outcome
from slipstream.local.registry import CHALLENGER, CHAMPION, Staging

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.experiment.result import ExperimentResult
    from slipstream.local.registry import Registry, VersionInfo


class NoExperiment(SlipstreamError):
    """`slipstream experiment ...` with nothing to act on."""


@dataclass(frozen=True)
class Experiment:
    champion: VersionInfo
    challenger: VersionInfo

    def describe(self) -> str:
        return f"challenger version {self.challenger.version} against champion version {self.champion.version}"


def running_experiment(registry: Registry, config: Config) -> Experiment | None:
    champion, challenger = registry.by_alias(CHAMPION), registry.by_alias(CHALLENGER)
    if champion is None or challenger is None or challenger.version == champion.version:
        return None
    if challenger.tags.get("gate.decision") != "passed":
        return None  # a registry written before rejected versions stopped taking the alias
    if config.challenger_weight <= 0 and config.experiment.shadow_share <= 0:
        return None  # staged without traffic: nothing is being measured, so nothing is interrupted
    return Experiment(champion, challenger)


def require_experiment(registry: Registry, config: Config) -> Experiment:
    experiment = running_experiment(registry, config)
    if experiment is not None:
        return experiment
    challenger = registry.by_alias(CHALLENGER)
    hint = 'stage one with `gate.promote = "challenger"` and `slipstream run`'
    if challenger is not None and config.challenger_weight <= 0 and config.experiment.shadow_share <= 0:
        hint = f"version {challenger.version} is staged, but [experiment] weight and shadow_share are 0"
    raise NoExperiment(f"no experiment is running for {config.name!r}: {hint}")


def staging(config: Config, *, passed: bool, registry: Registry) -> Staging:
    """Which alias the version being registered takes (before it is registered, so the reason can be tagged)."""
    if not passed:
        return Staging("none", "rejected by the quality gate: it never takes an alias")
    running = running_experiment(registry, config)
    if running is not None:
        return Staging(
            "refused",
            f"passed, but the experiment of {running.describe()} is running; end it with `slipstream experiment "
            "promote` or `slipstream experiment stop`, then run the pipeline again",
        )
    if config.gate.promote == "challenger" and registry.by_alias(CHAMPION) is not None:
        return Staging("challenger", f"passed; staged for an experiment at weight {config.challenger_weight:g}")
    if config.gate.promote == "challenger":
        return Staging("champion", "passed; no champion yet, so there is nothing to experiment against")
    return Staging("champion", "passed; gate.promote is champion")


def end_experiment(
    registry: Registry,
    config: Config,
    experiment: Experiment,
    *,
    outcome: Outcome,
    decided_by: str,
    result: ExperimentResult | None,
    forced: bool,
) -> ExperimentRecord:
    """Promote (challenger -> champion) or stop (challenger unstaged, champion untouched), and record it."""
    challenger = experiment.challenger
    record = ExperimentRecord.now(
        outcome=outcome,
        challenger_version=challenger.version,
        champion_version=experiment.champion.version,
        decided_by=decided_by,
        forced=forced,
        result=result,
    )
    if outcome == "promoted":
        registry.set_alias(CHAMPION, challenger.version)
        registry.set_tags(experiment.champion.version, {"experiment.replaced_by": challenger.version})
    registry.delete_alias(CHALLENGER)
    registry.set_tags(challenger.version, record.tags())
    run_id = challenger.tags.get("slipstream.run_id")
    if run_id:
        path = config.state_path / "runs" / run_id / layout.EXPERIMENT_DECISION
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record.model_dump_json(indent=2), encoding="utf-8")
    return record
