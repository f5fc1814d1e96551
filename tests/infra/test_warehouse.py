"""The warehouse on AWS: the Glue tables' columns are the contract's, partitions are projected over the
streams' time prefixes, both streams convert to Parquet by their table as a role that may read only that
table's schema, and the Athena workgroup enforces encrypted results, a scan cutoff and the saved queries."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from cdk.serving.capture_stream import CONVERSION_MIN_BUFFER_MB
from cdk.shared.settings import load_settings
from slipstream.contract import build_contract
from slipstream.dataset import drop_ignored, load_dataset
from slipstream.warehouse.queries import saved_queries
from slipstream.warehouse.schema import captures_table, feature_columns, feedback_table
from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP
ARTIFACTS = {"Fn::ImportValue": "breast-cancer-dev-storage-artifact-bucket-arn"}
KEY = {"Fn::ImportValue": "breast-cancer-dev-storage-key-arn"}
DATABASE = "breast_cancer_dev"


@pytest.fixture(scope="module")
def serving(synthesized) -> Template:
    return Template.from_json(synthesized.templates["serving"])


@pytest.fixture(scope="module")
def contract():
    """Built here as ValidateData builds it, independently of the CDK app's own path to it."""
    config = load_settings("dev").config
    return build_contract(drop_ignored(load_dataset(config), config), config)


def _resources(template: Template, kind: str) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in template.find_resources(kind).items()}


def _table(template: Template, name: str) -> dict:
    (table,) = [p for p in _resources(template, "AWS::Glue::Table").values() if p["TableInput"]["Name"] == name]
    return table


def test_one_database_per_project_and_stage(serving):
    (database,) = _resources(serving, "AWS::Glue::Database").values()
    assert database["DatabaseInput"]["Name"] == DATABASE
    for table in _resources(serving, "AWS::Glue::Table").values():
        assert table["DatabaseName"] == DATABASE


def test_captures_columns_are_the_contracts_every_feature_with_its_type(serving, contract):
    storage = _table(serving, "captures")["TableInput"]["StorageDescriptor"]
    glue = [(c["Name"], c["Type"]) for c in storage["Columns"]]
    expected = captures_table(contract.task, [(f.name, f.kind) for f in contract.features])
    assert glue == [(c.name, c.type) for c in expected.columns]
    # every feature, by its Athena-safe name, typed by its kind (the bundled data is numeric: double)
    by_name = dict(glue)
    columns = feature_columns([f.name for f in contract.features], reserved=[c.name for c in expected.columns[:15]])
    assert len(contract.features) == 30
    for feature in contract.features:
        assert by_name[columns[feature.name]] == ("double" if feature.kind == "numeric" else "string"), feature.name
    assert by_name["prediction"] == "string" and by_name["probabilities"] == "map<string,double>"
    assert by_name["timestamp"] == "timestamp"


def test_feedback_columns_are_the_feedback_tables(serving, contract):
    storage = _table(serving, "feedback")["TableInput"]["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [
        (c.name, c.type) for c in feedback_table(contract.task).columns
    ]


@pytest.mark.parametrize(("name", "prefix"), [("captures", "captures/data/"), ("feedback", "feedback/data/")])
def test_tables_are_parquet_partitioned_by_the_projected_hour(serving, name, prefix):
    table = _table(serving, name)["TableInput"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    storage = table["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert storage["InputFormat"].endswith("MapredParquetInputFormat")
    assert json.dumps(storage["Location"]).endswith(f'/{prefix}"]]}}')
    parameters = table["Parameters"]
    assert {k: v for k, v in parameters.items() if k != "storage.location.template"} == {
        "classification": "parquet",
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy/MM/dd/HH",
        "projection.dt.range": "2026/01/01/00,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "HOURS",
    }
    assert json.dumps(parameters["storage.location.template"]).endswith(f'/{prefix}${{dt}}/"]]}}')


def _stream(template: Template, prefix: str) -> dict:
    streams = _resources(template, "AWS::KinesisFirehose::DeliveryStream")
    (stream,) = [p for logical, p in streams.items() if logical.startswith(prefix)]
    return stream["ExtendedS3DestinationConfiguration"]


@pytest.mark.parametrize(("logical", "table"), [("CaptureStream", "captures"), ("FeedbackStream", "feedback")])
def test_streams_convert_json_rows_to_parquet_by_their_table(serving, logical, table):
    s3 = _stream(serving, logical)
    assert s3["Prefix"] == f"{table}/data/!{{timestamp:yyyy/MM/dd/HH}}/"  # the projection's dt
    assert s3["ErrorOutputPrefix"].startswith(f"{table}/errors/!{{firehose:error-output-type}}/")
    assert s3["BufferingHints"]["SizeInMBs"] >= CONVERSION_MIN_BUFFER_MB == 64
    assert s3["CompressionFormat"] == "UNCOMPRESSED"
    conversion = s3["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert conversion["InputFormatConfiguration"] == {
        "Deserializer": {"HiveJsonSerDe": {"TimestampFormats": ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ"]}}
    }
    assert conversion["OutputFormatConfiguration"] == {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}}
    schema = conversion["SchemaConfiguration"]
    assert (schema["DatabaseName"], schema["TableName"], schema["VersionId"]) == (DATABASE, table, "LATEST")
    assert schema["RoleARN"] == s3["RoleARN"]


def _policy_statements(template: Template, role_prefix: str) -> list[dict]:
    return [
        s
        for p in _resources(template, "AWS::IAM::Policy").values()
        if p["Roles"][0]["Ref"].startswith(role_prefix)
        for s in p["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize(("role", "table"), [("CaptureRole", "captures"), ("FeedbackStreamRole", "feedback")])
def test_delivery_role_reads_only_its_tables_schema(serving, role, table):
    (glue,) = [s for s in _policy_statements(serving, role) if "glue:GetTable" in s["Action"]]
    assert glue["Action"] == ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"]
    ends = [json.dumps(r)[-60:] for r in glue["Resource"]]
    assert [e.rsplit(":", 1)[-1] for e in ends] == [
        'catalog"]]}',
        f'database/{DATABASE}"]]}}',
        f'table/{DATABASE}/{table}"]]}}',
    ]
    puts = [s for s in _policy_statements(serving, role) if any(a.startswith("s3:Put") for a in s["Action"])]
    assert [s["Resource"] for s in puts] == [{"Fn::Join": ["", [ARTIFACTS, f"/{table}/*"]]}]


def test_workgroup_enforces_encrypted_results_a_scan_limit_and_metrics(serving):
    (workgroup,) = _resources(serving, "AWS::Athena::WorkGroup").values()
    assert workgroup["Name"] == "breast-cancer-dev"
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["BytesScannedCutoffPerQuery"] == 1024 * 1024 * 1024  # [warehouse] athena_scan_limit_mb = 1024
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    results = config["ResultConfiguration"]
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_KMS", "KmsKey": KEY}
    assert json.dumps(results["OutputLocation"]).endswith('/athena/results/"]]}')


def test_named_queries_are_the_saved_queries_in_athenas_dialect(serving, contract):
    named = _resources(serving, "AWS::Athena::NamedQuery").values()
    expected = saved_queries(contract.task, [(f.name, f.kind) for f in contract.features], dialect="athena")
    assert len(expected) >= 5
    assert sorted((q["Name"], q["QueryString"], q["Description"]) for q in named) == sorted(
        (q.name, q.sql, q.description) for q in expected
    )
    for query in named:
        assert query["Database"] == DATABASE and query["WorkGroup"]["Ref"].startswith("QueriesWorkGroup")


def test_feedback_and_query_results_expire(synthesized):
    storage = Template.from_json(synthesized.templates["storage"])
    rules = {
        rule["Id"]: rule
        for bucket in _resources(storage, "AWS::S3::Bucket").values()
        for rule in bucket.get("LifecycleConfiguration", {}).get("Rules", [])
    }
    assert rules["expire-feedback"]["Prefix"] == "feedback/"
    assert rules["expire-feedback"]["ExpirationInDays"] == rules["expire-captures"]["ExpirationInDays"]
    assert rules["expire-athena-results"]["Prefix"] == "athena/results/"
