"""`slipstream canary status|check`: the canary rule on the laptop's captured traffic (slipstream/local/canary.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from slipstream.cli.common import ConfigOption, console, fail, load
from slipstream.cli.locking import WaitOption

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.local.canary import CanaryLook

canary_app = typer.Typer(help='The canary rollout (gate.promote = "canary"): its alarms, and promote or roll back.')
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]


def _look(config: Path) -> tuple[Config, CanaryLook]:
    from slipstream.local.canary import look

    cfg = load(config)
    try:
        return cfg, look(cfg)
    except Exception as error:
        raise fail(error) from None


def _show(result: CanaryLook, as_json: bool) -> None:
    if as_json:
        payload = {"version": result.version, "started_at": result.started_at.isoformat(), "states": result.states}
        typer.echo(json.dumps({**payload, **result.verdict.model_dump(mode="json")}, indent=2))
        return
    console.print(
        f"canary version {result.version}, live since {result.started_at:%Y-%m-%d %H:%M} UTC", highlight=False
    )
    for kind, state in result.states.items():
        colour = {"ALARM": "red", "OK": "green"}.get(state, "yellow")
        console.print(f"  {kind:<8} [{colour}]{state}[/]", highlight=False)
    console.print(f"verdict: [bold]{result.verdict.action}[/] — {result.verdict.reason}", highlight=False)


@canary_app.command()
def status(config: ConfigOption = Path("slipstream.toml"), as_json: JsonOption = False) -> None:
    """Show the canary's alarms and what the rule would decide now (changes nothing)."""
    _, result = _look(config)
    _show(result, as_json)


@canary_app.command()
def check(
    config: ConfigOption = Path("slipstream.toml"), as_json: JsonOption = False, wait: WaitOption = False
) -> None:
    """Apply the rule: promote after a clean bake, roll back when an alarm fired, else keep baking."""
    from slipstream.local.canary import act, look
    from slipstream.local.run_lock import state_lock

    cfg = load(config)
    try:
        with state_lock(cfg.state_path, wait=wait):  # as `run` holds it: no run gates or registers meanwhile
            result = look(cfg)
            _show(result, as_json)
            done = act(cfg, result)
    except Exception as error:
        raise fail(error) from None
    console.print(done, highlight=False)
    if result.verdict.action == "roll_back":
        raise typer.Exit(6)
