"""Synthesize the dev stage once per test run, in process (no CDK CLI, no network, no credentials).

Every infra test reads the same cloud assembly (templates + cdk-nag's validation report). Modules also set
`pytestmark = INFRA_GROUP` so `--dist loadgroup` keeps them on one worker when it can.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

INFRA_GROUP = pytest.mark.xdist_group("infra-synth")

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(Path(__file__).resolve().parents[2] / ".jsii-cache"))


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    stack_names: dict[str, str]  # "storage" | "notifications" | "pipeline" | "serving" | ... -> stack name

    @property
    def templates(self) -> dict[str, dict[str, Any]]:
        return {key: _read(self.outdir / f"{name}.template.json") for key, name in self.stack_names.items()}

    def report(self) -> dict[str, Any]:
        return _read(self.outdir / "validation-report.json")


@cache
def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


GITHUB_REPOSITORY = "acme/slipstream"
CODE_VERSION = "0123456789abcdef0123456789abcdef01234567"  # pinned: the checkout's commit would vary the templates


def stage_settings(**stage_overrides: Any) -> Any:
    """The dev stage of slipstream.toml, plus a GitHub repository so the one synthesis includes the deploy stack."""
    from dataclasses import replace

    from cdk.shared.settings import load_settings

    settings = load_settings("dev", code_version=CODE_VERSION)
    overrides = {"github_repository": GITHUB_REPOSITORY, **stage_overrides}
    return replace(settings, stage=settings.stage.model_copy(update=overrides))


def _synthesize(outdir: Path) -> dict[str, str]:
    from aws_cdk import App

    from cdk.app import build_app

    app = App(outdir=str(outdir))
    stacks = build_app(app, stage_settings())
    app.synth()
    names = {key: stack.stack_name for key, stack in stacks.items()}  # type: ignore[attr-defined]
    (outdir / "stack-names.json").write_text(json.dumps(names))
    return names


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Synthesized:
    """One synthesis per test run. Under xdist the workers share it: the first one synthesizes, under a lock."""
    if worker_id == "master":
        outdir = tmp_path_factory.mktemp("cdk.out")
        return Synthesized(outdir, _synthesize(outdir))
    shared = tmp_path_factory.getbasetemp().parent / "cdk.out"
    with open(shared.parent / "cdk-synth.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "stack-names.json").exists():
            shared.mkdir(exist_ok=True)
            _synthesize(shared)
        names = json.loads((shared / "stack-names.json").read_text())
    return Synthesized(shared, names)


@pytest.fixture(scope="session")
def definition(synthesized: Synthesized) -> dict[str, Any]:
    from cdk.pipeline.doc import definition_from_template

    return definition_from_template(synthesized.templates["pipeline"])
