"""A trained champion in a temporary state folder and `slipstream serve`'s servers on free ports.

Training takes ~15 s, so it happens once per session: the bundled config's `slipstream run`, which
test_pipeline's bundled-config test also reads (the same scenario, run once). Every test using these
fixtures is in the xdist group "serve" so one worker builds them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from slipstream.config import Config, load_config
from slipstream.local.serving.httpbase import free_port
from slipstream.local.serving.plan import ServePlan, build_plan
from slipstream.local.serving.supervisor import Servers

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "test_serve" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("serve"))


@dataclass(frozen=True)
class BundledRun:
    config: Path  # a copy of the bundled slipstream.toml; its state is the default .slipstream beside it
    exit_code: int
    output: str  # what `slipstream run` printed


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory: pytest.TempPathFactory) -> BundledRun:
    """`slipstream run` on the bundled config, as a user runs it, with unpickling refused in this process (the
    laptop's scikit-learn may differ from the image's that trained the model: opening it here is a bug)."""
    from tests.integration.pipeline_helpers import cli, never_unpickle_here

    config = tmp_path_factory.mktemp("serve-project") / "slipstream.toml"
    shutil.copy(REPO / "slipstream.toml", config)
    with pytest.MonkeyPatch.context() as monkeypatch:
        never_unpickle_here(monkeypatch)
        code, output = cli("run", "--config", str(config))
    return BundledRun(config, code, output)


@pytest.fixture(scope="session")
def trained_config(bundled_run: BundledRun) -> Config:
    assert bundled_run.exit_code == 0, bundled_run.output  # 0: the gate passed and a champion was registered
    return load_config(bundled_run.config)


@pytest.fixture(scope="session")
def serve_plan(trained_config: Config) -> ServePlan:
    return build_plan(trained_config, host="127.0.0.1", port=free_port(), endpoint_port=free_port())


@pytest.fixture(scope="session")
def served(serve_plan: ServePlan) -> Iterator[ServePlan]:
    with Servers(serve_plan, workers=1):
        yield serve_plan
    shutil.rmtree(serve_plan.folder / "logs", ignore_errors=True)
