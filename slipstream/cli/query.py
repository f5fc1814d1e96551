"""`slipstream query NAME|SQL`: the saved queries, or any SQL, over the laptop warehouse (DuckDB views
`captures` and `feedback`, slipstream/local/warehouse.py). Registered in main.py."""

from __future__ import annotations

import csv
import json
import math
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from slipstream.cli.common import ConfigOption, console, fail, load
from slipstream.errors import SlipstreamError

QueryArgument = Annotated[
    str | None, typer.Argument(help="A saved query's name (see --list) or SQL over `captures` and `feedback`.")
]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON array of rows instead of a table.")]
ListOption = Annotated[bool, typer.Option("--list", help="List the saved queries with what they answer.")]


def query(
    name_or_sql: QueryArgument = None,
    csv_out: CsvOption = False,
    json_out: JsonOption = False,
    list_queries: ListOption = False,
    config: ConfigOption = Path("slipstream.toml"),
) -> None:
    """Query captured predictions and feedback with DuckDB: a saved query by name, or your own SQL."""
    from slipstream.local.warehouse import open_warehouse

    if csv_out and json_out:
        raise fail(SlipstreamError("choose one of --csv and --json"))
    if not list_queries and not name_or_sql:
        raise fail(SlipstreamError("name a saved query or give SQL (`slipstream query --list` shows the queries)"))
    cfg = load(config)
    try:
        warehouse = open_warehouse(cfg)
        if list_queries:
            _print_list(warehouse.queries)
            return
        result = warehouse.run(name_or_sql or "")
    except Exception as error:
        raise fail(error) from None
    if not warehouse.captured:
        console.print(
            f"[yellow]No captured traffic yet[/] in {warehouse.capture_folder}: start `slipstream serve` and send "
            "requests to POST /predict ([serving] capture must be true).",
            highlight=False,
        )
    if csv_out:
        _print_csv(result.columns, result.rows)
    elif json_out:
        rows = [dict(zip(result.columns, map(_plain, row), strict=True)) for row in result.rows]
        typer.echo(json.dumps(rows, indent=2))
    else:
        _print_table(result.columns, result.rows)


def _print_list(queries: list[Any]) -> None:
    table = Table(title="Saved queries (slipstream query NAME)", title_justify="left")
    table.add_column("Name", style="bold", no_wrap=True)
    table.add_column("What it answers")
    for saved in queries:
        table.add_row(saved.name, saved.description)
    Console().print(table)


def _print_table(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    table = Table(caption=f"{len(rows)} row(s)")
    for name in columns:
        table.add_column(name, min_width=len(name))  # a header is never cut: it names what to select
    for row in rows:
        table.add_row(*(_text(value) for value in row))
    Console().print(table)


def _print_csv(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if (v := _plain(value)) is None else v for value in row] for row in rows])


def _plain(value: Any) -> Any:
    """A JSON-ready value: times as ISO-8601, NaN as null, maps as objects."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value) if isinstance(value, dict) else str(value)
