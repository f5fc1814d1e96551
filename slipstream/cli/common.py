"""What every command shares: the error console, the --config option, and turning errors into exit codes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from slipstream.config import Config, load_config
from slipstream.errors import SlipstreamError, excerpt

console = Console(stderr=True)
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Path to slipstream.toml.", dir_okay=False, show_default=True)
]


def fail(error: BaseException) -> typer.Exit:
    """Print a readable error (never a traceback, unless SLIPSTREAM_DEBUG is set) and pick the exit code."""
    if os.environ.get("SLIPSTREAM_DEBUG"):
        raise error
    if isinstance(error, Exception):
        from slipstream.local.run_failure import as_user_error

        error = as_user_error(error)  # a full disk or a permission is the machine's state, not our bug
    if isinstance(error, SlipstreamError):
        console.print(f"[bold red]error:[/] {error.message}", highlight=False)
        for detail in error.details:
            console.print(f"  [red]•[/] {detail}", highlight=False)
        return typer.Exit(error.exit_code)
    console.print(f"[bold red]unexpected error:[/] {type(error).__name__}: {excerpt(str(error))}", highlight=False)
    console.print("  rerun with SLIPSTREAM_DEBUG=1 for the traceback, and please report it.")
    return typer.Exit(1)


def load(path: Path) -> Config:
    try:
        return load_config(path)
    except SlipstreamError as error:
        raise fail(error) from None
