"""What moto costs every emulated account and every job, cut where the cost is moto's, not AWS's behaviour."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

# Step Functions' .sync integrations learn of a job's end from an EventBridge event, not by polling: moto polls
# Describe*Job every 0.5 s, which adds ~0.25 s to every training, processing and tuning task on average.
SYNC_POLL_SECONDS = 0.1  # each poll is a Describe*Job signed and authorized as the role


@cache
def _aws_managed_policies() -> dict[str, Any]:
    """moto's 1,500 AWS managed policies (4.7 MB of JSON), parsed once per process instead of once per IAM
    backend: an account builds one backend per partition, and a lookup by access key visits every one."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def _managed_policies_parsed_once() -> None:
    from moto.iam.models import AWSManagedPolicy, IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    def init_aws_policies(self):  # type: ignore[no-untyped-def]
        if not load_iam_aws_managed_policies():
            return []
        # Fresh objects per backend, as moto makes them: a policy's attachment count is the account's own.
        return [
            AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in _aws_managed_policies().items()
        ]

    IAMBackend._init_aws_policies = init_aws_policies


def _sync_tasks_poll_sooner() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback

    state_task_service_callback._DELAY_SECONDS_SYNC_CONDITION_CHECK = SYNC_POLL_SECONDS  # type: ignore[misc]


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _managed_policies_parsed_once()
    _sync_tasks_poll_sooner()
