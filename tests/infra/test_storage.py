"""Storage and notifications: encrypted, versioned, private, TLS-only, logged, with lifecycle rules."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from slipstream.batch_keys import MANIFEST_PREFIX
from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP


def _buckets(template: dict) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"}


def test_data_and_artifact_buckets_are_kms_encrypted_versioned_private_and_logged(synthesized):
    buckets = _buckets(synthesized.templates["storage"])
    kms_buckets = {
        name: props
        for name, props in buckets.items()
        if props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "aws:kms"
    }
    assert {name.rstrip("0123456789ABCDEF") for name in kms_buckets} == {"Data", "Artifacts"}
    for props in buckets.values():
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
    for props in kms_buckets.values():
        assert "DestinationBucketName" in props["LoggingConfiguration"]


def test_every_bucket_refuses_plain_http(synthesized):
    template = Template.from_json(synthesized.templates["storage"])
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 3
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_lifecycle_expires_old_runs_and_captures(synthesized):
    template = Template.from_json(synthesized.templates["storage"])
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like({"Id": "expire-old-runs", "Prefix": "runs/", "ExpirationInDays": 365}),
                        Match.object_like({"Id": "expire-captures", "Prefix": "captures/", "ExpirationInDays": 90}),
                    ]
                )
            }
        },
    )


def test_retained_models_never_expire_while_current(synthesized):
    """models/ holds what endpoints load at every cold start: only replaced versions expire, runs/ still does."""
    buckets = _buckets(synthesized.templates["storage"])
    rules = next(
        {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
        for props in buckets.values()
        if any(rule.get("Prefix") == "runs/" for rule in props.get("LifecycleConfiguration", {}).get("Rules", []))
    )
    assert rules["expire-replaced-models"] == {
        "Id": "expire-replaced-models",
        "Prefix": "models/",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "Status": "Enabled",
    }
    assert rules["expire-old-runs"]["ExpirationInDays"] == 365
    # The batch state machine's manifests (read once, when the job starts) do not pile up for ever.
    assert rules["expire-batch-manifests"]["Prefix"] == MANIFEST_PREFIX
    assert rules["expire-batch-manifests"]["ExpirationInDays"] == 2
    prefixed = [rule for rule in rules.values() if "ExpirationInDays" in rule]
    assert all(not rule.get("Prefix", "").startswith("models") and rule.get("Prefix") for rule in prefixed)


def test_data_bucket_sends_events_to_eventbridge(synthesized):
    Template.from_json(synthesized.templates["storage"]).has_resource_properties(
        "Custom::S3BucketNotifications", {"NotificationConfiguration": {"EventBridgeConfiguration": {}}}
    )


def test_keys_rotate_and_topic_is_encrypted(synthesized):
    for stack in ("storage", "notifications"):
        Template.from_json(synthesized.templates[stack]).has_resource_properties(
            "AWS::KMS::Key", {"EnableKeyRotation": True}
        )
    Template.from_json(synthesized.templates["notifications"]).has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()}
    )


def test_storage_exports_are_named_for_other_stacks(synthesized):
    outputs = synthesized.templates["storage"]["Outputs"]
    names = sorted(o["Export"]["Name"] for o in outputs.values() if "Export" in o)
    assert names == [
        "breast-cancer-dev-storage-artifact-bucket-arn",
        "breast-cancer-dev-storage-data-bucket-arn",
        "breast-cancer-dev-storage-key-arn",
    ]
