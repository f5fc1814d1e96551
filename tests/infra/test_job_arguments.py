"""The two runtimes pass SageMaker jobs the same arguments: what the synthesized state machine gives the
training and evaluation jobs equals what the local runner gives the same scripts, for one config."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from slipstream.local import steps as local_steps
from slipstream.local.run_state import RunState
from tests.infra.conftest import INFRA_GROUP, stage_settings

pytestmark = INFRA_GROUP


@pytest.fixture(scope="module")
def settings() -> Any:
    """The dev stage, with columns to ignore and a params dict the toolkit would mangle if not sent as JSON text."""
    settings = stage_settings()
    data = settings.config.data.model_copy(update={"ignore_columns": ["id", "notes"], "seed": 7})
    model = settings.config.model.model_copy(update={"params": {"max_iter": 500, "C": 0.5}})
    config = settings.config.model_copy(update={"data": data, "model": model})
    return replace(settings, config=config)


@pytest.fixture(scope="module")
def states(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sns as sns
    from aws_cdk.assertions import Template

    from cdk.pipeline.doc import definition_from_template
    from cdk.pipeline.stack import PipelineStack
    from cdk.shared.storage_stack import StorageExports

    app = App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    topic = sns.Topic(Stack(app, "Topics"), "Topic")
    stack = PipelineStack(app, "Pipeline", settings=settings, storage=StorageExports(settings.prefix), topic=topic)
    return definition_from_template(Template.from_stack(stack).to_json())["States"]


def job_started(monkeypatch: pytest.MonkeyPatch, runner: str, step: Any, state: RunState) -> dict[str, Any]:
    """The keyword arguments `step` starts its job with (`runner` of local_steps); the job itself never runs."""
    captured: dict[str, Any] = {}

    def capture(opt_ml: Path, **kwargs: Any) -> None:
        captured.update(kwargs)
        raise _Stop

    monkeypatch.setattr(local_steps, runner, capture)
    with pytest.raises(_Stop):
        step(state)
    return captured


# The runtime's own values: where the sourcedir is (an S3 asset vs a local archive) and the region.
RUNTIME_SPECIFIC = {"sagemaker_submit_directory", "sagemaker_region"}


def test_train_gets_the_same_job_from_the_state_machine_and_the_local_runner(
    settings: Any, states: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both give the training toolkit the same hyperparameters and entrypoint; the toolkit (the same one in both)
    turns them into train.py's flags."""
    (tmp_path / "data" / "train").mkdir(parents=True)
    state = RunState(config=settings.config, run_id="r1", run_dir=tmp_path)
    state.outputs["validation"] = type("V", (), {"report": {"split": {"train_rows": 0}}})()
    captured = job_started(monkeypatch, "run_training_job", local_steps.train, state)
    train = states["Train"]["Parameters"]
    aws = {k: v for k, v in train["HyperParameters"].items() if k not in RUNTIME_SPECIFIC}
    local = {k: v for k, v in captured["hyperparameters"].items() if k not in RUNTIME_SPECIFIC}
    assert aws == local
    assert train["AlgorithmSpecification"]["ContainerEntrypoint"] == captured["entrypoint"]
    decoded = {k: json.loads(v) for k, v in train["HyperParameters"].items()}
    # ValidateData already dropped the ignored columns: naming them again would make train.py look for them.
    assert not any("ignore" in name for name in decoded)
    assert decoded["params"] == '{"C": 0.5, "max_iter": 500}' and decoded["seed"] == 7


@pytest.mark.parametrize("champion", [False, True], ids=["alone", "against the champion"])
def test_evaluate_gets_the_same_arguments_and_inputs_from_both_runtimes(
    settings: Any, states: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, champion: bool
) -> None:
    (tmp_path / "data" / "test").mkdir(parents=True)
    archive = tmp_path / "model.tar.gz"  # what Train left in the run folder
    archive.touch()
    registry = type("Registry", (), {"__init__": lambda self, config: None})
    # Alone: a project that never registered (no registry to open); against: its champion is version 1.
    registry.exists = staticmethod(lambda config: champion)  # type: ignore[attr-defined]
    registry.by_alias = lambda self, alias: type("V", (), {"version": "1"})()  # type: ignore[attr-defined]
    registry.download_model = lambda self, version, target: target.mkdir() or target  # type: ignore[attr-defined]
    monkeypatch.setattr(local_steps, "Registry", registry)
    state = RunState(config=settings.config, run_id="r1", run_dir=tmp_path)
    state.outputs["model_archive"] = archive
    captured = job_started(monkeypatch, "run_processing_job", local_steps.evaluate, state)
    chosen = states["EvaluateAgainstChampion" if champion else "EvaluateWithoutChampion"]["Parameters"]
    assert chosen["arguments"] == captured["arguments"]
    assert {i["S3Input"]["LocalPath"] for i in chosen["inputs"]} == set(captured["inputs"])
    assert states["Evaluate"]["Parameters"]["AppSpecification"]["ContainerEntrypoint"] == captured["entrypoint"]
    assert ("--champion-model-dir" in captured["arguments"]) is champion


class _Stop(Exception):
    """Stops the local step once it has started its job: only the job's arguments are under test."""
