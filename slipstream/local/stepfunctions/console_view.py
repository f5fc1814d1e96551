"""The execution as the Step Functions console's table shows it: one line per state, when it started (after the
execution began) and how long it took; the summary after it reuses the default engine's metrics and gate view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape

from slipstream.local.stepfunctions.history import StateRun

MARKS = {"ok": "[green]✓[/]", "failed": "[red]✗[/]", "retried": "[yellow]↻[/]"}


def print_state(console: Console, run: StateRun, started: datetime) -> None:
    offset = (run.entered - started).total_seconds()
    mark = MARKS["ok"]
    note = ""
    if run.failed and run.retries:
        mark, note = MARKS["retried"], f"retried {run.retries}x after {run.failed}"
    elif run.failed or run.kind == "Fail":
        mark, note = MARKS["failed"], run.failed or "failed"
    line = f"{mark} [bold]{run.name:<24}[/] {run.kind:<7} +{offset:6.1f}s {run.seconds:6.1f}s  {note}"
    console.print(line.rstrip(), highlight=False)


def print_closing(console: Console, facts: dict[str, Any]) -> None:
    """Where the run's results are in the emulated account, and where they were copied on this machine."""
    console.print(f"\nExecution:      {facts['execution']} [bold]{facts['status']}[/]", highlight=False)
    if facts.get("package"):
        console.print(f"Model package:  {facts['package']} ({facts['package_status']})", highlight=False)
    if facts.get("endpoint"):
        console.print(f"Endpoint:       {facts['endpoint']}", highlight=False)
    for message in facts["notifications"]:
        console.print(f"Notification:   {escape(message)}", highlight=False)
    if facts.get("champion"):
        champion = facts["champion"]
        where = f"version {champion.version} (run {champion.run_id})"
        console.print(f"Deployment:     {where} serves, per the deployment record", highlight=False)
    console.print(f"Run folder:     {facts['run_dir']} (copied from the emulated artifact bucket)", highlight=False)
    console.print(
        f"Finished in {facts['seconds']:.1f}s. The emulated AWS account (moto) is saved in {facts['account']}: the "
        "next run deploys into it again (`--fresh` starts over). The local registry was not touched.",
        highlight=False,
    )
