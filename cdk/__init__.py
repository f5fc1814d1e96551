"""The CDK app, grouped by capability: `pipeline/`, `serving/`, `monitoring/`, `github_deploy/`, and `shared/`
(settings, naming, the Lambda construct, cdk-nag, the storage and notifications stacks). `app.py` assembles
the stacks of one stage. Capabilities import `shared/` and never each other, except monitoring, which
watches the pipeline and serving resources it is handed; `shared/` imports no capability.
"""
