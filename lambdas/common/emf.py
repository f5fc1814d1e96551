"""What the scheduled Lambdas (drift, experiment) share to talk to AWS and publish metrics.

Metrics go out as one EMF document per data point, because each needs its own dimension set (feature, model
version, variant). Powertools adds `service` (POWERTOOLS_SERVICE_NAME) to every point: alarms and dashboards
name it too (cdk/shared/lambda_function.py emf_dimensions).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "Slipstream"


@cache
def client(service: str) -> Any:
    """One boto3 client per service for the life of the execution environment."""
    import boto3

    return boto3.client(service)


def emit(name: str, unit: str, value: float, dimensions: dict[str, str]) -> None:
    with single_metric(name, MetricUnit(unit), value, namespace=NAMESPACE, default_dimensions=dimensions):
        pass
