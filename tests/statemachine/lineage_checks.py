"""What every model package carries on the emulated account, rejected ones too (docs/lineage.md): the lineage
facts under the local registry's names, SageMaker's MetadataProperties and a model card whose content follows
the model package card schema, with the status the package's approval implies."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from slipstream import lineage
from slipstream.config import Config
from slipstream.local.strict.model_packages import model_card_error

CARD_STATUS = {"Rejected": "Draft", "PendingManualApproval": "PendingReview", "Approved": "Approved"}
SECTIONS = {"model_overview", "intended_uses", "training_details", "evaluation_details", "additional_information"}
SAME_ON_BOTH = (lineage.RUN_ID, lineage.DATA_SHA256, lineage.GIT_COMMIT, lineage.CONFIG_SHA256)
SAME_ON_BOTH += (lineage.TRAINING_JOB, lineage.ESTIMATOR)


def assert_package_lineage(package: dict[str, Any], config: Config, run_id: str) -> dict[str, Any]:
    """Returns the parsed model card content for scenario-specific checks."""
    metadata = package["CustomerMetadataProperties"]
    assert metadata[lineage.RUN_ID] == run_id
    assert_a_commit_of(config, metadata[lineage.GIT_COMMIT])
    assert metadata[lineage.CONFIG_SHA256] == lineage.config_sha256(config)
    assert len(metadata[lineage.DATA_SHA256]) == 64 and metadata[lineage.DATA_SOURCE].startswith("s3://")
    assert metadata[lineage.TRAINING_JOB].endswith(f"{run_id}-train")
    assert metadata[lineage.ESTIMATOR] == config.model.estimator
    assert package["MetadataProperties"]["CommitId"] == metadata[lineage.GIT_COMMIT]
    assert package["MetadataProperties"]["GeneratedBy"] == metadata[lineage.TRAINING_JOB]
    baseline = package["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    assert baseline.endswith("/baseline.json") and f"/{run_id}/" in baseline
    card = package["ModelCard"]
    assert card["ModelCardStatus"] == CARD_STATUS[package["ModelApprovalStatus"]]
    assert model_card_error(card) is None
    content = json.loads(card["ModelCardContent"])
    assert set(content) == SECTIONS
    details = content["additional_information"]["custom_details"]
    assert {k: details[k] for k in SAME_ON_BOTH} == {k: metadata[k] for k in SAME_ON_BOTH}
    evaluated = content["evaluation_details"][0]
    for key in (lineage.GATE_DECISION, lineage.GATE_BASELINE, lineage.GATE_CHAMPION):
        assert evaluated["metadata"][key] == metadata[key], key
    groups = {g["name"]: {m["name"]: m["value"] for m in g["metric_data"]} for g in evaluated["metric_groups"]}
    assert groups["quality gate"]["passed"] is (metadata[lineage.GATE_DECISION] == "passed")
    assert groups["held-out metrics"][config.gate.metric] > 0
    assert content["model_overview"]["model_artifact"][0].endswith("/output/model.tar.gz")
    return content


def assert_a_commit_of(config: Config, version: str) -> None:
    """The commit of the project's checkout when the app was synthesized (`-dirty`: with changes): one in its
    history, since the checkout may have moved on since."""
    commit = version.removesuffix("-dirty")
    assert len(commit) == 40, version
    found = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=config.base_dir, check=False)
    assert found.returncode == 0, f"{version} is no commit of {config.base_dir}"
