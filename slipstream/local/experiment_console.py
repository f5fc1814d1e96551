"""Rich rendering of an experiment result for `slipstream experiment status`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from slipstream.experiment.result import ExperimentResult
from slipstream.local.experiments import Experiment

COLOURS = {
    "challenger better": "green",
    "champion better": "red",
    "no difference detectable": "cyan",
    "keep collecting": "yellow",
    "invalid (sample ratio mismatch)": "bold red",
}


def _num(value: float | None, spec: str = ".4f") -> str:
    return "—" if value is None else format(value, spec)


def print_result(console: Console, experiment: Experiment, result: ExperimentResult) -> None:
    colour = COLOURS[result.decision]
    console.print(f"[bold]Experiment[/]: {experiment.describe()}", highlight=False)
    console.print(f"Decision: [{colour}]{result.decision}[/] (action: {result.action})", highlight=False)
    console.print(f"  {result.reason}", highlight=False)
    interval = result.interval
    shown = f"[{interval.lower:+.4f}, {interval.upper:+.4f}]" if interval else "— (not enough rows yet)"
    better = "lower" if result.lower_is_better else "higher"
    console.print(
        f"Effect (challenger - champion, {result.metric}, {better} is better): {_num(result.effect, '+.4f')}, "
        f"{1 - result.alpha:.0%} always-valid interval {shown}, p = {result.p_value:.3g}",
        highlight=False,
    )
    console.print(_variants(result))
    console.print(_guardrails(result))
    if result.shadow is not None:
        console.print(_shadow(result))


def _variants(result: ExperimentResult) -> Table:
    ratio = result.sample_ratio
    table = Table(title="Variants", show_edge=False)
    for column in ("variant", "versions", "requests", "share", "expected", "labelled", f"mean {result.metric}"):
        table.add_column(column, justify="left" if column in ("variant", "versions") else "right")
    total = ratio.champion + ratio.challenger
    for summary in result.variants:
        expected = ratio.expected_share if summary.variant == "challenger" else 1 - ratio.expected_share
        share = f"{summary.assigned / total:.1%}" if total else "—"
        table.add_row(
            summary.variant,
            ", ".join(summary.versions) or "—",
            f"{summary.assigned:,}",
            share,
            f"{expected:.0%}",
            f"{summary.labelled:,}",
            _num(summary.mean_outcome),
        )
    srm = "[bold red]MISMATCH[/]" if ratio.mismatch else "ok"
    table.caption = f"sample ratio: {srm} (p = {ratio.p_value:.3g})"
    return table


def _guardrails(result: ExperimentResult) -> Table:
    table = Table(title="Guardrails", show_edge=False)
    for column in ("variant", "guardrail", "value", "ceiling", "status"):
        table.add_column(column)
    for rail in result.guardrails:
        status = "[red]breached[/]" if rail.breached else "not measured yet" if rail.value is None else "ok"
        table.add_row(rail.variant, rail.name, _num(rail.value), f"{rail.ceiling:g}", status)
    return table


def _shadow(result: ExperimentResult) -> Table:
    shadow = result.shadow
    assert shadow is not None
    table = Table(title="Shadow mode (mirrored requests)", show_edge=False)
    for column in ("requests", "failed", "rows", "agreement", "champion p50/p95 ms", "challenger p50/p95 ms"):
        table.add_column(column, justify="right")
    agreement = _num(shadow.agreement, ".1%") if shadow.agreement is not None else _num(shadow.mean_abs_difference)
    champion, challenger = shadow.champion_latency, shadow.challenger_latency
    table.add_row(
        f"{shadow.requests:,}",
        f"{shadow.failed:,}",
        f"{shadow.rows:,}",
        agreement,
        f"{_num(champion.p50_ms, '.1f')} / {_num(champion.p95_ms, '.1f')}",
        f"{_num(challenger.p50_ms, '.1f')} / {_num(challenger.p95_ms, '.1f')}",
    )
    return table
