"""`slipstream monitor` and `slipstream notify --test`: registered in main.py, written here.

Exit codes: 0 no drift (or no traffic yet), 6 drift in a feature or the predictions (so cron or CI can act on it),
2 nothing to notify with (no webhook configured), 1 Slack refused the message, answered other than 2xx, or gave
no whole answer within `--deadline` seconds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from slipstream.cli.common import ConfigOption, console, fail, load

DRIFT_EXIT = 6
ReportOption = Annotated[
    Path | None,
    typer.Option("--report", "-r", help="Where to write the HTML report (default: <state>/monitoring/report.html)."),
]


def monitor(config: ConfigOption = Path("slipstream.toml"), report: ReportOption = None) -> None:
    """Compare captured traffic with the training baseline: drift per feature, predictions, quality per variant."""
    from slipstream.local.monitoring.report import write_report
    from slipstream.local.monitoring.sources import capture_dir, load_traffic, local_figures
    from slipstream.local.monitoring.table import print_figures

    cfg = load(config)
    try:
        traffic = load_traffic(cfg)
        if not len(traffic):
            console.print(
                f"[yellow]No captured traffic yet[/] in {capture_dir(cfg)}: start `slipstream serve`, send "
                "requests to POST /predict, then run `slipstream monitor` again ([serving] capture must be true).",
                highlight=False,
            )
            return
        figures = local_figures(cfg, traffic)
        print_figures(Console(), figures)
        path = write_report(
            figures, report or cfg.state_path / "monitoring" / "report.html", title=f"{cfg.name}: drift"
        )
    except Exception as error:
        raise fail(error) from None
    console.print(f"Report: {path.resolve()}", highlight=False)
    if figures.drifted:
        for version, names in figures.drifted.items():
            console.print(f"[bold red]drift[/] in version {version}: {', '.join(names)}", highlight=False)
        console.print("See docs/runbook.md#drift-above-threshold for what to check and how to retrain.")
        raise typer.Exit(DRIFT_EXIT)


def notify(
    test: Annotated[bool, typer.Option("--test", help="Post a test message to the configured Slack webhook.")] = False,
    config: ConfigOption = Path("slipstream.toml"),
    deadline: Annotated[
        float, typer.Option("--deadline", min=1, max=300, help="Give up after this many seconds in all (retries too).")
    ] = 20.0,
) -> None:
    """Check the Slack alert channel from this machine (on AWS, the notifier Lambda posts the alarms)."""
    from slipstream.monitoring.alarm import Notice
    from slipstream.monitoring.slack import Links, SlackDeliveryFailed, build_message, post

    cfg = load(config)
    if not test:
        console.print("Nothing to do: pass --test to post a test message to Slack.")
        raise typer.Exit(2)
    variable = cfg.monitoring.slack_webhook_env
    url = os.environ.get(variable, "").strip()
    if not url:
        _explain_webhook(console, variable, cfg.monitoring.secret_name(cfg.name))
        raise typer.Exit(2)
    notice = Notice(
        title=f"Test message from `slipstream notify` for {cfg.name}",
        state="OK",
        reason="If you can read this, Slipstream alarms for this project can reach this channel.",
        runbook="drift-above-threshold" if cfg.monitoring.runbook_url else None,
    )
    try:
        attempts = post(url, build_message(notice, Links(runbook=cfg.monitoring.runbook_url)), deadline=deadline)
    except SlackDeliveryFailed as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]Sent[/] a test message to the webhook in {variable} ({attempts} attempt(s)).")


def _explain_webhook(console: Console, variable: str, secret: str) -> None:
    console.print(f"[bold red]error:[/] no Slack webhook configured: {variable} is not set.", highlight=False)
    for line in (
        "1. In Slack, create an Incoming Webhook for your alerts channel (https://api.slack.com/messaging/webhooks).",
        f"2. On this machine: export {variable}=https://hooks.slack.com/services/...  then run this again.",
        f"3. On AWS, store it where the notifier Lambda reads it: aws secretsmanager create-secret --name {secret} "
        "--secret-string https://hooks.slack.com/services/...",
        "The URL is a secret: keep it out of slipstream.toml and git ([monitoring] slack_webhook_env renames the "
        "variable, slack_webhook_secret the secret).",
    ):
        console.print(f"  {line}", highlight=False, soft_wrap=True)
