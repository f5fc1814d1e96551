"""Request and response models of the prediction API; the request models are derived from the data contract.

Only pydantic: slipstream.contract needs pandas, which the predict Lambda must not carry, so the contract
file is read here through a lenient mirror of its fields (extra keys ignored).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictInt, StrictStr, create_model

from slipstream.documents.deployment import VariantRecord

# A JSON number (never a string or a boolean; integers are fine), finite: NaN/Infinity are refused by name.
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
# Categories are text, as in training and in the contract's `categories` (send "1", not 1).
Category = StrictStr
REQUEST_ID = r"^[A-Za-z0-9._:-]{1,128}$"
OUTLANDISH = 1000  # how many training ranges beyond the contract's min/max a number may lie


class ContractFeature(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str
    kind: Literal["numeric", "categorical"]
    min: float | None = None
    max: float | None = None
    categories: list[str] | None = None


class ServingContract(BaseModel):
    """The parts of contract.json the API needs."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    target: str
    task: Literal["classification", "regression"]
    features: list[ContractFeature] = Field(min_length=1)
    labels: list[str] | None = None


def _describe(feature: ContractFeature) -> str:
    if feature.kind == "categorical":
        return f"Categorical; seen in training: {', '.join(feature.categories or [])}. null means missing."
    return (
        f"Number; training range {feature.min} to {feature.max}. null means missing. Values more than "
        f"{OUTLANDISH} ranges beyond it are refused: a unit error or garbage, and they overflow the scaling."
    )


def _bounds(feature: ContractFeature) -> dict[str, float]:
    """Generous limits around the training range; drift stays allowed, absurd magnitudes do not."""
    if feature.kind != "numeric" or feature.min is None or feature.max is None:
        return {}
    span = max(feature.max - feature.min, abs(feature.max), abs(feature.min), 1.0)
    return {"ge": feature.min - OUTLANDISH * span, "le": feature.max + OUTLANDISH * span}


def instance_model(contract: ServingContract) -> type[BaseModel]:
    """One prediction row: every contract feature required (null allowed: the model imputes), nothing else."""
    fields: dict[str, Any] = {}
    for index, feature in enumerate(contract.features):
        kind = Annotated[Number, Field(**_bounds(feature))] if feature.kind == "numeric" else Category  # type: ignore[call-overload]
        # Feature names are free text ("mean radius"), so the Python field name is positional and the alias
        # carries the real name: it is what requests use, what errors name and what the OpenAPI document shows.
        fields[f"f{index}"] = (kind | None, Field(alias=feature.name, description=_describe(feature)))
    config = ConfigDict(extra="forbid", populate_by_name=False, title="Instance")
    return create_model("Instance", __config__=config, **fields)


class _PredictRequest(BaseModel):
    """Powertools logs `f"Calling API Route Handler: {route_args}"` at debug level on every request, so the
    f-string formats the validated request even when debug is off: pydantic's repr of every feature of every
    row, about 0.1 ms a request. A request's repr names its size instead (the values are the caller's data)."""

    model_config = ConfigDict(extra="forbid")

    def __repr__(self) -> str:
        return f"PredictRequest(instances=<{len(getattr(self, 'instances', ()))} row(s)>)"


def predict_request_model(contract: ServingContract, max_rows: int) -> type[BaseModel]:
    instance = instance_model(contract)
    return create_model(
        "PredictRequest",
        __base__=_PredictRequest,
        instances=(list[instance], Field(min_length=1, max_length=max_rows, description="Rows to score.")),  # type: ignore[valid-type]
    )


def feedback_request_model(contract: ServingContract) -> type[BaseModel]:
    if contract.task == "classification" and contract.labels:
        truth: Any = Literal[tuple(contract.labels)]
    else:
        truth = Number
    return create_model(
        "FeedbackRequest",
        __config__=ConfigDict(extra="forbid"),
        request_id=(str, Field(pattern=REQUEST_ID, description="`request_id` of the /predict answer.")),
        row=(StrictInt, Field(default=0, ge=0, lt=10_000, description="Index of the instance in that request.")),
        ground_truth=(truth, Field(description="What really happened for that instance.")),
    )


class PredictResponse(BaseModel):
    request_id: str
    model_version: str | None = Field(description="Registered model version that answered.")
    variant: Literal["champion", "challenger"]
    predictions: list[Any]
    classes: list[Any] | None = None
    probabilities: list[dict[str, float]] | None = Field(default=None, description="Classifiers: class -> p.")


class FeedbackResponse(BaseModel):
    request_id: str
    row: int
    stored: bool


class HealthResponse(BaseModel):
    status: Literal["ok"]
    champion_endpoint: str
    challenger_endpoint: str | None


class ModelResponse(BaseModel):
    task: str
    target: str
    features: list[ContractFeature]
    labels: list[str] | None
    champion: VariantRecord | None = Field(description="Version, metrics and model card of the champion.")
    challenger: VariantRecord | None = Field(description="Same for a challenger that receives traffic.")
    challenger_weight: float


class Problem(BaseModel):
    field: str
    reason: str


class ErrorResponse(BaseModel):
    error: str
    detail: str = Field(description="What was wrong, in a sentence.")
    problems: list[Problem] = Field(default_factory=list)
    request_id: str | None = None
