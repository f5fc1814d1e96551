"""Register: MLflow tracking + model registry (SQLite and a local artifact folder by default).

Every evaluated model becomes a version, with its gate decision and its staging as tags, so the registry is
the audit trail. Aliases carry the decisions: `champion` is the version serving everyone; `challenger` is a
passing version staged for an experiment (slipstream/local/experiments.py decides who may take it, and a
rejected version never does). Serving and the next run's champion comparison read the aliases, never "latest".
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from slipstream import layout
from slipstream.config import Config
from slipstream.documents.tuning import TuningRecord
from slipstream.local import fault_points
from slipstream.local.mlflow_template import seed_database
from slipstream.local.model_checksums import file_checksums, verify
from slipstream.local.registry_model import log_sklearn_model
from slipstream.local.tuning_runs import TUNING_FILE, log_trials

CHAMPION, CHALLENGER = "champion", "challenger"
STAGING_TAG, STAGING_REASON_TAG = "staging", "staging.reason"
# What registration did with a version: made it the champion or the challenger, nothing (the gate rejected it),
# or nothing because an experiment was running (it passed; docs/experiments.md#one-experiment-at-a-time).
Role = Literal["champion", "challenger", "none", "refused"]
SAGEMAKER_ARTIFACTS = "sagemaker-model"  # the SageMaker layout (model.joblib, metadata.json, code/) of a version
CHECKSUMS = "sagemaker-model.sha256.json"  # {path inside SAGEMAKER_ARTIFACTS: SHA-256}, recorded at registration
# On the MLflow run: "pending" from its start until the version is complete (tags, card, alias), then "complete";
# "incomplete" once a later run found it interrupted (registry_repair.py). Runs from before this tag: complete.
REGISTRATION_TAG = "slipstream.registration"


@dataclass(frozen=True)
class VersionInfo:
    """What `slipstream status` and the runner need to know about one registered version."""

    version: str
    run_id: str
    metrics: dict[str, float]
    tags: dict[str, str]
    created_at: int  # ms since epoch, as MLflow stores it
    aliases: list[str] = field(default_factory=list)
    registration: str = "complete"  # REGISTRATION_TAG of its run

    @property
    def complete(self) -> bool:
        return self.registration == "complete"

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "metrics": self.metrics,
            "gate": self.tags.get("gate.decision"),
            "gate_reasons": json.loads(self.tags.get("gate.reasons", "[]")),
            "gate_figures": json.loads(self.tags.get("gate.figures", "{}")),
            "registered_at": datetime.fromtimestamp(self.created_at / 1000, tz=UTC).isoformat(),
            "data_source": self.tags.get("data.source"),
            "data_sha256": self.tags.get("data.sha256"),
            "git_commit": self.tags.get("git.commit"),
            "mlflow_run_id": self.run_id,
            "run_id": self.tags.get("slipstream.run_id"),
            "aliases": self.aliases,
            "registration": self.registration,
            "staging": self.tags.get(STAGING_TAG),
            "staging_reason": self.tags.get(STAGING_REASON_TAG),
            "experiment": {
                k.removeprefix("experiment."): v for k, v in self.tags.items() if k.startswith("experiment.")
            }
            or None,
        }


@dataclass(frozen=True)
class Staging:
    """Which alias a newly registered version takes, and why (kept as tags on the version)."""

    role: Role
    reason: str


class Registry:
    def __init__(self, config: Config) -> None:
        # Imported here: MLflow takes ~1 s to import and most CLI paths (help, config errors) never need it.
        import mlflow
        from mlflow import MlflowClient

        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        logging.getLogger("mlflow").setLevel(logging.ERROR)  # its INFO/WARNING lines would break the step display
        logging.getLogger("alembic").setLevel(logging.WARNING)
        self._mlflow = mlflow
        self.config = config
        self.name = config.name
        config.state_path.mkdir(parents=True, exist_ok=True)
        seed_database(config.tracking_uri)  # a new project's store without running every MLflow migration
        mlflow.set_tracking_uri(config.tracking_uri)
        mlflow.set_registry_uri(config.tracking_uri)
        self.client = MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.tracking_uri)
        self.active_run_id: str | None = None  # the MLflow run register() opened, for an interrupted run's report

    @staticmethod
    def exists(config: Config) -> bool:
        """False only when the default SQLite registry has never been written (any other URI: assume yes)."""
        uri = config.tracking_uri
        return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).is_file()

    # --- reading ---------------------------------------------------------------------------------------------
    def by_alias(self, alias: str) -> VersionInfo | None:
        from mlflow.exceptions import MlflowException

        try:
            version = self.client.get_model_version_by_alias(self.name, alias)
        except MlflowException:
            return None  # no registered model yet, or the alias is not set
        return self._info(version)

    def by_version(self, version: str) -> VersionInfo | None:
        from mlflow.exceptions import MlflowException

        try:
            return self._info(self.client.get_model_version(self.name, version))
        except MlflowException:
            return None

    def latest(self) -> VersionInfo | None:
        """The newest complete version whatever became of it (the audit trail's last entry), for `slipstream
        status`; one still being registered, or left half-registered by a killed run, is not shown."""
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.search_model_versions(
                f"name = '{self.name}'", max_results=20, order_by=["version_number DESC"]
            )
        except MlflowException:
            return None
        for version in found:
            info = self.by_version(str(version.version))
            if info is not None and info.complete:
                return info
        return None

    def _info(self, version: Any) -> VersionInfo | None:
        if version.run_id is None:
            return None  # registered by hand outside a run: not one of ours
        run = self.client.get_run(version.run_id)
        # Search results may leave aliases out; the single-version read has them.
        aliases = list(version.aliases or self.client.get_model_version(self.name, version.version).aliases)
        return VersionInfo(
            version=str(version.version),
            run_id=version.run_id,
            # champion_* metrics are the comparison logged beside the run, not this version's own figures.
            metrics={k: v for k, v in run.data.metrics.items() if not k.startswith("champion_")},
            tags=dict(version.tags),
            created_at=int(version.creation_timestamp),
            aliases=aliases,
            registration=run.data.tags.get(REGISTRATION_TAG, "complete"),
        )

    # --- aliases and tags (the decisions) --------------------------------------------------------------------
    def set_alias(self, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(self.name, alias, version)

    def delete_alias(self, alias: str) -> None:
        from mlflow.exceptions import MlflowException

        with contextlib.suppress(MlflowException):  # not set: nothing to remove
            self.client.delete_registered_model_alias(self.name, alias)

    def set_tags(self, version: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, version, key, value)

    def download_model(self, info: VersionInfo, dest: Path) -> Path:
        """The version's SageMaker-layout model folder (what an endpoint serves), copied under `dest` and checked
        against the SHA-256 recorded at registration (ModelTampered naming the version and file if it differs)."""
        dest.mkdir(parents=True, exist_ok=True)
        path = Path(
            self._mlflow.artifacts.download_artifacts(
                run_id=info.run_id, artifact_path=SAGEMAKER_ARTIFACTS, dst_path=str(dest)
            )
        )
        # The registry's own copy damaged: nothing to re-copy from, so refuse rather than serve or compare it.
        verify(path, self.checksums(info), version=info.version)
        return path

    def checksums(self, info: VersionInfo) -> dict[str, str]:
        """The SHA-256 of every file of the version's model folder, as registered (empty for older versions)."""
        from mlflow.exceptions import MlflowException

        try:
            recorded = self._mlflow.artifacts.load_dict(f"runs:/{info.run_id}/{CHECKSUMS}")
        except (MlflowException, OSError):
            return {}
        return {str(k): str(v) for k, v in recorded.items()}

    def evaluation(self, info: VersionInfo) -> dict[str, Any]:
        """The evaluation.json the version was registered with (empty for a run that logged none)."""
        from mlflow.exceptions import MlflowException

        try:
            return dict(self._mlflow.artifacts.load_dict(f"runs:/{info.run_id}/{layout.EVALUATION_FILE}"))
        except (MlflowException, OSError):
            return {}

    # --- writing ---------------------------------------------------------------------------------------------
    def _experiment_id(self) -> str:
        experiment = self.client.get_experiment_by_name(self.config.experiment_name)
        if experiment is not None:
            return str(experiment.experiment_id)
        # Without an explicit location MLflow would write artifacts to ./mlruns of whatever the CWD is.
        artifacts = (self.config.state_path / "mlartifacts").resolve()
        return str(self.client.create_experiment(self.config.experiment_name, artifact_location=artifacts.as_uri()))

    def register(self, record: RegistrationRecord) -> VersionInfo:
        """Log the run and the model, register a version, move the alias its staging names (if any).

        The run is tagged pending first and complete last, so a kill anywhere in between leaves a version the
        next run finds and marks (registry_repair.py), and that `status` never shows as the newest."""
        mlflow = self._mlflow
        with mlflow.start_run(
            experiment_id=self._experiment_id(), run_name=record.run_id, tags={REGISTRATION_TAG: "pending"}
        ) as run:
            self.active_run_id = run.info.run_id
            fault_points.reached("run-started")
            mlflow.log_params({"estimator": record.estimator, **_flatten("param", record.params)})
            mlflow.log_metrics(record.metrics)
            champion = {f"champion_{k}": v for k, v in (record.champion_metrics or {}).items() if _is_number(v)}
            mlflow.log_metrics(champion)
            mlflow.set_tags(record.tags)
            # The run folder's names (slipstream/layout.py), so a document has one name wherever it is kept.
            mlflow.log_dict(record.evaluation, layout.EVALUATION_FILE)
            mlflow.log_dict(record.gate, "gate.json")
            mlflow.log_dict(record.validation_report, layout.VALIDATION)
            mlflow.log_dict(record.contract, layout.CONTRACT)
            mlflow.log_dict(record.baseline, layout.BASELINE)
            mlflow.log_text(record.model_card, "model_card.md")
            mlflow.log_dict(file_checksums(record.model_dir), CHECKSUMS)
            mlflow.log_artifacts(str(record.model_dir), SAGEMAKER_ARTIFACTS)
            if record.tuning is not None:
                mlflow.log_dict(record.tuning.model_dump(mode="json"), TUNING_FILE)
                mlflow.log_metric(f"tuning_cv_{record.tuning.metric}", record.tuning.best.score)
                log_trials(
                    self.client, experiment_id=run.info.experiment_id, parent_run_id=run.info.run_id,
                    run_name=record.run_id, tuning=record.tuning,
                )  # fmt: skip
            # MLflow prints registration chatter straight to the terminal; the step display says it better.
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                model_info = log_sklearn_model(
                    mlflow, record.model_dir, record.input_example, self.name, record.pip_requirements
                )
            fault_points.reached("version-created")  # the version exists, untagged, its run still RUNNING
        version = str(model_info.registered_model_version)
        staging = record.staging
        self.set_tags(version, {**record.tags, STAGING_TAG: staging.role, STAGING_REASON_TAG: staging.reason})
        self.client.update_model_version(self.name, version, description=record.model_card)
        fault_points.reached("version-tagged")
        if staging.role == CHAMPION:
            # A passing champion ends no experiment (none runs, or it would have been refused): a challenger
            # staged without traffic is older than the new champion and is unstaged.
            self.set_alias(CHAMPION, version)
            self.delete_alias(CHALLENGER)
        elif staging.role == CHALLENGER:
            self.set_alias(CHALLENGER, version)
        self.client.set_tag(run.info.run_id, REGISTRATION_TAG, "complete")
        info = self.by_version(version)
        assert info is not None and info.run_id == run.info.run_id
        return info


@dataclass(frozen=True)
class RegistrationRecord:
    """Everything one run hands to the registry; built by the runner from the step outputs."""

    run_id: str
    model_dir: Path
    estimator: str
    params: dict[str, Any]
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    evaluation: dict[str, Any]
    gate: dict[str, Any]
    passed: bool
    staging: Staging  # slipstream/local/experiments.py staging()
    validation_report: dict[str, Any]
    contract: dict[str, Any]
    baseline: dict[str, Any]
    model_card: str
    tags: dict[str, str]
    input_example: Any
    pip_requirements: list[str]  # besides the image's own pins, which the model's environment always lists
    tuning: TuningRecord | None = None  # the training job's search: a child run per trial (tuning_runs.py)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _flatten(prefix: str, params: dict[str, Any]) -> dict[str, str]:
    return {f"{prefix}.{k}": json.dumps(v) if not isinstance(v, str) else v for k, v in params.items()}
