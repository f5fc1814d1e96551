"""Every resource keeps its logical ID: a renamed construct makes CloudFormation replace the resource (a new,
empty bucket or table; a new endpoint name), so moving or renaming CDK code must not change one by accident.

The IDs of the dev stage (with the GitHub deploy stack) are a committed snapshot
(`__snapshots__/test_construct_ids.ambr`). A deliberate change (a resource added or removed) refreshes it:
`.venv/bin/pytest tests/infra/test_construct_ids.py --snapshot-update`, and the diff shows what a deploy will
create or delete. `scripts/template_diff.py` compares whole templates between two commits.
"""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import INFRA_GROUP, Synthesized

pytestmark = INFRA_GROUP


def _resources(template: dict[str, Any]) -> list[str]:
    return sorted(f"{logical_id} {resource['Type']}" for logical_id, resource in template["Resources"].items())


def test_logical_ids_match_the_snapshot(synthesized: Synthesized, snapshot: Any) -> None:
    ids = {stack: _resources(template) for stack, template in sorted(synthesized.templates.items())}
    assert ids == snapshot
