"""Feedback store: ground truth sent to POST /feedback, one item per predicted row.

Keys match lambdas/predict/sinks.DynamoDbSink (`request_id` S, `row` N). On demand (idles at zero cost),
encrypted with the project's data key, point-in-time recovery on: ground truth cannot be collected twice.

Besides it, the issued-requests table (lambdas/predict/issued.DynamoDbIssued): one item per /predict request
(`request_id` S, its `rows`), expiring by TTL on `expires_at` after the capture retention. /feedback reads it
to refuse an id never issued or a row it did not have. A table of its own, so the drift and experiment
Lambdas' scans of the feedback table never page through one item per prediction.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk.shared.nag import acknowledge


class FeedbackStore(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, key: kms.IKey, removal_policy: RemovalPolicy, retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.retention_days = retention_days
        self.key = key
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="request_id", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="row", type=dynamodb.AttributeType.NUMBER),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal_policy,
        )
        self.issued = dynamodb.Table(
            self,
            "Issued",
            partition_key=dynamodb.Attribute(name="request_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            time_to_live_attribute="expires_at",
            removal_policy=RemovalPolicy.DESTROY,  # a check's working data: nothing to keep after the stack
        )
        acknowledge(
            self.issued,
            "AwsSolutions-DDB3",
            "Issued request ids expire by TTL after the capture retention: a restore would only bring back ids "
            "that feedback can no longer be joined with; the ground truth table has point-in-time recovery.",
        )

    def grant_record(self, grantee: iam.IGrantable) -> None:
        """The predict Lambda: PutItem on feedback (it never reads or changes it); PutItem and GetItem on the
        issued requests (written by /predict, read by /feedback)."""
        self.table.grant(grantee, "dynamodb:PutItem")
        self.issued.grant(grantee, "dynamodb:PutItem", "dynamodb:GetItem")
        # DynamoDB decrypts the table key and encrypts items with the caller's KMS rights.
        self.key.grant_encrypt_decrypt(grantee)

    def grant_scan(self, grantee: iam.IGrantable) -> None:
        """The drift Lambda: a bounded Scan for model quality per variant."""
        self.table.grant(grantee, "dynamodb:Scan")
        self.key.grant_decrypt(grantee)
