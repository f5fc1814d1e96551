"""Rich rendering of local runs (the CLI and the stepfunctions engine): step progress with timings, the
closing summary, the status table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.status import Status
from rich.table import Table

from slipstream.model_card import importance_of

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.local.registry import VersionInfo
    from slipstream.local.run_state import RunState


class StepReporter:
    """One spinner while a step runs, one line with its timing when it ends."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None

    def step_started(self, step: str) -> None:
        self._status = self.console.status(f"[bold]{step}[/] …")
        self._status.start()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()

    def step_finished(self, step: str, seconds: float, summary: str) -> None:
        self._stop()
        self.console.print(f"[green]✓[/] [bold]{step:<12}[/] {seconds:6.1f}s  {summary}", highlight=False)

    def step_failed(self, step: str, seconds: float, error: Exception) -> None:
        self._stop()
        self.console.print(f"[red]✗[/] [bold]{step:<12}[/] {seconds:6.1f}s  failed", highlight=False)


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "—" if value is None else str(value)


def _interval(figures: dict[str, Any], against: str) -> str:
    interval = figures.get(f"vs_{against}")
    if not interval:
        return "—"
    return f"{interval['difference']:+.4f} [{interval['low']:+.4f}, {interval['high']:+.4f}]"


def _metrics_table(evaluation: dict[str, Any], champion_version: Any) -> Table:
    champion = evaluation.get("champion_metrics") or {}
    comparison = evaluation.get("comparison") or {}
    paired = comparison.get("metrics") or {}
    level = f"{comparison.get('confidence', 0.95):.0%}"
    table = Table(title="Held-out metrics", show_edge=False)
    table.add_column("metric")
    table.add_column("challenger", justify="right")
    table.add_column("naive baseline", justify="right")
    table.add_column(f"vs baseline [{level}]", justify="right")
    table.add_column(f"champion v{champion_version}" if champion and champion_version else "champion", justify="right")
    table.add_column(f"vs champion [{level}]", justify="right")
    for name, value in evaluation["metrics"].items():
        figures = paired.get(name) or {}
        baseline = (_fmt(figures.get("baseline")), _interval(figures, "baseline"))
        table.add_row(name, _fmt(value), *baseline, _fmt(champion.get(name)), _interval(figures, "champion"))
    return table


def _print_importance(console: Console, evaluation: dict[str, Any]) -> None:
    importance = importance_of(evaluation)
    if importance is None:
        return
    top = ", ".join(f"{f.feature} {f.mean:+.4f}" + ("" if f.distinguishable else " (noise)") for f in importance.top())
    console.print(f"Top features (permutation, {importance.metric}): {top or importance.note}", highlight=False)
    for flag in importance.flags:
        console.print(f"[bold yellow]Warning:[/] {flag.message}.", highlight=False)


def print_evaluation(console: Console, evaluation: dict[str, Any], decision: Any, champion_version: Any) -> None:
    """The metrics table (with the paired intervals) and the gate's verdict and reasons: shared by both engines
    (`run --engine stepfunctions` too)."""
    console.print()
    console.print(_metrics_table(evaluation, champion_version))
    comparison = evaluation.get("comparison")
    if comparison:
        console.print(
            f"Intervals: {comparison['method']} of challenger - other on the same {comparison['rows']} rows, "
            f"{comparison['resamples']} resamples, seed {comparison['seed']}.",
            highlight=False,
        )
    _print_importance(console, evaluation)
    verdict = "[bold green]PASSED[/]" if decision.passed else "[bold red]REJECTED[/]"
    console.print(f"\nQuality gate: {verdict} on {decision.metric}")
    for compared in (decision.baseline, decision.champion):
        if compared is not None:
            console.print(f"  vs {compared.against}: [bold]{compared.verdict}[/]", highlight=False)
    for reason in decision.reasons:
        console.print(f"  • {reason}", highlight=False)


def print_run_summary(console: Console, state: RunState) -> None:
    config, outputs = state.config, state.outputs
    evaluation, decision, version = outputs["evaluation"], outputs["decision"], outputs["version"]
    for note in outputs.get("repairs", []):  # what a killed earlier run had left in the registry
        console.print(f"[yellow]repaired:[/] {note}", highlight=False)
    print_evaluation(console, evaluation, decision, outputs.get("champion_version"))
    if outputs.get("tuning"):
        console.print(f"\nHyperparameter search: {outputs['tuning'].summary()}.", highlight=False)
    staging = outputs["staging"]
    console.print(f"\nModel [bold]{config.name}[/] version [bold]{version.version}[/] {STAGED[staging.role]}.")
    if staging.role == "refused":
        console.print(f"[bold yellow]Not staged:[/] {staging.reason}.", highlight=False)
    console.print(f"Run folder:  {state.run_dir}", highlight=False)
    console.print(f"Model card:  {state.run_dir / 'model_card.md'}", highlight=False)
    console.print(f"Report:      {state.run_dir / 'report.html'}", highlight=False)
    console.print(f"Registry:    {config.tracking_uri}", highlight=False)
    total = sum(state.timings.values())
    console.print(f"Finished in {total:.1f}s.")
    # mlflow-skinny has no web UI assets: say what to install rather than print a command that shows nothing.
    console.print(f"Browse runs: pip install mlflow, then mlflow ui --backend-store-uri {config.tracking_uri}")


STAGED = {
    "champion": "is now the champion",
    "challenger": "is now the challenger, staged for an experiment (`slipstream experiment status`)",
    "none": "is registered only: the gate rejected it, the champion and any experiment are unchanged",
    "refused": "is registered but not staged: an experiment is running",
}


def print_status(console: Console, config: Config, versions: dict[str, VersionInfo | None]) -> None:
    table = Table(title=f"{config.name}: registered models", show_edge=False)
    for column in ("alias", "version", config.gate.metric or "metric", "gate", "staging", "registered", "data"):
        table.add_column(column)
    for alias, info in versions.items():
        if info is None:
            table.add_row(alias, *["—"] * 6)
            continue
        when = datetime.fromtimestamp(info.created_at / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        sha = (info.tags.get("data.sha256") or "")[:12]
        data = f"{info.tags.get('data.source', '?')} ({sha})"
        metric = _fmt(info.metrics.get(config.gate.metric or ""))
        staged = info.tags.get("staging", "?")
        table.add_row(alias, info.version, metric, info.tags.get("gate.decision", "?"), staged, when, data)
    console.print(table)
