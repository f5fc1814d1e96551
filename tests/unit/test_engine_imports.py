"""The local Step Functions engine runs the synthesized definition; it must not pay for aws_cdk (jsii starts a
node process) on every `slipstream run`, only when the definition is synthesized again."""

from __future__ import annotations

import subprocess
import sys


def test_the_local_engine_import_path_holds_no_aws_cdk(repo_root) -> None:
    code = (
        "import sys, slipstream.local.stepfunctions.engine;"
        "print([m for m in ('aws_cdk', 'jsii', 'constructs') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
