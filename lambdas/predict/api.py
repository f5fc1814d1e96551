"""The REST API: routes (validated by powertools from pydantic models) and the one error-to-HTTP mapping.

No `from __future__ import annotations` here on purpose: the request models are built from the data
contract at cold start, and powertools reads the route annotations as objects to validate and to write
the OpenAPI document.
"""

import json
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError as PowertoolsServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.predict.errors import PayloadTooLarge, ServingError, UnsupportedMediaType
from lambdas.predict.json_body import excerpt, loads
from lambdas.predict.problems import validation_problems
from lambdas.predict.schema import (
    ErrorResponse,
    FeedbackResponse,
    HealthResponse,
    ModelResponse,
    PredictResponse,
    feedback_request_model,
    predict_request_model,
)
from lambdas.predict.service import PredictionService

JSON = "application/json"
ERRORS = {
    400: "Invalid request: every problem named (field and reason)",
    404: "Unknown request_id: feedback only for a request POST /predict issued",
    413: "Body larger than the limit",
    415: "Content-Type is not application/json",
    502: "The model failed to answer",
    503: "Endpoint unreachable, throttled or not ready: retry after Retry-After seconds",
}


def _responses(ok: type, *codes: int) -> dict[int, Any]:
    """The documented answers: powertools drops its own 200 entry once `responses` is given."""
    documented: dict[int, Any] = {200: {"description": "Success", "content": {JSON: {"model": ok}}}}
    for code in codes:
        documented[code] = {"description": ERRORS[code], "content": {JSON: {"model": ErrorResponse}}}
    return documented


def build_app(
    service: PredictionService,
    *,
    max_rows: int,
    max_body_bytes: int,
    caller_header: str,
    retry_after: int,
    logger: Logger,
    metrics: Metrics,
) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=loads)
    guard = BodyGuard(app, max_body_bytes)
    _add_routes(app, service, guard, max_rows=max_rows, caller_header=caller_header, metrics=metrics)
    _add_error_handlers(app, guard, retry_after=retry_after, logger=logger, metrics=metrics)
    return app


class BodyGuard:
    """Body size and media type: checked in each route, and before parse errors are reported."""

    def __init__(self, app: APIGatewayRestResolver, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    def check(self) -> None:
        event = self.app.current_event
        size = len((event.decoded_body or "").encode("utf-8"))
        if size > self.max_body_bytes:
            raise PayloadTooLarge(f"body is {size} bytes; the limit is {self.max_body_bytes}")
        header = event.get_header_value("content-type", default_value="", case_sensitive=False) or ""
        if header.split(";")[0].strip().lower() not in ("", JSON):
            raise UnsupportedMediaType(f"Content-Type {excerpt(header, 100)!r} is not accepted; send {JSON}")


def _add_routes(
    app: APIGatewayRestResolver,
    service: PredictionService,
    guard: BodyGuard,
    *,
    max_rows: int,
    caller_header: str,
    metrics: Metrics,
) -> None:
    predict_request = predict_request_model(service.contract, max_rows)
    feedback_request = feedback_request_model(service.contract)

    @app.post("/predict", summary="Score instances", responses=_responses(PredictResponse, 400, 413, 415, 502, 503))
    def predict(request: Annotated[predict_request, Body()]) -> PredictResponse:  # type: ignore[valid-type]
        guard.check()
        instances = request.model_dump(by_alias=True)["instances"]  # type: ignore[attr-defined]
        caller = app.current_event.get_header_value(caller_header, case_sensitive=False)
        prediction = service.predict(instances, caller, app.current_event.request_context.request_id)
        metrics.add_dimension("Variant", prediction.variant)  # same spelling as the drift metrics
        metrics.add_metric("Predictions", MetricUnit.Count, len(instances))
        metrics.add_metric("ModelLatency", MetricUnit.Milliseconds, prediction.latency_ms)
        _capture_metrics(service, metrics)
        return prediction.body  # type: ignore[return-value]

    @app.post("/feedback", summary="Record ground truth", responses=_responses(FeedbackResponse, 400, 404, 413, 415))
    def feedback(request: Annotated[feedback_request, Body()]) -> FeedbackResponse:  # type: ignore[valid-type]
        guard.check()
        values = request.model_dump()  # type: ignore[attr-defined]
        stored = service.record_feedback(values["request_id"], values["row"], values["ground_truth"])
        metrics.add_metric("Feedback", MetricUnit.Count, 1)
        return FeedbackResponse(request_id=values["request_id"], row=values["row"], stored=stored)

    @app.get("/health", summary="Liveness")
    def health() -> HealthResponse:
        champion, challenger = service.endpoints["champion"] or "", service.endpoints.get("challenger")
        return HealthResponse(status="ok", champion_endpoint=champion, challenger_endpoint=challenger)

    @app.get("/model", summary="Model card, versions and the request schema")
    def model() -> ModelResponse:
        return ModelResponse(**service.describe())


def _add_error_handlers(
    app: APIGatewayRestResolver, guard: BodyGuard, *, retry_after: int, logger: Logger, metrics: Metrics
) -> None:
    def answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        metrics.add_metric(f"Http{status}", MetricUnit.Count, 1)
        body = {**body, "request_id": app.current_event.request_context.request_id}
        return Response(status_code=status, content_type=JSON, body=json.dumps(body), headers=headers)

    @app.exception_handler(ServingError)
    def serving_error(error: ServingError) -> Response:
        logger.warning("request failed", extra={"status": error.status_code, "detail": error.detail})
        headers = {"Retry-After": str(retry_after)} if error.status_code == 503 else None
        return answer(error.status_code, error.body(), headers)

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported(_: Exception) -> Response:
        return serving_error(UnsupportedMediaType(f"send Content-Type: {JSON}"))

    @app.exception_handler(RequestValidationError)
    def invalid(error: RequestValidationError) -> Response:
        try:
            guard.check()  # a too-large body or a non-JSON media type is the clearer answer than its parse errors
        except ServingError as clearer:
            return serving_error(clearer)
        problems = validation_problems(error.errors())
        return answer(400, {"error": "invalid request", "detail": f"{len(problems)} problem(s)", "problems": problems})

    @app.not_found
    def not_found(_: Exception) -> Response:
        route = excerpt(f"{app.current_event.http_method} {app.current_event.path}")
        return answer(404, {"error": "not found", "detail": f"no route {route}"})

    @app.exception_handler(PowertoolsServiceError)
    def powertools_error(error: PowertoolsServiceError) -> Response:
        return answer(error.status_code, {"error": excerpt(error.msg), "detail": excerpt(error.msg), "problems": []})

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        try:
            guard.check()  # powertools' own body parsers can fail on bodies we never accept (multipart, ...)
        except ServingError as clearer:
            return serving_error(clearer)
        logger.exception("unexpected error")  # the traceback goes to the log, never to the caller
        return answer(500, {"error": "internal error", "detail": type(error).__name__, "problems": []})


def _capture_metrics(service: PredictionService, metrics: Metrics) -> None:
    if service.issued_failed:
        metrics.add_metric("IssuedFailed", MetricUnit.Count, service.issued_failed)
        service.issued_failed = 0
    counted = {"Capture": service.capture, "Shadow": service.shadow}
    for prefix, source in counted.items():
        if source is None:
            continue
        for name, count in source.take_counts().items():
            if count:
                metrics.add_metric(f"{prefix}{name.title()}", MetricUnit.Count, count)
