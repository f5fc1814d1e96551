"""docs/pipeline.md is generated from the synthesized state machine; it must match what would deploy."""

from __future__ import annotations

from cdk.pipeline.doc import DOC, render_markdown
from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP


def test_pipeline_diagram_is_up_to_date(definition):
    expected = render_markdown(definition)
    assert DOC.read_text(encoding="utf-8") == expected, "docs/pipeline.md is stale: run `make pipeline-doc`"


def test_diagram_shows_every_state(definition):
    text = render_markdown(definition)
    for name in definition["States"]:
        assert f'"{name}"' in text
