"""The warehouse tables of a configured project, with the contract's columns, built at synth time.

The contract comes from the configured data exactly as ValidateData builds it (ignored columns dropped), so the
Glue tables have one column per feature with the feature's kind, the same columns the predict service writes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from slipstream.config import Config
from slipstream.warehouse.schema import Table, captures_table, feedback_table


def warehouse_tables(config: Config) -> tuple[Table, Table]:
    """(captures, feedback) for the project's task and features."""
    return _tables(config.model_dump_json(), str(config.base_dir))


@cache  # the infra tests synthesize many stages of one config: read and describe its data once
def _tables(config_json: str, base_dir: str) -> tuple[Table, Table]:
    from slipstream.contract import build_contract  # pandas: synth time only
    from slipstream.dataset import drop_ignored, load_dataset

    config = Config.model_validate_json(config_json).model_copy(update={"base_dir": Path(base_dir)})
    contract = build_contract(drop_ignored(load_dataset(config), config), config)
    features = [(feature.name, feature.kind) for feature in contract.features]
    return captures_table(contract.task, features), feedback_table(contract.task)
