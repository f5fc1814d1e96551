"""`slipstream`: the command line. Commands parse flags, call one library function, and render the result."""

from __future__ import annotations

import json
import signal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from slipstream.cli import approve, experiment
from slipstream.cli.canary import canary_app
from slipstream.cli.common import ConfigOption, console, fail, load
from slipstream.cli.monitor import monitor, notify
from slipstream.cli.predict import predict
from slipstream.cli.promote import promote
from slipstream.cli.query import query
from slipstream.errors import ContractViolation, SlipstreamError

# `run`: the model passed the gate but was not staged, because an experiment is running (it is registered).
NOT_STAGED_EXIT = 7

app = typer.Typer(
    help="Slipstream: one config file takes a scikit-learn model from a laptop to a serverless AWS stack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class Engine(StrEnum):
    local = "local"
    stepfunctions = "stepfunctions"


@app.command()
def run(
    config: ConfigOption = Path("slipstream.toml"),
    engine: Annotated[
        Engine,
        typer.Option(
            help="local: in process (fast). stepfunctions: the synthesized AWS state machine, run in an "
            "emulated AWS account (moto) with the same handlers and scripts.",
        ),
    ] = Engine.local,
    fresh: Annotated[
        bool,
        typer.Option(
            help="stepfunctions engine: forget the emulated account saved in the state folder and deploy into "
            "an empty one (by default each run deploys into the account the last run left).",
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            help="When another run holds the state directory, wait for it instead of refusing at once.",
        ),
    ] = False,
) -> None:
    """Validate the data, train, evaluate, gate and register a model, as the AWS pipeline does."""
    from slipstream.local.console import StepReporter, print_run_summary
    from slipstream.local.image_check import check_estimator_in_image
    from slipstream.local.run_failure import RunInterrupted
    from slipstream.local.run_lock import state_lock
    from slipstream.local.runner import run_pipeline

    cfg = load(config)
    if fresh and engine is not Engine.stepfunctions:
        raise typer.BadParameter("--fresh applies to --engine stepfunctions (the local engine has no account)")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends the run as Ctrl-C does: marked failed, truthfully told
    try:
        check_estimator_in_image(cfg)  # the image's scikit-learn fits the model, locally and on AWS
        with state_lock(cfg.state_path, wait=wait):  # held to the end: no other run gates or registers meanwhile
            if engine is Engine.stepfunctions:
                from slipstream.local.stepfunctions.engine import run_on_stepfunctions

                return run_on_stepfunctions(cfg, console, fresh=fresh)  # prints its own transitions and summary
            state = run_pipeline(cfg, StepReporter(console))
    except ContractViolation as error:
        exit_ = fail(error)
        console.print(
            f"If this change in the data is intended, review it, delete {cfg.contract_path} "
            "and run again: the next run writes a new contract.",
            highlight=False,
        )
        raise exit_ from None
    except RunInterrupted as interrupted:
        console.print(f"[yellow]interrupted:[/] {interrupted.outcome}", highlight=False)
        raise typer.Exit(130) from None
    except KeyboardInterrupt:
        console.print("[yellow]interrupted:[/] `slipstream status` shows what the registry holds.")
        raise typer.Exit(130) from None
    except Exception as error:
        raise fail(error) from None
    print_run_summary(console, state)
    if not state.outputs["decision"].passed:
        raise typer.Exit(5)
    if state.outputs["staging"].role == "refused":
        raise typer.Exit(NOT_STAGED_EXIT)


@app.command()
def status(
    config: ConfigOption = Path("slipstream.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Show the champion, the challenger and the newest version: metrics, gate decision, staging, data."""
    from slipstream.local.console import print_status
    from slipstream.local.registry import CHALLENGER, CHAMPION, Registry

    cfg = load(config)
    try:
        # Asking must not create state: with no registry yet there is simply no model.
        registry = Registry(cfg) if Registry.exists(cfg) else None
        versions = {alias: registry.by_alias(alias) if registry else None for alias in (CHAMPION, CHALLENGER)}
        versions["latest"] = registry.latest() if registry else None
    except Exception as error:
        raise fail(error) from None
    if as_json:
        payload = {alias: info.as_dict() if info else None for alias, info in versions.items()}
        typer.echo(json.dumps(payload, indent=2))
        return
    print_status(Console(), cfg, versions)


@app.command()
def serve(
    config: ConfigOption = Path("slipstream.toml"),
    port: Annotated[int | None, typer.Option("--port", "-p", help="API port (default: [serving] port).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Processes per server.")] = 2,
) -> None:
    """Serve the champion (and a staged challenger) through the predict Lambda's handler, on this machine."""
    from slipstream.local.serving.httpbase import ensure_free, free_port
    from slipstream.local.serving.plan import build_plan
    from slipstream.local.serving.report import print_serving
    from slipstream.local.serving.supervisor import Servers

    cfg = load(config)
    host, api_port = cfg.serving.host, port or cfg.serving.port
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the children too, like Ctrl-C
    try:
        ensure_free(host, api_port)
        plan = build_plan(cfg, host=host, port=api_port, endpoint_port=free_port())
        with Servers(plan, workers=workers, report=_report_child) as servers:
            _smoke_test(plan)
            print_serving(console, plan, servers.log_dir)
            servers.wait()
    except KeyboardInterrupt:
        console.print("[yellow]stopped.[/]")
    except Exception as error:
        raise fail(error) from None


def _smoke_test(plan: Any) -> None:
    """The pipeline's SmokeTest, through this machine's front door: a champion that answers badly is not served."""
    from slipstream.local.serving.smoke import smoke_test_serving

    result = smoke_test_serving(plan)
    if not result.passed:
        problems = "; ".join(result.problems)
        raise SlipstreamError(f"the champion failed its smoke test through {result.endpoint}: {problems}")
    passed = f"[green]Smoke test passed[/] ({result.examples} examples through {result.endpoint})"
    console.print(passed, highlight=False)


def _report_child(message: str) -> None:
    console.print(f"[yellow]serve:[/] {message}", highlight=False)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


# Monitoring commands live in their own module.
app.command()(monitor)
app.command()(notify)
app.command()(query)
app.command()(predict)  # batch scoring (docs/batch.md)
app.add_typer(canary_app, name="canary")
# Manual approval of a stage's pending model (docs/approval.md).
app.command()(approve.approve)
app.command()(approve.reject)
app.command()(approve.approvals)


app.add_typer(experiment.app, name="experiment")
# Promotion across stages (docs/promotion.md). The old `slipstream promote` alias of `experiment promote` is gone.
app.command("promote")(promote)
