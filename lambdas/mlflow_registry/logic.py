"""MLflow on AWS: the registered package as an MLflow model version with the local registry's tags
(slipstream/lineage.py), and the `champion` alias once it serves, as `slipstream run` does locally.

A failure here never fails the run: the package, the endpoint and the deployment record are what serve. Each
call is retried (transient errors only: MLflow's 5xx/429, a refused connection, SageMaker throttling or 5xx while
reading a tuning job); then the package is marked `mlflow: failed` and the result says `failed`, on which the
state machine notifies. Re-running a step finds the version by its run id (idempotent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.mlflow_registry.rest import MlflowError, MlflowRest
from lambdas.mlflow_registry.trials import log_search
from slipstream.config import Config
from slipstream.documents.mlflow import MlflowRequest, MlflowResult
from slipstream.lineage import RUN_ID, gate_detail_tags, lineage_facts
from slipstream.tuning_job import read_tuning_job

ATTEMPTS = 3
CHAMPION, CHALLENGER = "champion", "challenger"
STAGING_REASONS = {
    "champion": "passed; deployed as the champion once its smoke test passes",
    "none": "rejected by the quality gate: it never takes an alias",
}
FAILED_KEY = "mlflow"  # CustomerMetadataProperties key marking a package MLflow does not have


def handle(
    request: MlflowRequest, config: Config, *, rest: MlflowRest, sagemaker: Any, sleep: Callable = time.sleep
) -> MlflowResult:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _act(request, config, rest, sagemaker)
        except (MlflowError, OSError, BotoCoreError, ClientError) as error:
            if attempt == ATTEMPTS or not _transient(error):
                sagemaker.update_model_package(
                    ModelPackageArn=request.model_package_arn, CustomerMetadataProperties={FAILED_KEY: "failed"}
                )
                return MlflowResult(status="failed", error=str(error)[:1000])
            sleep(2**attempt)
    raise AssertionError("unreachable")


def tags(request: MlflowRequest, config: Config) -> dict[str, str]:
    """The local registry's tags for this version (slipstream/local/steps.py register), from the AWS run."""
    sources, decision = request.lineage, request.gate
    facts = lineage_facts(
        run_id=request.run_id,
        data_source=sources.data_uri,
        data_sha256=sources.data_sha256,
        git_commit=sources.git_commit,
        config_sha256=sources.config_sha256,
        training_job=sources.training_job,
        estimator=config.model.estimator or "",
        gate_decision="passed" if request.staging == "champion" else "rejected",
        gate_baseline=decision.baseline_figures,
        gate_champion=decision.champion_figures,
    )
    staging = {"staging": request.staging, "staging.reason": STAGING_REASONS[request.staging]}
    return {**facts, **gate_detail_tags(decision), **staging, "sagemaker.model_package": request.model_package_arn}


def _act(request: MlflowRequest, config: Config, rest: MlflowRest, sagemaker: Any) -> MlflowResult:
    name = config.name
    version = _version_of(rest, name, request.run_id)
    if request.action == "register":
        if version:
            return MlflowResult(status="registered", version=version)
        run = _search_run(request, config, rest, sagemaker)
        return MlflowResult(status="registered", version=_create(rest, name, request, config, run))
    if version is None:
        raise MlflowError(404, "RESOURCE_DOES_NOT_EXIST", f"no version of {name} for run {request.run_id}")
    rest.call("POST", "registered-models/alias", {"name": name, "alias": CHAMPION, "version": version})
    try:  # a new champion unstages the challenger, as locally
        rest.call("DELETE", "registered-models/alias", {"name": name, "alias": CHALLENGER})
    except MlflowError as error:
        if error.status != 404:
            raise
    return MlflowResult(status="aliased", version=version)


def _search_run(request: MlflowRequest, config: Config, rest: MlflowRest, sagemaker: Any) -> str | None:
    """With [tuning]: the model's run, its trials as child runs (trials.py), for the version to name."""
    job = request.lineage.tuning_job
    if not job:
        return None
    return log_search(rest, config, run_id=request.run_id, tuning=read_tuning_job(sagemaker, job))


def _create(rest: MlflowRest, name: str, request: MlflowRequest, config: Config, run: str | None) -> str:
    try:
        rest.call("POST", "registered-models/create", {"name": name})
    except MlflowError as error:
        if error.code != "RESOURCE_ALREADY_EXISTS":
            raise
    body = {
        "name": name,
        "source": request.source,
        "tags": [{"key": k, "value": v} for k, v in tags(request, config).items()],
        "description": f"Slipstream run {request.run_id}: SageMaker model package {request.model_package_arn}",
        **({"run_id": run} if run else {}),
    }
    return str(rest.call("POST", "model-versions/create", body)["model_version"]["version"])


def _version_of(rest: MlflowRest, name: str, run_id: str) -> str | None:
    """The version registered for this run, if an earlier attempt got that far."""
    token = None
    while True:
        page = {"filter": f"name='{name}'", "max_results": 200, **({"page_token": token} if token else {})}
        try:
            found = rest.call("GET", "model-versions/search", page)
        except MlflowError as error:
            if error.code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        for version in found.get("model_versions", []):
            if {t["key"]: t.get("value") for t in version.get("tags", [])}.get(RUN_ID) == run_id:
                return str(version["version"])
        token = found.get("next_page_token")
        if not token:
            return None


_THROTTLED = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}


def _transient(error: Exception) -> bool:
    if isinstance(error, MlflowError):
        return error.status >= 500 or error.status == 429
    if isinstance(error, ClientError):  # e.g. AccessDenied or a missing tuning job will not change on a retry
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.response.get("Error", {}).get("Code") in _THROTTLED or status >= 500
    return True  # a connection refused or reset, a timeout
