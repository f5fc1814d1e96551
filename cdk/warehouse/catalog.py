"""The Glue database of a project and stage, and its `captures` and `feedback` tables over Parquet in S3.

L1 (CfnDatabase/CfnTable) on purpose: the Glue L2 constructs are still alpha (@aws-cdk/aws-glue-alpha), and the
table's partition projection is only table parameters anyway.

Each table is partitioned by `dt`, the hour Firehose wrote the object (`<prefix>yyyy/MM/dd/HH/`, UTC), with
partition projection: Athena computes the partitions from the query's `dt` filter instead of reading them
from the catalog, so nothing has to add partitions as hours pass (no crawler, no MSCK REPAIR).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from constructs import Construct

from slipstream.warehouse.schema import Table

PARQUET = {
    "serde": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    "input": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "output": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
}
# The first hour projected: before any deployment of this version of the stack. A fixed date (not the synth
# time) so the template does not change from one synth to the next; hours without objects cost nothing.
PROJECTION_START = "2026/01/01/00"
DT_FORMAT = "yyyy/MM/dd/HH"  # Firehose's `!{timestamp:yyyy/MM/dd/HH}` in the objects' prefix


def projection(partition: str, location: str) -> dict[str, str]:
    """Table parameters for hourly date projection of `partition` over `<location><yyyy/MM/dd/HH>/`."""
    return {
        "classification": "parquet",
        "projection.enabled": "true",
        f"projection.{partition}.type": "date",
        f"projection.{partition}.format": DT_FORMAT,
        f"projection.{partition}.range": f"{PROJECTION_START},NOW",
        f"projection.{partition}.interval": "1",
        f"projection.{partition}.interval.unit": "HOURS",
        "storage.location.template": f"{location}${{{partition}}}/",
    }


class Catalog(Construct):
    """`database_name`; `table(name)` -> the CfnTable; `grant_schema(grantee, name)` for Firehose's conversion."""

    def __init__(
        self, scope: Construct, construct_id: str, *, database_name: str, tables: dict[str, tuple[Table, str]]
    ) -> None:
        """`tables`: name -> (its columns, its S3 location `s3://<bucket>/<prefix>`)."""
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.database_name = database_name
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name, description="Slipstream warehouse: captured predictions and their feedback"
            ),
        )
        self.tables = {name: self._table(table, location) for name, (table, location) in tables.items()}

    def _table(self, table: Table, location: str) -> glue.CfnTable:
        stack = Stack.of(self)
        column = glue.CfnTable.ColumnProperty
        resource = glue.CfnTable(
            self,
            table.name.capitalize(),
            catalog_id=stack.account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=table.name,
                table_type="EXTERNAL_TABLE",
                parameters=projection(table.partition.name, location),
                partition_keys=[column(name=table.partition.name, type=table.partition.type)],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[column(name=c.name, type=c.type, comment=c.comment) for c in table.columns],
                    location=location,
                    input_format=PARQUET["input"],
                    output_format=PARQUET["output"],
                    serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET["serde"]),
                ),
            ),
        )
        resource.node.add_dependency(self.database)
        return resource

    def table_arn(self, name: str) -> str:
        return Stack.of(self).format_arn(service="glue", resource="table", resource_name=f"{self.database_name}/{name}")

    def schema_arns(self, name: str) -> list[str]:
        """What reading one table's schema is authorized on: the catalog, the database and the table."""
        stack = Stack.of(self)
        return [
            stack.format_arn(service="glue", resource="catalog"),
            stack.format_arn(service="glue", resource="database", resource_name=self.database_name),
            self.table_arn(name),
        ]

    def grant_schema(self, grantee: iam.IGrantable, name: str) -> iam.Grant:
        """Firehose's record-format conversion reads the table's columns as the delivery role."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
            resource_arns=self.schema_arns(name),
        )
