"""The local Step Functions engine runs the synthesized definition; it must not pay for aws_cdk (jsii starts a
node process) on every `slipstream run`, only when the definition is synthesized again."""

from __future__ import annotations

from tests.import_paths import modules_loaded_by


def test_the_local_engine_import_path_holds_no_aws_cdk() -> None:
    assert modules_loaded_by("slipstream.local.stepfunctions.engine", ("aws_cdk", "jsii", "constructs")) == []
