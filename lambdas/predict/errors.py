"""Domain errors of the prediction API; api.py maps each to one HTTP answer, in one place."""

from __future__ import annotations

from typing import Any


class ServingError(Exception):
    status_code = 500
    error = "internal error"

    def __init__(self, detail: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.detail, "problems": self.problems}


class InvalidRequest(ServingError):
    status_code = 400
    error = "invalid request"


class UnknownRequest(ServingError):
    """Feedback naming a request id /predict never issued: refused, so live quality cannot be poisoned."""

    status_code = 404
    error = "unknown request"


class PayloadTooLarge(ServingError):
    status_code = 413
    error = "request body too large"


class UnsupportedMediaType(ServingError):
    status_code = 415
    error = "unsupported content type"


class EndpointUnavailable(ServingError):
    """Unreachable, throttled, not yet deployed, or not ready: worth retrying later (503 + Retry-After)."""

    status_code = 503
    error = "model endpoint unavailable"


class ModelFailed(ServingError):
    """The endpoint answered, but not with predictions (502): our bug or a bad model, never the caller's."""

    status_code = 502
    error = "model error"
