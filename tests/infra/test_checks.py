"""cdk-nag (AwsSolutions) and cfn-lint over every synthesized template."""

from __future__ import annotations

import json

from cfnlint.api import lint

from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP

# The stacks are region-agnostic; lint against the regions Slipstream documents as supported (SageMaker
# serverless inference, model registry and the AWS-managed layers all exist there).
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2"]


def test_cdk_nag_has_no_unacknowledged_findings(synthesized):
    reports = synthesized.report()["pluginReports"]
    nag = next(r for r in reports if r["pluginName"] == "AwsSolutions")
    assert nag["violations"] == [], json.dumps(nag["violations"], indent=1)[:4000]
    assert nag["conclusion"] == "success"


def test_every_acknowledgement_gives_a_specific_reason(synthesized):
    reports = synthesized.report()["pluginReports"]
    suppressed = [v for r in reports for v in r.get("suppressedViolations", [])]
    assert suppressed, "expected the documented acknowledgements (IAM5 wildcards, L1 runtime)"
    for finding in suppressed:
        assert len(finding["reason"]) > 30, finding


def test_cfn_lint_finds_no_errors(synthesized):
    for name, template in synthesized.templates.items():
        matches = lint(json.dumps(template), regions=REGIONS)
        errors = [m for m in matches if m.rule.id.startswith("E")]
        assert not errors, f"{name}: " + "\n".join(str(m) for m in errors)
