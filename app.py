#!/usr/bin/env python3
"""CDK entry point: `cdk synth -c stage=dev|staging|prod` builds that stage's stacks from slipstream.toml.

Synth needs no AWS credentials and no network: stacks are environment-agnostic unless the stage sets
`account`/`region`, and nothing here calls AWS.
"""

from aws_cdk import App

from cdk.app import build_app
from cdk.shared.settings import PROJECT_ROOT, load_settings
from slipstream.lineage import git_commit

app = App()
stage = app.node.try_get_context("stage") or "dev"
config_path = app.node.try_get_context("config")  # optional: -c config=path/to/slipstream.toml
# The commit every model package records; `-c code_version=<sha>` pins it (CI, reproducible synth).
code_version = app.node.try_get_context("code_version") or git_commit(PROJECT_ROOT)
build_app(app, load_settings(stage, config_path, code_version=code_version))
app.synth()
