"""`python -m cdk.docs [stage]`: rewrite docs/pipeline.md from the state machine the app synthesizes.

Beside app.py, not in pipeline/, because it builds the whole app (the pipeline stack needs its neighbours).
"""

from __future__ import annotations

import sys
import tempfile
from typing import Any

from cdk.pipeline.doc import DOC, definition_from_template, render_markdown
from cdk.shared.settings import PROJECT_ROOT


def synthesized_definition(stage: str = "dev") -> dict[str, Any]:
    """Synthesize the app in process (no network, no credentials) and return the pipeline's definition."""
    from aws_cdk import App

    from cdk.app import build_app
    from cdk.shared.settings import load_settings

    with tempfile.TemporaryDirectory() as outdir:
        app = App(outdir=outdir)
        stacks = build_app(app, load_settings(stage))
        assembly = app.synth()
        template = assembly.get_stack_by_name(stacks["pipeline"].stack_name).template
    return definition_from_template(template)


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render_markdown(synthesized_definition(*sys.argv[1:2])), encoding="utf-8")
    print(f"wrote {DOC.relative_to(PROJECT_ROOT)}")
