#!/usr/bin/env python3
"""CDK entry point: `cdk synth -c stage=dev|staging|prod` builds that stage's stacks from slipstream.toml.

Synth needs no AWS credentials and no network: stacks are environment-agnostic unless the stage sets
`account`/`region`, and nothing here calls AWS.
"""

from aws_cdk import App

from cdk.app import build_app
from cdk.shared.settings import load_settings

app = App()
stage = app.node.try_get_context("stage") or "dev"
config_path = app.node.try_get_context("config")  # optional: -c config=path/to/slipstream.toml
build_app(app, load_settings(stage, config_path))
app.synth()
