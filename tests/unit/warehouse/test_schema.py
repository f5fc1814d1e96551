from slipstream.warehouse.schema import (
    CAPTURES,
    DUCKDB_TYPES,
    FEEDBACK,
    capture_columns,
    captures_table,
    column_name,
    feature_columns,
    feedback_table,
)


def test_feature_names_become_athena_columns() -> None:
    assert column_name("mean radius") == "mean_radius"
    assert column_name("Worst  Concave-Points (%)") == "worst_concave_points"
    assert column_name("2nd reading") == "f_2nd_reading"
    assert column_name("€") == "feature"
    assert len(column_name("x" * 400)) == 255


def test_colliding_names_get_a_suffix_deterministically() -> None:
    columns = feature_columns(["Row", "row", "a b", "a-b", "dt"], reserved=["row"])
    assert columns == {"Row": "row_2", "row": "row_3", "a b": "a_b", "a-b": "a_b_2", "dt": "dt_2"}
    assert feature_columns(["Row", "row", "a b", "a-b", "dt"], reserved=["row"]) == columns


def test_captures_table_has_meta_then_one_column_per_feature() -> None:
    features = [("mean radius", "numeric"), ("colour", "categorical"), ("row", "numeric")]
    table = captures_table("classification", features)
    assert table.name == CAPTURES
    names = table.column_names
    assert names[:3] == ["request_id", "row", "timestamp"]
    assert names[-3:] == ["mean_radius", "colour", "row_2"]
    types = {c.name: c.type for c in table.columns}
    assert (types["mean_radius"], types["colour"], types["prediction"]) == ("double", "string", "string")
    assert len(set(names)) == len(names) and table.partition.name not in names
    assert all(c.type in DUCKDB_TYPES for c in table.columns)


def test_regression_answers_are_numbers() -> None:
    assert {c.name: c.type for c in captures_table("regression", [("x", "numeric")]).columns}["prediction"] == "double"
    feedback = feedback_table("regression")
    assert feedback.name == FEEDBACK
    assert [(c.name, c.type) for c in feedback.columns][2] == ("ground_truth", "double")


def test_capture_columns_are_the_tables_feature_columns() -> None:
    features = [("row", "numeric"), ("Mean Radius", "numeric"), ("variant", "categorical")]
    table = captures_table("regression", features)
    assert list(capture_columns([n for n, _ in features]).values()) == table.column_names[-3:]
    assert capture_columns(["row", "variant"]) == {"row": "row_2", "variant": "variant_2"}
