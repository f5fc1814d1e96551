"""Retraining on alarms through the emulated EventBridge: a CloudWatch alarm state change goes through the
synthesized RetrainOnAlarm rule to the real StartPipeline handler, under its own role's IAM (ListExecutions,
StartExecution). slipstream.toml retrains on the champion's drift and quality alarms with a 24 h cooldown.
The account is conftest's `triggered` (tests/statemachine/triggered.py, shared with test_batch_aws.py); the
decisions are StartPipeline's answers (why it started or not) and the executions."""

from __future__ import annotations

import pytest

from tests.statemachine.conftest import TRIGGERS_GROUP
from tests.statemachine.triggered import DRIFT, QUALITY

pytestmark = [TRIGGERS_GROUP, pytest.mark.slow]


def test_alarms_retrain_only_on_new_data_outside_the_cooldown(triggered):
    trained, retrain = triggered["trained"], triggered["retrain"]
    assert triggered["upload_answer"]["started"]  # the upload's

    cooldown = retrain["cooldown"]  # minutes after that run: within the cooldown
    assert not cooldown["started"] and "within the 24 h cooldown" in cooldown["reason"], cooldown
    assert trained["name"] in cooldown["reason"]

    unchanged = retrain["unchanged"]  # cooldown over, the data unchanged
    assert not unchanged["started"] and unchanged["run_id"] == trained["name"], unchanged
    assert unchanged["reason"] == f"alarm {DRIFT}: this data was already trained on (no new data since)"

    # Alarms the config does not retrain on, and recoveries, never reach StartPipeline; nor do the batch files.
    assert retrain["ignored"] == [] and retrain["executions_after_ignored"] == 1

    # Data the upload trigger missed (its rule without its target, as if the S3 event were lost).
    retrained = retrain["retrained"]
    assert retrained["started"] and retrained["reason"].startswith(f"alarm {QUALITY}: training on "), retrained
    assert retrain["executions"] == sorted({trained["name"], retrained["run_id"]})
