"""What `slipstream serve` will host: registry aliases -> model folders, the deployment record, the API's env.

The deployment record (`<state>/serving/deployment.json`, slipstream/documents/deployment.py) is the document
the predict Lambda reads from DEPLOYMENT_URI: which version each variant runs, its gate decision, metrics and
model card. On AWS the RecordDeployment Lambda writes the same document to S3 (docs/serving.md).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstream import layout
from slipstream.config import Config
from slipstream.documents.deployment import DeploymentRecord, VariantRecord
from slipstream.errors import SlipstreamError
from slipstream.local import image_zygote
from slipstream.local.serving.httpbase import LOOPBACK
from slipstream.model_card import importance_of
from slipstream.sourcedir import extract_sourcedir

REPO_ROOT = Path(__file__).resolve().parents[3]
DEPLOYMENT_FILE = layout.LOCAL_DEPLOYMENT_FILE  # in <state>/serving/


@dataclass(frozen=True)
class ServePlan:
    config: Config
    host: str
    port: int
    endpoint_port: int
    folder: Path  # <state>/serving
    endpoint_spec: Path  # {endpoint name: {model_dir, code_dir, version, max_concurrency}} for endpoint_server
    deployment: DeploymentRecord
    api_env: dict[str, str]  # the predict Lambda's environment (lambdas/predict/env.py)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def endpoint_names(config: Config) -> dict[str, str]:
    return {variant: f"{config.name}-{variant}" for variant in ("champion", "challenger")}


def variant_record(
    details: dict[str, Any], endpoint: str, model_card: str | None, evaluation: dict[str, Any] | None = None
) -> VariantRecord:
    """A registered version (VersionInfo.as_dict()) as the deployment record names it, with the importance of
    its evaluation.json. No baseline_uri: `slipstream monitor` reads each version's baseline from the registry."""
    keep = ("version", "metrics", "gate", "registered_at", "data_sha256", "git_commit", "run_id")
    importance = importance_of(evaluation or {})
    return VariantRecord(
        endpoint=endpoint, model_card=model_card, importance=importance, **{k: details[k] for k in keep}
    )


def _version_record(registry: Any, info: Any, endpoint: str) -> VariantRecord:
    card = registry.client.get_model_version(registry.name, info.version).description or None
    return variant_record(info.as_dict(), endpoint, card, registry.evaluation(info))


def build_plan(config: Config, *, host: str, port: int, endpoint_port: int) -> ServePlan:
    from slipstream.local.registry import CHALLENGER, CHAMPION, Registry  # MLflow: only once serving really starts

    registry = Registry(config)
    champion = registry.by_alias(CHAMPION)
    if champion is None:
        raise SlipstreamError(f"no champion for {config.name!r} yet: run `slipstream run` first")
    challenger = registry.by_alias(CHALLENGER)
    # A challenger gets traffic only when it passed the gate, differs from the champion and has a weight or a
    # shadow share.
    if challenger is not None and (
        challenger.tags.get("gate.decision") != "passed"
        or challenger.version == champion.version
        or (config.challenger_weight <= 0 and config.experiment.shadow_share <= 0)
    ):
        challenger = None
    folder = config.state_path / "serving"
    # The submit directory the endpoints import inference.py from: this repository's sourcedir, as the stack's
    # CreateModel names its sourcedir asset (not the copy inside the model archive).
    code_dir = extract_sourcedir(folder / "sourcedir")
    max_concurrency = config.stage("dev").serverless_max_concurrency
    names = endpoint_names(config)
    spec: dict[str, Any] = {}
    variants: dict[str, VariantRecord] = {}
    for variant, info in (("champion", champion), ("challenger", challenger)):
        if info is None:
            continue
        checksums = registry.checksums(info)
        model_dir = served_copy(registry, info, folder / "models", checksums)
        spec[names[variant]] = {
            "model_dir": str(model_dir),
            "code_dir": str(code_dir),
            "version": info.version,
            "max_concurrency": max_concurrency,
            "sha256": checksums,  # the endpoint server checks them again when it loads the model
        }
        variants[variant] = _version_record(registry, info, names[variant])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "endpoints.json").write_text(json.dumps(spec, indent=2), encoding="utf-8")
    deployment = DeploymentRecord.model_validate(variants)
    if challenger is not None and config.gate.promote == "canary":  # the record says it is a canary, and since when
        from slipstream.local.canary import canary_record

        deployment = deployment.model_copy(update={"canary": canary_record(config, challenger.version)})
    (folder / DEPLOYMENT_FILE).write_text(deployment.to_json(), encoding="utf-8")
    env = api_env(config, folder, names if challenger else {"champion": names["champion"]}, endpoint_port)
    return ServePlan(config, host, port, endpoint_port, folder, folder / "endpoints.json", deployment, env)


def served_copy(registry: Any, info: Any, models: Path, checksums: dict[str, str]) -> Path:
    """The version's model folder in the serving cache, copied from the registry once (versions are immutable)
    and again whenever a cached file no longer matches the SHA-256 recorded at registration. The copy is made
    beside the cache and renamed into place, so an interrupted copy is never mistaken for a good one."""
    from slipstream.local.model_checksums import mismatches
    from slipstream.local.registry import SAGEMAKER_ARTIFACTS

    cached = models / f"v{info.version}"
    model_dir = cached / SAGEMAKER_ARTIFACTS
    # Versions registered before checksums were recorded have none: a complete-looking copy is trusted.
    if (model_dir / "model.joblib").is_file() and not mismatches(model_dir, checksums):
        return model_dir
    partial = models / f"v{info.version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    downloaded = registry.download_model(info, partial)  # checked there against the same record
    shutil.rmtree(cached, ignore_errors=True)
    partial.rename(cached)
    return cached / downloaded.relative_to(partial)


def api_env(config: Config, folder: Path, endpoints: dict[str, str], endpoint_port: int) -> dict[str, str]:
    """The variables the serving stack sets on the predict Lambda, with local values."""
    serving = config.serving
    env = {
        "POWERTOOLS_SERVICE_NAME": f"{config.name}-predict",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon on a laptop
        "CONTRACT_URI": config.contract_path.as_uri(),
        "DEPLOYMENT_URI": (folder / DEPLOYMENT_FILE).as_uri(),
        "DEPLOYMENT_TTL_SECONDS": "5",
        "CHAMPION_ENDPOINT": endpoints["champion"],
        "CHALLENGER_WEIGHT": str(config.challenger_weight),
        "CALLER_HEADER": serving.caller_header,
        "MAX_ROWS": str(serving.max_rows),
        "MAX_BODY_BYTES": str(serving.max_body_bytes),
        "FEEDBACK_PATH": str(folder / "feedback.jsonl"),
        "ISSUED_PATH": str(folder / "issued.sqlite"),
        "ISSUED_RETENTION_DAYS": str(config.stage("dev").capture_retention_days),
        "JSONL_RETENTION_DAYS": str(config.stage("dev").capture_retention_days),  # as the S3 lifecycle on AWS
        "SAGEMAKER_RUNTIME_ENDPOINT_URL": f"http://{LOOPBACK}:{endpoint_port}",
    }
    if "challenger" in endpoints:
        env["CHALLENGER_ENDPOINT"] = endpoints["challenger"]
        env["SHADOW_SHARE"] = str(config.experiment.shadow_share)
    if serving.capture:
        env["CAPTURE_PATH"] = str(folder / "capture" / "predictions.jsonl")
    return env


def follow_experiment(config: Config, outcome: str, challenger_version: str) -> bool:
    """After a promote or stop: rewrite the deployment record a running `slipstream serve` reads (within its
    DEPLOYMENT_TTL_SECONDS), so traffic follows at once. A promoted challenger keeps serving from the endpoint
    that already hosts it, now as the champion; the next `slipstream serve` moves it to the champion's endpoint.
    False when serve never hosted that challenger: the record is left as it is, and the next serve follows."""
    path = config.state_path / "serving" / DEPLOYMENT_FILE
    if not path.is_file():
        return False
    current = DeploymentRecord.model_validate_json(path.read_text(encoding="utf-8"))
    if current.challenger is None or current.challenger.version != challenger_version:
        return False
    champion = current.challenger if outcome == "promoted" else current.champion
    path.write_text(DeploymentRecord(champion=champion, challenger=None).to_json(), encoding="utf-8")
    return True


def process_env(extra: dict[str, str]) -> dict[str, str]:
    """os.environ for a child: the repository importable, one OpenMP thread, and credentials botocore can sign
    with (the local endpoint ignores them; real ones from the user's shell are left as they are). No lent zygotes
    (image_zygote.LENT): a server's model containers stay in its own process tree, which it supervises."""
    env = {**os.environ, **extra, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop(image_zygote.LENT, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if not env.get("AWS_ACCESS_KEY_ID"):
        env.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    return env
