"""Only an Approved version of a model package group may be deployed, as SageMaker rules.

botocore's CreateModelPackage documentation (sagemaker 2017-07-24, ModelApprovalStatus): "For versioned models,
the value of this parameter must be set to Approved to deploy the model." The Model Registry guide says the
same ("After you register a model version and approve it for deployment, deploy it"). moto creates a model
from any package; the emulation refuses CreateModel from a versioned package that is not Approved.
Unversioned packages (no group, e.g. AWS Marketplace) carry no approval status and are not checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

APPROVED = "Approved"
# package ARN or name -> (its group or None, its approval status or None)
Lookup = Callable[[str], tuple[str | None, str | None]]


def unapproved_package(containers: Iterable[dict[str, Any] | None], lookup: Lookup) -> str | None:
    """The ValidationException message for the first container naming a versioned package that is not
    Approved, or None when CreateModel may go ahead."""
    for container in containers:
        name = (container or {}).get("ModelPackageName")
        if not name:
            continue
        group, status = lookup(name)
        if group and status != APPROVED:
            return (
                f"Model package {name} has ModelApprovalStatus {status}: a versioned model package must be "
                f"{APPROVED} before a model can be created from it."
            )
    return None


# The model package model card schema's sections (botocore's ModelPackageModelCard documentation: the model card
# JSON schema less `model_package_details`, with `model_overview` limited to `model_creator` and `model_artifact`).
CARD_SECTIONS = frozenset(
    {
        "model_overview",
        "intended_uses",
        "business_details",
        "training_details",
        "evaluation_details",
        "additional_information",
    }
)
CARD_OVERVIEW = frozenset({"model_creator", "model_artifact"})
RISK_RATINGS = frozenset({"High", "Medium", "Low", "Unknown"})
METRIC_TYPES = frozenset({"number", "linear_graph", "string", "boolean", "matrix", "bar_chart"})


def model_card_error(card: dict[str, Any] | None) -> str | None:
    """The ValidationException message for a ModelCard whose content does not follow the model package model card
    schema (botocore checks only its length and the status), or None. The status and length are botocore's."""
    if not card or "ModelCardContent" not in card:
        return None
    try:
        content = json.loads(card["ModelCardContent"])
    except (TypeError, ValueError) as error:
        return f"ModelCard.ModelCardContent is not valid JSON: {error}"
    if not isinstance(content, dict):
        return "ModelCard.ModelCardContent must be a JSON object"
    unknown = sorted(set(content) - CARD_SECTIONS)
    if unknown:
        return f"ModelCard.ModelCardContent has properties the model package card schema does not allow: {unknown}"
    return _overview_error(content.get("model_overview") or {}) or _sections_error(content)


def _overview_error(overview: dict[str, Any]) -> str | None:
    unknown = sorted(set(overview) - CARD_OVERVIEW)
    if unknown:
        return f"ModelCard model_overview of a model package allows only {sorted(CARD_OVERVIEW)}, not {unknown}"
    return None


def _sections_error(content: dict[str, Any]) -> str | None:
    rating = (content.get("intended_uses") or {}).get("risk_rating")
    if rating is not None and rating not in RISK_RATINGS:
        return f"ModelCard intended_uses.risk_rating {rating!r} is not one of {sorted(RISK_RATINGS)}"
    for evaluation in content.get("evaluation_details") or []:
        if not evaluation.get("name"):
            return "ModelCard evaluation_details[] needs a name"
        for group in evaluation.get("metric_groups") or []:
            for metric in group.get("metric_data") or []:
                if metric.get("type") not in METRIC_TYPES or "value" not in metric or not metric.get("name"):
                    return f"ModelCard metric {metric!r} needs a name, a value and a type in {sorted(METRIC_TYPES)}"
    return None
