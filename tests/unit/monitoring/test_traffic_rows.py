"""The seam between the capture writer (lambdas.predict.service.capture_rows) and the one reader
(slipstream.monitoring.traffic.traffic_from_rows): what one writes, the other reads back under the feature
names, whatever the names (ones that collide with meta columns or with each other included)."""

from __future__ import annotations

import json

import pandas as pd

from lambdas.predict.service import capture_rows
from lambdas.predict.shadow import shadow_fields
from slipstream.monitoring.traffic import baseline_features, traffic_from_rows
from slipstream.warehouse.schema import capture_columns

FEATURES = ["row", "Row", "mean radius", "variant", "dt"]
BODY = {"request_id": "r1", "variant": "champion", "model_version": 3, "predictions": [1, 0]}
INSTANCES = [
    {"row": 1.0, "Row": 2.0, "mean radius": 3.0, "variant": "a", "dt": 5.0},
    {"row": 6.0, "Row": None, "mean radius": 8.0, "variant": "b", "dt": 10.0},
]


def _written() -> list[dict]:
    rows = capture_rows(BODY, "e", 4.5, INSTANCES, capture_columns(FEATURES))
    return [json.loads(json.dumps(row)) for row in rows]  # through JSON, as every sink writes them


def test_features_come_back_under_their_names_with_the_meta_intact() -> None:
    traffic = traffic_from_rows(_written(), FEATURES)
    assert list(traffic.features.columns) == FEATURES
    assert traffic.features.iloc[0].to_dict() == INSTANCES[0]
    assert pd.isna(traffic.features.iloc[1]["Row"]) and traffic.features.iloc[1]["variant"] == "b"
    meta = traffic.meta
    assert meta[["request_id", "row", "variant", "model_version"]].values.tolist() == [
        ["r1", 0, "champion", "3"],
        ["r1", 1, "champion", "3"],
    ]
    assert meta["prediction"].tolist() == [1, 0] and not meta["shadowed"].any()


def test_a_reader_without_the_features_keeps_columns_until_it_names_them() -> None:
    traffic = traffic_from_rows(_written())
    assert sorted(traffic.features.columns) == sorted(capture_columns(FEATURES).values())
    baselines = {"3": {"features": dict.fromkeys(FEATURES[:3])}, "4": {"features": dict.fromkeys(FEATURES)}, "5": None}
    named = traffic.named(baseline_features(baselines))
    assert list(named.features.columns) == FEATURES and named.features.iloc[0].to_dict() == INSTANCES[0]
    assert list(traffic.named(["mean radius", "absent"]).features.columns) == ["mean radius"]


def test_shadow_columns_per_row_and_rows_that_are_not_captures_are_skipped() -> None:
    answer = {"predictions": [0, 1], "model_version": "4"}
    rows = [{**row, **shadow} for row, shadow in zip(_written(), shadow_fields(2, "4", answer, 7.0, None), strict=True)]
    failed = [{**r, **s} for r, s in zip(_written(), shadow_fields(2, "4", None, None, "boom"), strict=True)]
    old = {"request_id": "r0", "instances": [{}], "predictions": [1]}  # the nested record of before
    traffic = traffic_from_rows([*rows, *failed, old, {"prediction": 1}], FEATURES)
    assert traffic.skipped == 2 and len(traffic) == 4
    assert traffic.meta["shadow_prediction"].tolist()[:2] == [0, 1]
    assert traffic.meta["shadow_error"].tolist() == [None, None, "boom", "boom"]
    assert traffic.meta["shadowed"].all() and set(traffic.meta["shadow_model_version"]) == {"4"}
