"""`slipstream experiment status|report|promote|stop`: the running experiment on this machine.

Exit codes: 0 done; 1 no experiment is running (or another error a person can act on); 2 config error;
8 `promote` refused because the result is against it (champion better, sample ratio mismatch, or the
challenger breaches a guardrail): `--force` overrides it, and the record says it was forced; 9 a run or
another command holds the state directory (`promote` and `stop` take its lock; `--wait` queues behind it).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from slipstream.cli.common import ConfigOption, console, fail, load
from slipstream.cli.locking import WaitOption
from slipstream.errors import SlipstreamError

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.experiment.record import Outcome
    from slipstream.experiment.result import ExperimentResult
    from slipstream.local.experiments import Experiment
    from slipstream.local.registry import Registry

REFUSED_EXIT = 8
AGAINST_PROMOTION = ("champion better", "invalid (sample ratio mismatch)")

app = typer.Typer(
    help="The running champion/challenger experiment: its result, a report, and ending it.",
    no_args_is_help=True,
    add_completion=False,
)
StageOption = Annotated[
    str | None,
    typer.Option(
        "--stage",
        help="Act on the deployed stage (AWS) through its experiment Lambda instead of this machine's registry.",
    ),
]
ByOption = Annotated[
    str | None, typer.Option("--by", help="Who decides (recorded with the decision; default: the OS user).")
]


class PromotionRefused(SlipstreamError):
    exit_code = REFUSED_EXIT


def _experiment(cfg: Config) -> tuple[Registry, Experiment]:
    from slipstream.local.experiments import require_experiment
    from slipstream.local.registry import Registry

    if not Registry.exists(cfg):
        raise SlipstreamError(f"no registry yet for {cfg.name!r}: run `slipstream run` first")
    registry = Registry(cfg)
    return registry, require_experiment(registry, cfg)


def _result(cfg: Config, experiment: Experiment) -> ExperimentResult:
    from slipstream.local.experiment_result import local_result

    return local_result(cfg, experiment)


@app.command()
def status(
    config: ConfigOption = Path("slipstream.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="The ExperimentResult document on stdout.")] = False,
    stage: StageOption = None,
) -> None:
    """The decision so far: effect and interval, counts against the weight, sample ratio, guardrails."""
    _on_aws("status", stage, config)
    from slipstream.local.experiment_console import print_result

    cfg = load(config)
    try:
        _, experiment = _experiment(cfg)
        result = _result(cfg, experiment)
    except Exception as error:
        raise fail(error) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    print_result(Console(), experiment, result)


@app.command()
def report(
    config: ConfigOption = Path("slipstream.toml"),
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Default: <state>/experiments/report.html.", dir_okay=False)
    ] = None,
) -> None:
    """A self-contained HTML report: outcome over time with its interval, counts, guardrails, shadow mode."""
    from slipstream.local.experiment_report import write_report

    cfg = load(config)
    try:
        _, experiment = _experiment(cfg)
        result = _result(cfg, experiment)
        path = write_report(result, experiment, out or cfg.state_path / "experiments" / "report.html", cfg.name)
    except Exception as error:
        raise fail(error) from None
    console.print(f"Report: {path.resolve()}  ({result.decision})", highlight=False)


@app.command()
def promote(
    config: ConfigOption = Path("slipstream.toml"),
    by: ByOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even when the result says the champion is better or is invalid.")
    ] = False,
    stage: StageOption = None,
    wait: WaitOption = False,
) -> None:
    """Make the challenger the champion; recorded with who decided, when, and the figures.

    (Formerly also `slipstream promote`, which now promotes a model package across stages: docs/promotion.md.)"""
    from slipstream.local.run_lock import state_lock

    _on_aws("promote", stage, config)
    cfg = load(config)
    try:
        # Held from reading the result to moving the alias: a run meanwhile would gate against a champion
        # that is about to change, and take the alias from under the decision.
        with state_lock(cfg.state_path, wait=wait):
            registry, experiment = _experiment(cfg)
            result = _result(cfg, experiment)
            against = _against_promotion(result)
            if against and not force:
                raise PromotionRefused(
                    f"not promoting version {experiment.challenger.version}: {against}",
                    details=[result.reason, "pass --force to promote anyway (the record says it was forced)"],
                )
            _end(cfg, registry, experiment, "promoted", by, result, forced=bool(against))
    except Exception as error:
        raise fail(error) from None
    if result.decision != "challenger better":
        console.print(f"[yellow]note:[/] the result was {result.decision!r} when this was decided.", highlight=False)


@app.command()
def stop(
    config: ConfigOption = Path("slipstream.toml"),
    by: ByOption = None,
    stage: StageOption = None,
    wait: WaitOption = False,
) -> None:
    """End the experiment: the challenger stops getting traffic; the champion is untouched."""
    from slipstream.local.run_lock import state_lock

    _on_aws("stop", stage, config)
    cfg = load(config)
    try:
        with state_lock(cfg.state_path, wait=wait):
            registry, experiment = _experiment(cfg)
            result = _result(cfg, experiment)
            _end(cfg, registry, experiment, "stopped", by, result, forced=False)
    except Exception as error:
        raise fail(error) from None


def _on_aws(action: str, stage: str | None, config: Path) -> None:
    """With --stage, the deployed stage's experiment Lambda acts (the same result, recorded there with the
    caller's identity); the command ends with its exit code. Without, nothing happens here."""
    if stage is None:
        return
    from slipstream.cli.experiment_aws import run_on_aws

    raise typer.Exit(run_on_aws(action, stage=stage, config_path=str(config)))


def _against_promotion(result: ExperimentResult) -> str | None:
    if result.decision in AGAINST_PROMOTION:
        return f"the result is {result.decision!r}"
    breached = [
        f"{rail.name} {rail.value:g} > {rail.ceiling:g}" for rail in result.breaches if rail.variant == "challenger"
    ]
    return f"the challenger breaches a guardrail ({'; '.join(breached)})" if breached else None


def _end(
    cfg: Config,
    registry: Registry,
    experiment: Experiment,
    outcome: Outcome,
    by: str | None,
    result: ExperimentResult,
    *,
    forced: bool,
) -> None:
    from slipstream.local.experiments import end_experiment
    from slipstream.local.serving.plan import follow_experiment

    who = by or getpass.getuser()
    end_experiment(registry, cfg, experiment, outcome=outcome, decided_by=who, result=result, forced=forced)
    version, was = experiment.challenger.version, experiment.champion.version
    if outcome == "promoted":
        console.print(f"{cfg.name} version {version} is now the champion (was version {was}); decided by {who}.")
    else:
        console.print(f"experiment stopped: version {version} is no longer the challenger; champion {was} serves.")
    if follow_experiment(cfg, outcome, version):
        console.print("A running `slipstream serve` follows within seconds (its deployment record was updated).")
