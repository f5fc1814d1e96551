"""Only an Approved version of a model package group may be deployed, as SageMaker rules.

botocore's CreateModelPackage documentation (sagemaker 2017-07-24, ModelApprovalStatus): "For versioned models,
the value of this parameter must be set to Approved to deploy the model." The Model Registry guide says the
same ("After you register a model version and approve it for deployment, deploy it"). moto creates a model
from any package; the emulation refuses CreateModel from a versioned package that is not Approved.
Unversioned packages (no group, e.g. AWS Marketplace) carry no approval status and are not checked.
"""

from __future__ import annotations

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
