"""The model card on a model package: moto drops CreateModelPackage's and UpdateModelPackage's `ModelCard` and
DescribeModelPackage returns none. Here the card is checked as SageMaker does (the content against the model
package model card schema: slipstream/local/strict/model_packages.py), kept on the package and described."""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import ModelPackage
from moto.sagemaker.responses import SageMakerResponse

from slipstream.local.strict import model_packages


def _checked(response: Any) -> dict[str, Any] | None:
    card = response._get_param("ModelCard")
    refusal = model_packages.model_card_error(card)
    if refusal:
        raise ValidationError(message=refusal)
    return card


def _cards_are_kept() -> None:
    create, update = SageMakerResponse.create_model_package, SageMakerResponse.update_model_package

    def create_model_package(self):  # type: ignore[no-untyped-def]
        card = _checked(self)
        result = create(self)
        # The backend keeps packages in creation order: the last is the one just created.
        package = list(self.sagemaker_backend.model_packages.values())[-1]
        package.model_card = card
        return result

    def update_model_package(self):  # type: ignore[no-untyped-def]
        card = _checked(self)
        package = self.sagemaker_backend.describe_model_package(self._get_param("ModelPackageArn"))
        result = update(self)
        if card is not None:  # SageMaker keeps the card when an update sends none
            package.model_card = card
        return result

    SageMakerResponse.create_model_package = create_model_package
    SageMakerResponse.update_model_package = update_model_package


def _cards_are_described() -> None:
    original = ModelPackage.gen_response_object

    def gen_response_object(self):  # type: ignore[no-untyped-def]
        described = {k: v for k, v in original(self).items() if k != "ModelCard"}
        card = getattr(self, "model_card", None)
        return {**described, "ModelCard": card} if card else described

    ModelPackage.gen_response_object = gen_response_object


def patch() -> None:
    _cards_are_kept()
    _cards_are_described()
