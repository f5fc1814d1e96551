"""Local adapters for each pipeline step: read the run folder, call the step's logic, write its outputs.

Each returns a one-line summary for the progress display. Their AWS twins are the Lambda handlers and
SageMaker jobs wired by the pipeline stack. The run folder holds what the AWS run holds under runs/<run id>/,
path for path (slipstream/layout.py); the jobs' own folders and a few local summaries are under layout.LOCAL_ONLY.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from typing import TYPE_CHECKING

from slipstream import dataset, job_arguments, layout, lineage
from slipstream.channel_files import write_parquet
from slipstream.contract import read_contract, write_contract
from slipstream.documents.evaluation import ImportanceSettings
from slipstream.job_commands import EVALUATION_ENTRYPOINT, TRAINING_ENTRYPOINT
from slipstream.local.experiments import staging
from slipstream.local.registry import CHAMPION, RegistrationRecord, Registry
from slipstream.local.run_report import REPORT_FILE, write_run_report
from slipstream.local.sagemaker import archive_model, run_processing_job, run_training_job
from slipstream.local.tuning_runs import read_tuning
from slipstream.model_card import render_model_card
from slipstream.sourcedir import PROJECT_ROOT, build_sourcedir
from slipstream.steps.gate import decide
from slipstream.steps.training_drift import summary_line
from slipstream.steps.validate import ValidationResult, validate_data

if TYPE_CHECKING:
    from slipstream.local.run_state import RunState

INPUT_EXAMPLE_ROWS = 5  # the MLflow model's input example: the test split's first rows
REGION = "us-east-1"  # sagemaker_region for a local job: the toolkit reads it, nothing here calls AWS


def validate(state: RunState) -> str:
    config = state.config
    existing = read_contract(config.contract_path) if config.contract_path.is_file() else None
    result = validate_data(dataset.load_dataset(config), config, existing)  # the whole frame is not kept
    for relative, part in ((layout.TRAIN_FILE, result.train), (layout.TEST_FILE, result.test)):
        write_parquet(part, state.run_dir / relative)
    state.write_json(layout.CONTRACT, result.contract.model_dump(mode="json"))
    state.write_json(layout.BASELINE, result.baseline)
    state.write_json(layout.VALIDATION, {**result.report, "source": config.data.source})
    state.write_json(layout.BEHAVIOUR, config.behaviour.model_dump(mode="json"))
    state.write_json(layout.IMPORTANCE_SETTINGS, ImportanceSettings.from_config(config).model_dump(mode="json"))
    if result.is_new_contract:
        write_contract(result.contract, config.contract_path)
    state.outputs.update(
        validation=_without_rows(result),
        data_sha256=dataset.data_sha256(config),
        contract_written=result.is_new_contract,
    )
    contract_note = "wrote a new data contract" if result.is_new_contract else "matches the data contract"
    drift_note = summary_line(result.report["training_drift"])
    return f"{result.report['rows']} rows, {len(result.contract.features)} features, {contract_note}" + (
        f"; {drift_note}" if drift_note else ""
    )


def _without_rows(result: ValidationResult) -> ValidationResult:
    """The result the later steps read: the splits are in the run folder, as on AWS, and the jobs read them
    there; holding them in this process until Register kept a copy of the data alive through Train and
    Evaluate. Register's input example (the first rows of the test split) is all that is kept, copied so
    it holds no view of the split's columns."""
    return replace(result, train=result.train.iloc[:0].copy(), test=result.test.head(INPUT_EXAMPLE_ROWS).copy())


def train(state: RunState) -> str:
    config = state.config
    # The same archive and entry as on AWS: the toolkit extracts the sourcedir itself and runs train.py.
    job = state.run_dir / layout.JOBS / "train"
    sourcedir = build_sourcedir(PROJECT_ROOT, job / "sourcedir")
    script = job_arguments.training_hyperparameters(config).decoded()
    framework = job_arguments.framework_hyperparameters(submit_directory=str(sourcedir), region=REGION)
    model_dir = run_training_job(
        job / "opt" / "ml",
        channels={"train": state.run_dir / layout.TRAIN_CHANNEL},
        hyperparameters=job_arguments.sdk_encoded({**script, **framework}),
        entrypoint=TRAINING_ENTRYPOINT,
    )
    # Where SageMaker would upload it; Evaluate reads this archive, as the processing job does on AWS.
    job_name = f"{config.name}-{state.run_id}-train"
    archive = archive_model(model_dir, state.run_dir / layout.model_archive(job_name))
    tuning = read_tuning(job / "opt" / "ml" / "output" / "data")
    state.outputs.update(model_dir=model_dir, model_archive=archive, training_job=job_name, tuning=tuning)
    trained = f"{config.model.estimator} trained on {state.outputs['validation'].report['split']['train_rows']} rows"
    return f"{trained}; {tuning.summary()}" if tuning else trained


def evaluate(state: RunState) -> str:
    config = state.config
    job = state.run_dir / layout.JOBS / "evaluate"
    job.mkdir(parents=True, exist_ok=True)
    inputs = {
        job_arguments.MODEL: state.outputs["model_archive"],
        job_arguments.TEST: state.run_dir / layout.TEST_CHANNEL,
        job_arguments.CONFIG: state.run_dir / layout.BEHAVIOUR_CONFIG,
    }
    # A project that never registered a version has no champion: MLflow (seconds of imports and store set-up)
    # is opened by Register then, so a first run stopped before it never pays for it.
    registry = Registry(config) if Registry.exists(config) else None
    champion = registry.by_alias(CHAMPION) if registry is not None else None
    if registry is not None and champion is not None:
        inputs[job_arguments.CHAMPION] = registry.download_model(champion, job / "champion")
        state.outputs["champion_version"] = champion.version
    outputs = run_processing_job(
        job / "opt" / "ml",
        entrypoint=EVALUATION_ENTRYPOINT,
        arguments=job_arguments.evaluation_arguments(champion=champion is not None),
        inputs={
            job_arguments.CODE_DIR: build_sourcedir(PROJECT_ROOT, job / "sourcedir"),
            **{job_arguments.processing_path(name): source for name, source in inputs.items()},
        },
        outputs=[job_arguments.processing_path(job_arguments.EVALUATION)],
        environment={"OMP_NUM_THREADS": "1"},
    )
    # The job's output, uploaded where the state machine's ProcessingOutput puts it.
    shutil.copytree(
        outputs[job_arguments.processing_path(job_arguments.EVALUATION)], state.run_dir / layout.EVALUATION_OUTPUT
    )
    evaluation = json.loads((state.run_dir / layout.EVALUATION).read_text(encoding="utf-8"))
    state.outputs.update(evaluation=evaluation, registry=registry)
    metric = config.gate.metric or ""
    value = evaluation["metrics"].get(metric)
    tests = evaluation.get("behaviour", {}).get("tests", [])
    passed = sum(1 for t in tests if t.get("passed"))
    shown = f"{value:.4f}" if isinstance(value, float) else value
    return f"{metric} {shown} on {evaluation.get('n_test_rows')} held-out rows, behaviour {passed}/{len(tests)} passed"


def quality_gate(state: RunState) -> str:
    decision = decide(state.outputs["evaluation"], state.config.gate, higher_is_better=state.config.higher_is_better)
    state.outputs["decision"] = decision
    state.write_json("gate.json", decision.model_dump())
    return ("passed: " if decision.passed else "REJECTED: ") + "; ".join(decision.reasons)


def register(state: RunState) -> str:
    from importlib.metadata import version

    config, outputs = state.config, state.outputs
    if outputs.get("registry") is None:
        outputs["registry"] = Registry(config)  # Evaluate found no registry to read a champion from
    validation, decision, evaluation = outputs["validation"], outputs["decision"], outputs["evaluation"]
    facts = lineage.lineage_facts(
        run_id=state.run_id,
        data_source=config.data.source,
        data_sha256=outputs["data_sha256"],
        git_commit=lineage.git_commit(config.base_dir),
        config_sha256=lineage.config_sha256(config),
        training_job=outputs["training_job"],
        estimator=config.model.estimator or "",
        gate_decision="passed" if decision.passed else "rejected",
        gate_baseline=decision.baseline_figures,
        gate_champion=decision.champion_figures,
    )
    tags = {**facts, **lineage.gate_detail_tags(decision)}
    staged = staging(config, passed=decision.passed, registry=outputs["registry"])
    card = render_model_card(
        config,
        evaluation=evaluation,
        decision=decision,
        contract=validation.contract.model_dump(mode="json"),
        lineage=tags,
        report=validation.report,
        not_staged=staged.reason if staged.role == "refused" else None,
        tuning=outputs.get("tuning"),
    )
    record = RegistrationRecord(
        run_id=state.run_id,
        model_dir=outputs["model_dir"],
        estimator=config.model.estimator or "",
        params={**config.model.params, **(outputs["tuning"].best.params if outputs.get("tuning") else {})},
        metrics={k: float(v) for k, v in evaluation["metrics"].items() if isinstance(v, int | float)},
        champion_metrics=evaluation.get("champion_metrics"),
        evaluation=evaluation,
        gate=decision.model_dump(),
        passed=decision.passed,
        staging=staged,
        validation_report=validation.report,
        contract=validation.contract.model_dump(mode="json"),
        baseline=validation.baseline,
        model_card=card,
        tags=tags,
        input_example=validation.test.drop(columns=[config.data.target]).head(INPUT_EXAMPLE_ROWS),
        # The image's pins come from the image itself (registry_model.py); loading needs MLflow beside them.
        pip_requirements=[f"mlflow-skinny=={version('mlflow-skinny')}"],
        tuning=outputs.get("tuning"),
    )
    info = outputs["registry"].register(record)
    (state.run_dir / "model_card.md").write_text(card, encoding="utf-8")
    title = f"{config.name} version {info.version} (run {state.run_id})"
    write_run_report(state.run_dir / REPORT_FILE, title=title, evaluation=evaluation, decision=decision)
    outputs.update(version=info, staging=record.staging)
    return f"{config.name} version {info.version} registered; {ROLES[record.staging.role]}"


ROLES = {
    "champion": "it is the champion",
    "challenger": "staged as the challenger (`slipstream experiment status`)",
    "none": "not staged (rejected; the champion is unchanged)",
    "refused": "NOT staged: an experiment is running",
}
