"""What moto 5.2.5 lacks to run our synthesized state machine, and what makes its account as strict as AWS.

This package is the only code that touches moto internals (private classes, backends, module attributes); that
is why pyproject pins moto exactly (`moto[all]==5.2.5`): re-check every patch here when moving the pin. It sits
in slipstream/local, not tests/, because `slipstream run --engine stepfunctions` runs on it as well as
tests/statemachine (which stays thin). `install()` is idempotent; the patches are inert outside `mock_aws`.
The work itself (running handlers, jobs, model containers, deciding IAM and parameters) lives in handlers.py,
jobs.py, hosting.py and slipstream/local/strict: no moto there. One module per part of the account:
- core: Step Functions' and Lambda's behaviour, planned faults, the scaled clock;
- switches: which strict checks are on (STRICT);
- sagemaker_jobs: `.sync` tasks and jobs that run; tuning_jobs: tuning jobs whose trials run;
  endpoints: endpoints that deploy and serve;
- iam: who signs each call, and the evaluation of every call against the signer's policies;
- firehose: deliveries to S3 made as the stream's delivery role;
- trust: the trust policy of a role handed to a service, checked when the service is handed it;
- saved: the account's data between runs.
"""

from __future__ import annotations

from slipstream.local.stepfunctions.moto_extensions import (
    core,
    costs,
    endpoints,
    firehose,
    iam,
    model_cards,
    sagemaker_jobs,
    saved,
    trust,
    tuning_jobs,
)
from slipstream.local.stepfunctions.moto_extensions.core import (
    CLOCK,
    FAULTS,
    MOTO_CONFIG,
    install_strict_checks,
)
from slipstream.local.stepfunctions.moto_extensions.endpoints import SERVERLESS, close_account
from slipstream.local.stepfunctions.moto_extensions.iam import client_as, reset_strict, role_credentials
from slipstream.local.stepfunctions.moto_extensions.saved import data_backends, restart_endpoints, restore_data_backends
from slipstream.local.stepfunctions.moto_extensions.switches import STRICT

__all__ = [
    "CLOCK",
    "FAULTS",
    "MOTO_CONFIG",
    "SERVERLESS",
    "STRICT",
    "client_as",
    "close_account",
    "data_backends",
    "endpoints",
    "install",
    "install_strict_checks",
    "reset_strict",
    "restart_endpoints",
    "restore_data_backends",
    "role_credentials",
    "saved",
]


def install() -> None:
    install_strict_checks()
    with core.LOCK:
        if core.INSTALLED:
            return
        for part in (core, costs, sagemaker_jobs, tuning_jobs, endpoints, model_cards, iam, firehose, trust):
            part.patch()
        core.INSTALLED.append(True)
