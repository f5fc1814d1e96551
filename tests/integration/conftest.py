"""A trained champion in a temporary state folder and `slipstream serve`'s servers on free ports.

Training takes ~15 s, so it happens once per session; every test using these fixtures is in the xdist
group "serve" so one worker builds them.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.config import Config, parse_config
from slipstream.local.serving.httpbase import free_port
from slipstream.local.serving.plan import ServePlan, build_plan
from slipstream.local.serving.supervisor import Servers

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "test_serve" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("serve"))


@pytest.fixture(scope="session")
def trained_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    from slipstream.local.runner import run_pipeline

    base = tmp_path_factory.mktemp("serve-project")
    raw = tomllib.loads((REPO / "slipstream.toml").read_text(encoding="utf-8"))
    raw["state_dir"] = str(base / "state")
    config = parse_config(raw, base_dir=base, source="test config")
    state = run_pipeline(config)
    assert state.outputs["decision"].passed
    return config


@pytest.fixture(scope="session")
def serve_plan(trained_config: Config) -> ServePlan:
    return build_plan(trained_config, host="127.0.0.1", port=free_port(), endpoint_port=free_port())


@pytest.fixture(scope="session")
def served(serve_plan: ServePlan) -> Iterator[ServePlan]:
    with Servers(serve_plan, workers=1):
        yield serve_plan
    shutil.rmtree(serve_plan.folder / "logs", ignore_errors=True)
