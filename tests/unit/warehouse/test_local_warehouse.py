"""The laptop warehouse and `slipstream query`: views over capture rows as the predict Lambda writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lambdas.predict.service import capture_rows
from slipstream.cli.main import app
from slipstream.config import load_config
from slipstream.local.monitoring.sources import load_feedback, load_traffic
from slipstream.local.warehouse import open_warehouse
from slipstream.monitoring.quality import quality_by_variant
from slipstream.warehouse.schema import capture_columns, captures_table, feedback_table
from tests.unit.serving.conftest import CONTRACT

FEATURES = [f["name"] for f in CONTRACT["features"]]


def _write(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    (tmp_path / "slipstream.toml").write_text(
        f'state_dir = "{state}"\nname = "churn"\n\n[data]\nsource = "data.csv"\ntarget = "churned"\n'
        'task = "classification"\n',
        encoding="utf-8",
    )
    _write(state / "contract.json", [CONTRACT])
    return tmp_path / "slipstream.toml"


def _serve(project: Path) -> None:
    """12 requests of 2 rows, alternately champion (version 1) and challenger (2); ground truth for 15 rows, one
    sent twice (the latest counts), answers given as 1/"yes" text and numbers as JSON allows."""
    state = project.parent / "state"
    columns = capture_columns(FEATURES)
    rows, feedback = [], []
    for n in range(12):
        variant, version = ("champion", "1") if n % 2 else ("challenger", "2")
        body = {"request_id": f"r{n}", "variant": variant, "model_version": version, "predictions": ["yes", "no"]}
        instances = [
            {"monthly spend": 10.0 * n, "tenure": n, "plan": "pro"},
            {"monthly spend": None, "tenure": 1, "plan": "basic"},
        ]
        rows += capture_rows(body, f"churn-{variant}", 10.0 + n, instances, columns)
    for n in range(8):
        feedback += [{"request_id": f"r{n}", "row": 0, "ground_truth": "yes" if n % 3 else "no", "received_at": "x"}]
        feedback += [
            {"request_id": f"r{n}", "row": 1, "ground_truth": "no", "received_at": "2026-12-01T10:00:00+00:00"}
        ]
    feedback[-1] = {**feedback[-1], "ground_truth": "yes"}
    feedback.append({"request_id": "r7", "row": 1, "ground_truth": "no", "received_at": "2026-12-01T11:00:00+00:00"})
    _write(state / "serving" / "capture" / "predictions.jsonl", rows)
    with (state / "serving" / "capture" / "predictions.jsonl").open("a") as file:
        file.write('{"request_id": "torn", "row": 0, "predic')  # a torn last line
    _write(state / "serving" / "feedback.jsonl", feedback)


def test_views_have_the_schemas_columns_and_types(project: Path) -> None:
    _serve(project)
    warehouse = open_warehouse(load_config(project))
    for table in (captures_table("classification", [(f["name"], f["kind"]) for f in CONTRACT["features"]]),
                  feedback_table("classification")):  # fmt: skip
        described = warehouse.connection.execute(f"DESCRIBE {table.name}").fetchall()
        assert [(c[0], c[1]) for c in described] == [
            *((c.name, c.duckdb_type) for c in table.columns),
            ("dt", "VARCHAR"),
        ]
    assert warehouse.captured == 24  # the torn line is left out
    row = warehouse.run("SELECT * FROM captures WHERE request_id = 'r3' AND \"row\" = 0")
    values = dict(zip(row.columns, row.rows[0], strict=True))
    assert (values["monthly_spend"], values["plan"], values["prediction"]) == (30.0, "pro", "yes")
    assert values["dt"] == values["timestamp"].strftime("%Y/%m/%d/%H") and values["shadowed"] is False


def test_saved_quality_equals_what_monitor_computes(project: Path) -> None:
    _serve(project)
    config = load_config(project)
    expected = quality_by_variant(load_traffic(config), load_feedback(config), task="classification", min_feedback=1)
    result = open_warehouse(config).run("quality_by_variant")
    got = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    assert [(q["variant"], q["predicted"], q["labelled"]) for q in got] == [
        (q.variant, q.predicted, q.labelled) for q in expected
    ]
    assert [q["accuracy"] for q in got] == pytest.approx([q.metrics["accuracy"] for q in expected])


def test_query_cli_prints_table_csv_json_and_lists_queries(project: Path) -> None:
    _serve(project)
    runner = CliRunner()
    table = runner.invoke(app, ["query", "traffic_by_version", "--config", str(project)])
    assert table.exit_code == 0, table.output
    assert "challenger" in table.output and "2 row(s)" in table.output
    csv = runner.invoke(app, ["query", "SELECT variant, COUNT(*) AS n FROM captures GROUP BY 1 ORDER BY 1", "--csv",
                              "--config", str(project)])  # fmt: skip
    assert csv.stdout.splitlines() == ["variant,n", "challenger,12", "champion,12"]
    rows = json.loads(runner.invoke(app, ["query", "rows_without_feedback", "--json", "-c", str(project)]).stdout)
    assert len(rows) == 24 - 16 and {r["request_id"] for r in rows} == {f"r{n}" for n in range(8, 12)}
    listed = runner.invoke(app, ["query", "--list", "--config", str(project)])
    assert listed.exit_code == 0 and "quality_over_time" in listed.output and "latency" in listed.output


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("no_such_query", "no saved query named 'no_such_query'"),
        ("SELECT nope FROM captures", "the query failed"),
        ("SELEC * FROM captures", "the query failed"),
    ],
)
def test_bad_sql_or_an_unknown_name_is_a_clear_error(project: Path, argument: str, message: str) -> None:
    _serve(project)
    result = CliRunner().invoke(app, ["query", argument, "--config", str(project)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_no_capture_yet_is_said_and_queries_still_run(project: Path) -> None:
    result = CliRunner().invoke(app, ["query", "traffic_by_version", "--json", "--config", str(project)])
    assert result.exit_code == 0 and "No captured traffic yet" in result.output
    assert json.loads(result.stdout) == []


def test_no_contract_yet_is_said(tmp_path: Path) -> None:
    (tmp_path / "slipstream.toml").write_text(
        f'state_dir = "{tmp_path / "s"}"\n[data]\nsource = "d.csv"\ntarget = "y"\ntask = "regression"\n'
    )
    result = CliRunner().invoke(app, ["query", "latency", "--config", str(tmp_path / "slipstream.toml")])
    assert result.exit_code == 1 and "no data contract" in result.output and "slipstream run" in result.output
