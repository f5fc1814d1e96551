"""The Athena workgroup the warehouse is queried in, and the saved queries as its named queries.

The workgroup's settings are enforced (a client cannot send results elsewhere, unencrypted, or lift the scan
limit): results go to the artifact bucket under ATHENA_RESULTS_PREFIX, SSE-KMS with the project's data key, and a
query that scans more than `[warehouse] athena_scan_limit_mb` is cancelled (Athena bills per byte scanned).
"""

from __future__ import annotations

from aws_cdk import aws_athena as athena
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from slipstream.layout import ATHENA_RESULTS_PREFIX

ENGINE = "Athena engine version 3"  # Trino: the dialect the saved queries are transpiled to
MIB = 1024 * 1024  # Athena's smallest cutoff, 10 MiB, is 10 of these


class QueryWorkgroup(Construct):
    """`name`; one CfnNamedQuery per (name, description, sql) in `queries`, in `database`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        bucket: s3.IBucket,
        key: kms.IKey,
        scan_limit_mb: int,
        database: str,
        queries: list[tuple[str, str, str]],
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=name,
            description="Slipstream warehouse: the captures and feedback tables",
            state="ENABLED",
            recursive_delete_option=True,  # deleting the stack deletes the workgroup's saved queries with it
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=scan_limit_mb * MIB,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ENGINE),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=bucket.s3_url_for_object(ATHENA_RESULTS_PREFIX),
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
        self.queries = {}
        for query_name, description, sql in queries:
            named = athena.CfnNamedQuery(
                self,
                _construct_id(query_name),
                name=query_name,
                description=description[:1024],
                database=database,
                query_string=sql,
                work_group=self.workgroup.ref,
            )
            self.queries[query_name] = named


def _construct_id(name: str) -> str:
    """`traffic_per_version` -> `TrafficPerVersionQuery`: stable, readable construct IDs."""
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_")) + "Query"
