"""What `slipstream serve` prints once both servers answer: where, which versions, an example request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console

from slipstream.local.serving.plan import ServePlan


def example_instance(contract_path: Path) -> dict[str, Any]:
    """A valid row: each numeric feature at its training mid-range, each categorical at its first value."""
    contract = json.loads(contract_path.read_text(encoding="utf-8"))
    row: dict[str, Any] = {}
    for feature in contract["features"]:
        if feature["kind"] == "categorical":
            row[feature["name"]] = (feature.get("categories") or [""])[0]
        else:
            low, high = feature.get("min") or 0.0, feature.get("max") or 0.0
            row[feature["name"]] = round((low + high) / 2, 4)
    return row


def print_serving(console: Console, plan: ServePlan, log_dir: Path) -> None:
    champion, challenger = plan.deployment.champion, plan.deployment.challenger
    console.print(f"[bold green]Serving[/] {plan.config.name} at [bold]{plan.url}[/]", highlight=False)
    if champion is not None:  # build_plan refuses to serve without one
        console.print(f"  champion   version {champion.version} ({champion.endpoint})", highlight=False)
    if challenger is not None:
        weight, shadow = plan.config.challenger_weight, plan.config.experiment.shadow_share
        mirrored = f", and a mirror of {shadow:.0%} of the champion's requests (shadow)" if shadow > 0 else ""
        console.print(
            f"  challenger version {challenger.version} gets {weight:.0%} of callers{mirrored}", highlight=False
        )
    console.print("  routes     POST /predict  POST /feedback  GET /health  GET /model", highlight=False)
    if "CAPTURE_PATH" in plan.api_env:
        console.print(f"  capture    {plan.api_env['CAPTURE_PATH']}", highlight=False)
    console.print(f"  logs       {log_dir}", highlight=False)
    body = json.dumps({"instances": [example_instance(plan.config.contract_path)]})
    console.print("Try:", highlight=False)
    console.print(
        f"  curl -s -X POST {plan.url}/predict -H 'Content-Type: application/json' -d '{body}'",
        highlight=False,
        soft_wrap=True,
    )
    console.print("Ctrl-C stops both servers.", highlight=False)
