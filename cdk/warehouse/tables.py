"""The warehouse of a configured project, built at synth time from its contract: the tables' columns and the
saved queries.

The contract comes from the configured data exactly as ValidateData builds it (ignored columns dropped), so the
Glue tables have one column per feature with the feature's kind, the same columns the predict service writes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from slipstream.config import Config
from slipstream.warehouse.queries import SavedQuery, saved_queries
from slipstream.warehouse.schema import Kind, Table, Task, captures_table, feedback_table


def contract_shape(config: Config) -> tuple[Task, tuple[tuple[str, Kind], ...]]:
    """(task, ((feature, kind), ...)) of the contract the configured data gives."""
    return _shape(config.model_dump_json(), str(config.base_dir))


def warehouse_tables(config: Config) -> tuple[Table, Table]:
    """(captures, feedback) for the project's task and features."""
    task, features = contract_shape(config)
    return captures_table(task, features), feedback_table(task)


def athena_queries(config: Config) -> list[SavedQuery]:
    task, features = contract_shape(config)
    return saved_queries(task, features, dialect="athena")


@cache  # the infra tests synthesize many stages of one config: read and describe its data once
def _shape(config_json: str, base_dir: str) -> tuple[Task, tuple[tuple[str, Kind], ...]]:
    from slipstream.contract import build_contract  # pandas: synth time only
    from slipstream.dataset import drop_ignored, load_dataset

    config = Config.model_validate_json(config_json).model_copy(update={"base_dir": Path(base_dir)})
    contract = build_contract(drop_ignored(load_dataset(config), config), config)
    return contract.task, tuple((feature.name, feature.kind) for feature in contract.features)
