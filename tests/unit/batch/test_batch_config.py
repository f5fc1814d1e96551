"""`[batch]`: the defaults, and the refusals that name what is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from slipstream.batch_config import BatchConfig
from slipstream.batch_job import batch_arguments


def test_defaults_skip_bad_rows_into_the_rejects_file() -> None:
    config = BatchConfig()
    assert (config.on_bad_row, config.id_columns, config.chunk_rows) == ("skip", [], 100_000)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"id_columns": ["id", "id"]}, "lists id more than once"),
        ({"id_columns": ["prediction"]}, "may not be named prediction"),
        ({"on_bad_row": "ignore"}, "'skip' or 'fail'"),
        ({"chunk_rows": 10}, "greater than or equal to 1000"),
        ({"chunks": 10}, "Extra inputs are not permitted"),
        ({"input_prefix": "batch/in"}, "should match pattern"),
        ({"output_prefix": "batch/in/out/"}, "overlap: every result written would start another batch run"),
        ({"input_prefix": "x/{}/"}, "should match pattern"),
    ],
)
def test_bad_settings_are_refused_by_name(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BatchConfig.model_validate(raw)


def test_the_scorer_gets_the_settings_as_flags() -> None:
    flags = batch_arguments(
        BatchConfig(on_bad_row="fail", id_columns=["patient id"], chunk_rows=5000),
        input_path="in.csv",
        model="m",
        contract="c.json",
        output="o.csv",
        rejects="r.csv",
        summary="s.json",
    )
    assert flags[flags.index("--on-bad-row") + 1] == "fail"
    assert flags[flags.index("--id-columns") + 1] == '["patient id"]'
    assert flags[flags.index("--chunk-rows") + 1] == "5000"
    assert "--progress" not in flags


def test_the_batch_prefixes_stay_out_of_every_stages_data_prefix() -> None:
    import tomllib
    from pathlib import Path

    from slipstream.config import parse_config
    from slipstream.errors import ConfigError

    repo = Path(__file__).resolve().parents[3]
    raw = tomllib.loads((repo / "slipstream.toml").read_text(encoding="utf-8"))
    with pytest.raises(ConfigError) as refused:
        parse_config({**raw, "batch": {"input_prefix": "incoming/batch/"}}, base_dir=repo)
    assert "batch.input_prefix 'incoming/batch/' overlaps stages.dev.data_prefix 'incoming/'" in str(
        refused.value.details
    )
