"""Synthesize the CDK app in process (no CDK CLI, no network, no credentials) and keep what the emulation needs.

This is the same `build_app` that `cdk synth` runs, so the state machine we execute is the one CloudFormation
would deploy. Synthesis takes ~15-25 s, so a process synthesizes each (config, stage) once.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstream.config import Config
from slipstream.lineage import git_commit

_CACHE: dict[tuple[str, str, str], Synthesized] = {}


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    templates: dict[str, dict[str, Any]]  # "storage" | "notifications" | "pipeline" -> template
    assets: dict[str, dict[str, Any]]  # same keys -> the stack's <name>.assets.json manifest
    prefix: str  # <project>-<stage>: names the endpoint, model package group and stacks
    stage: str

    def state_machine(self) -> tuple[str, dict[str, Any]]:
        """(logical id, resource) of the pipeline's AWS::StepFunctions::StateMachine."""
        resources = self.templates["pipeline"]["Resources"]
        found = [(k, r) for k, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"]
        if len(found) != 1:
            raise ValueError(f"expected one state machine in the pipeline stack, found {len(found)}")
        return found[0]


def synthesize(config: Config, stage: str = "dev") -> Synthesized:
    """The app's stacks for `stage`, built from `config` exactly as app.py builds them."""
    # base_dir is not in the config's JSON: two projects with the same config in different folders differ in the
    # dataset synthesis reads and in the commit their packages record (a copy outside the checkout has none).
    key = (config.model_dump_json(), str(config.base_dir.resolve()), stage)
    if key not in _CACHE:
        _CACHE[key] = _synthesize(config, stage)
    return _CACHE[key]


def _synthesize(config: Config, stage: str) -> Synthesized:
    from slipstream.local.stepfunctions import synth_cache

    # The commit the local runner records for the same project (app.py takes the CDK app's checkout's).
    code_version = git_commit(config.base_dir)
    root = synth_cache.cache_root()
    if root is None:
        outdir = Path(tempfile.mkdtemp(prefix="slipstream-sfn-synth-"))
        return Synthesized(outdir=outdir, **_build(config, stage, code_version, outdir))
    name = synth_cache.key(config.model_dump_json(), str(config.base_dir), stage, code_version)
    outdir, metadata = synth_cache.shared(root, name, lambda out: _build(config, stage, code_version, out))
    return Synthesized(outdir=outdir, **metadata)


def _build(config: Config, stage: str, code_version: str, outdir: Path) -> dict[str, Any]:
    """Synthesize into `outdir`; the JSON-able rest of a Synthesized (templates, assets, prefix, stage)."""
    # Node 20 warns on every jsii call; the cache keeps the jsii runtime's unpacked modules between runs.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from aws_cdk import App

    from cdk.app import build_app
    from cdk.shared.settings import PROJECT_ROOT, DeploySettings

    os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(PROJECT_ROOT / ".jsii-cache"))
    settings = DeploySettings(config=config, stage_name=stage, stage=config.stage(stage), code_version=code_version)
    app = App(outdir=str(outdir))
    stacks = build_app(app, settings)
    assembly = app.synth()
    names = {key: stack.stack_name for key, stack in stacks.items()}
    templates = {key: assembly.get_stack_by_name(name).template for key, name in names.items()}
    assets = {}
    for key, name in names.items():
        manifest = outdir / f"{name}.assets.json"
        assets[key] = json.loads(manifest.read_text()) if manifest.is_file() else {}
    return {"templates": templates, "assets": assets, "prefix": settings.prefix, "stage": stage}
