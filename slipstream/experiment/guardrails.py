"""Guardrails: operational ceilings a variant must stay under whatever its outcomes (error rate, p95 latency)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field


class Guardrail(BaseModel):
    model_config = ConfigDict(frozen=True)

    variant: str
    name: Literal["error_rate", "p95_latency_ms"]
    value: float | None = Field(description="Measured value; None while the variant has too few requests.")
    ceiling: float
    breached: bool


def guardrails(
    variant: str,
    *,
    errors: npt.NDArray[np.generic] | None,
    latencies_ms: npt.NDArray[np.generic] | None,
    max_error_rate: float,
    max_p95_latency_ms: float,
    min_requests: int,
) -> list[Guardrail]:
    """Both guardrails of one variant, from its requests (one entry per request, not per row).

    `errors` or `latencies_ms` is None when the capture does not record them; such a guardrail is reported
    unmeasured rather than passed. Below `min_requests` a rate or a percentile says little, so it waits.
    """
    error_rate = _measure(errors, min_requests, lambda values: float(np.mean(values)))
    p95 = _measure(latencies_ms, min_requests, lambda values: float(np.percentile(values, 95)))
    return [
        Guardrail(
            variant=variant,
            name="error_rate",
            value=error_rate,
            ceiling=max_error_rate,
            breached=error_rate is not None and error_rate > max_error_rate,
        ),
        Guardrail(
            variant=variant,
            name="p95_latency_ms",
            value=p95,
            ceiling=max_p95_latency_ms,
            breached=p95 is not None and p95 > max_p95_latency_ms,
        ),
    ]


def _measure(
    values: npt.NDArray[np.generic] | None, min_requests: int, statistic: Callable[[npt.NDArray[np.float64]], float]
) -> float | None:
    if values is None:
        return None
    numbers = values.astype(float)
    numbers = numbers[~np.isnan(numbers)]
    return statistic(numbers) if len(numbers) >= min_requests else None
