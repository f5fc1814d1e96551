"""The state directory's lock for the commands that change the registry, with `run`'s --wait."""

from __future__ import annotations

from typing import Annotated

import typer

WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="When a run or another command holds the state directory, wait for it instead of refusing (exit 9).",
    ),
]
