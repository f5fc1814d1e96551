"""`slipstream predict`: score a CSV or Parquet file with a registered model (docs/batch.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from slipstream.batch_config import BatchConfig, OnBadRow
from slipstream.cli.common import ConfigOption, console, fail, load


def predict(
    input_path: Annotated[Path, typer.Option("--input", "-i", help="CSV or Parquet file to score.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Predictions file (.csv or .parquet); <name>.rejects.csv and <name>.summary.json "
            "are written beside it.",
        ),
    ],
    version: Annotated[str | None, typer.Option("--version", help="Registered version to use.")] = None,
    alias: Annotated[str | None, typer.Option("--alias", help="Registry alias to use (default: champion).")] = None,
    on_bad_row: Annotated[
        OnBadRow | None,
        typer.Option("--on-bad-row", help="skip (into the rejects file) or fail; default: \\[batch] on_bad_row."),
    ] = None,
    id_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--id-column", help="Copy this input column to the output (repeatable); default: \\[batch] id_columns."
        ),
    ] = None,
    config: ConfigOption = Path("slipstream.toml"),
) -> None:
    """Score a whole file with the champion (or --version/--alias): same model code and row rules as /predict."""
    from slipstream.local.batch import check_files, predict_file

    if version and alias:
        raise typer.BadParameter("give --version or --alias, not both")
    cfg = load(config)
    overrides = {k: v for k, v in (("on_bad_row", on_bad_row), ("id_columns", id_columns)) if v}
    try:  # the flags obey [batch]'s own rules
        batch = BatchConfig.model_validate({**cfg.batch.model_dump(), **overrides})
    except ValidationError as error:
        raise typer.BadParameter("; ".join(e["msg"] for e in error.errors())) from None
    try:
        files = check_files(input_path, output)
        with _progress() as bar:
            task = bar.add_task("scoring", total=files.input.stat().st_size, rows=0)
            summary = predict_file(
                cfg,
                files,
                batch,
                version=version,
                alias=alias,
                progress=lambda rows, done, total: bar.update(task, completed=done, total=total, rows=rows),
            )
    except KeyboardInterrupt:
        console.print("[yellow]interrupted:[/] nothing was written.")
        raise typer.Exit(130) from None
    except Exception as error:
        raise fail(error) from None
    table = Table(title=f"Scored {files.input.name} with version {summary.model_version}", show_header=False)
    for name, value in (
        ("rows read", f"{summary.rows_read:,}"),
        ("rows scored", f"{summary.rows_scored:,}"),
        ("rows rejected", f"{summary.rows_rejected:,}" + (f" ({summary.rejects})" if summary.rows_rejected else "")),
        ("wall", f"{summary.wall_seconds:.2f} s"),
        ("rows/s", f"{summary.rows_per_second:,.0f}"),
        ("predictions", summary.output),
        ("summary", str(files.summary)),
    ):
        table.add_row(name, value)
    console.print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:,} rows", style="cyan"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
