"""docs/openapi.json: generated from the predict Lambda's resolver, never written by hand.

The request schema is derived from the data contract, so the committed document is built from the
bundled config's dataset (deterministic). `python -m slipstream.local.serving.openapi --write` refreshes it; a
unit test fails when it is stale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from lambdas.predict.api import build_app
from lambdas.predict.documents import CachedDocument
from lambdas.predict.schema import ServingContract
from lambdas.predict.service import PredictionService
from slipstream.config import Config, load_config
from slipstream.documents.deployment import DeploymentRecord
from slipstream.local.serving.plan import REPO_ROOT, endpoint_names

DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
DESCRIPTION = (
    "Predictions from the champion (or a staged challenger) model. Request fields are the data contract's "
    "features. Invalid requests get 400 with every problem named; 503 carries Retry-After."
)


def openapi_document(config: Config, contract: dict[str, Any]) -> dict[str, Any]:
    names = endpoint_names(config)
    service = PredictionService(
        contract=ServingContract.model_validate(contract),
        runtime=lambda: None,
        endpoints={"champion": names["champion"], "challenger": names["challenger"]},
        challenger_weight=config.challenger_weight,
        deployment=CachedDocument(None, 0, lambda: None, DeploymentRecord.model_validate),
    )
    app = build_app(
        service,
        max_rows=config.serving.max_rows,
        max_body_bytes=config.serving.max_body_bytes,
        caller_header=config.serving.caller_header,
        retry_after=5,
        logger=Logger(service="openapi"),
        metrics=Metrics(namespace="Slipstream", service="openapi"),
    )
    raw = app.get_openapi_json_schema(
        title=f"Slipstream prediction API: {config.name}", version="1", description=DESCRIPTION
    )
    return _without_422(json.loads(raw))


def _without_422(document: dict[str, Any]) -> dict[str, Any]:
    """powertools documents a 422 on every validated route; our handlers answer those problems with 400."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document.get("paths", {}))
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)
    return document


def bundled_contract(config: Config) -> dict[str, Any]:
    from slipstream.contract import build_contract  # pandas: generation time only
    from slipstream.dataset import drop_ignored, load_dataset

    return build_contract(drop_ignored(load_dataset(config), config), config).model_dump(mode="json")


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "slipstream.toml")
    parser.add_argument("--write", action="store_true", help=f"write {DOCUMENT}")
    args = parser.parse_args()
    config = load_config(args.config)
    text = render(openapi_document(config, bundled_contract(config)))
    if args.write:
        DOCUMENT.write_text(text, encoding="utf-8")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
