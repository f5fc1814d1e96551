"""Which stage promotes from which, and which stages train: `[stages.<name>] promote_from` and `retrain`.

The first stage trains; a later stage deploys the same Approved package its source stage tested (issue 14), and
trains too only when configured. Checked on the whole config, since a source is another stage's setting.
"""

from __future__ import annotations

from slipstream.stage_config import STAGE_NAMES, StageConfig

# A stage with no `promote_from` promotes from the stage before it.
DEFAULT_SOURCES: dict[str, str | None] = {"dev": None, "staging": "dev", "prod": "staging"}


def source_stage(name: str, stage: StageConfig) -> str | None:
    """The stage `name` promotes from, or None when it has no source."""
    chosen = stage.promote_from
    if chosen is None:
        return DEFAULT_SOURCES[name]
    return None if chosen == "none" else chosen


def trains(name: str, stage: StageConfig) -> bool:
    """Whether the stage runs training (its triggers exist): `retrain` when set, else only without a source."""
    return stage.retrain if stage.retrain is not None else source_stage(name, stage) is None


def promotion_problems(stages: dict[str, StageConfig]) -> list[str]:
    """What is wrong with the stages' sources, one message each (empty: fine). `stages` holds every stage's
    effective settings, configured or default."""
    problems = []
    for name in STAGE_NAMES:
        stage = stages[name]
        source = source_stage(name, stage)
        if source == name:
            problems.append(f"stages.{name}.promote_from: a stage cannot promote from itself")
        elif source is None and not trains(name, stage):
            problems.append(
                f"stages.{name}: retrain = false and no promote_from: the stage would never get a model "
                "(set promote_from, or let it train)"
            )
    cycle = _cycle(stages)
    if cycle:
        problems.append(f"stages: promote_from forms a cycle ({' -> '.join(cycle)}); one stage must train first")
    return problems


def promotion_targets(name: str, stages: dict[str, StageConfig]) -> list[str]:
    """The stages that promote from `name` (they need read access to its packages and artifacts)."""
    return [other for other in STAGE_NAMES if source_stage(other, stages[other]) == name]


def _cycle(stages: dict[str, StageConfig]) -> list[str]:
    for start in STAGE_NAMES:
        path, current = [start], source_stage(start, stages[start])
        while current is not None and current != path[-1]:
            if current in path:
                return [*path[path.index(current) :], current]
            path.append(current)
            current = source_stage(current, stages[current])
    return []
