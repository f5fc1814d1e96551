import pytest
import sqlglot
from sqlglot import exp

from slipstream.warehouse.queries import QueryError, saved_queries, transpile
from slipstream.warehouse.schema import captures_table, feedback_table

FEATURES = [("mean radius", "numeric"), ("plan", "categorical"), ("row", "numeric")]
EXPECTED = {
    "category_counts", "feature_summary", "latency", "predictions", "quality_by_variant", "quality_over_time",
    "rows_without_feedback", "traffic_by_version",
}  # fmt: skip
READ = {"duckdb": "duckdb", "athena": "trino"}  # Athena's engine 3 is Trino: its own parser reads the query too


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("dialect", ["duckdb", "athena"])
def test_every_query_parses_in_its_dialect(task, dialect) -> None:
    queries = saved_queries(task, FEATURES, dialect=dialect)
    assert {q.name for q in queries} == EXPECTED
    for query in queries:
        assert query.description and "$" not in query.description and "$" not in query.sql, query.name
        for read in {dialect, READ[dialect]}:
            statements = sqlglot.parse(query.sql, read=read)
            assert len(statements) == 1 and isinstance(statements[0], exp.Query), (query.name, read)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_queries_name_only_tables_and_columns_of_the_schema(task) -> None:
    """The seam with schema.py: a column the schema does not have (a renamed meta column, a feature column
    spelled differently) fails here, not in Athena."""
    both = (captures_table(task, FEATURES), feedback_table(task))
    tables = {t.name: {*t.column_names, t.partition.name} for t in both}
    for query in saved_queries(task, FEATURES, dialect="duckdb"):
        tree = sqlglot.parse_one(query.sql, read="duckdb")
        ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        aliases = {a.alias for a in tree.find_all(exp.Alias)} | {"answer"}
        named = {t.name for t in tree.find_all(exp.Table)} - ctes
        assert named <= set(tables), (query.name, named)
        known = set().union(*(tables[name] for name in named))
        columns = {c.name for c in tree.find_all(exp.Column)}
        assert columns - aliases <= known, (query.name, columns - aliases - known)


def test_athena_gets_its_own_function_names() -> None:
    latency = {q.name: q for q in saved_queries("classification", FEATURES, dialect="athena")}["latency"]
    assert "APPROX_PERCENTILE(latency_ms, 0.99)" in latency.sql and "QUANTILE" not in latency.sql


def test_no_categorical_feature_means_no_category_counts() -> None:
    names = {q.name for q in saved_queries("regression", [("x", "numeric")], dialect="duckdb")}
    assert names == EXPECTED - {"category_counts"}


def test_bad_sql_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        transpile("SELECT FROM WHERE (", "duckdb")
    with pytest.raises(QueryError, match="no features"):
        saved_queries("classification", [], dialect="duckdb")
