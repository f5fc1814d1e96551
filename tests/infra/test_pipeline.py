"""The training pipeline's state machine and the resources around it, read from the synthesized templates."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

import pytest
from aws_cdk.assertions import Match, Template

from slipstream.config import load_config, parse_config
from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP

STEPS = [
    "ValidateData",
    "Train",
    "Evaluate",
    "QualityGate",
    "RetainModel",
    "RetainBaseline",
    "Register",
    "RegisterRejected",
    "RollBack",
    "CheckRollBack",
    "DeleteNewEndpoint",
    "ApproveModel",
    "RecordDeployment",
    "RejectFailedDeployment",
]
# Between Register and the smoke test's verdict a failure rejects the package first, then notifies.
DEPLOY_STEPS = ["CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint", "CheckEndpoint", "SmokeTest"]


@pytest.fixture(scope="module")
def states(definition):
    return definition["States"]


@pytest.mark.parametrize("name", STEPS + DEPLOY_STEPS)
def test_each_step_retries_transient_errors_and_catches_everything(states, name):
    state = states[name]
    assert state["Type"] == "Task"
    assert state["Retry"][0]["BackoffRate"] == 2.0 and state["Retry"][0]["MaxAttempts"] >= 3
    target = "RejectFailedDeployment" if name in DEPLOY_STEPS else "NotifyFailure"
    assert state["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": target}]


def test_a_failed_deployment_rejects_the_package_then_notifies(states):
    assert states["EndpointFailed"]["Next"] == "RejectFailedDeployment"
    reject = states["RejectFailedDeployment"]
    assert reject["Parameters"]["ModelApprovalStatus"] == "Rejected" and reject["Next"] == "NotifyFailure"


def test_sagemaker_retries_name_errors_the_way_each_integration_reports_them(states):
    """Optimized integrations report SageMaker.AmazonSageMakerException; AWS SDK ones SageMaker.<Code>Exception."""
    for name, state in states.items():
        if state["Type"] != "Task" or ":sagemaker:" not in state["Resource"]:
            continue
        retried = state["Retry"][0]["ErrorEquals"]
        if ":aws-sdk:sagemaker:" in state["Resource"]:
            assert "SageMaker.ThrottlingException" in retried, name
            assert "SageMaker.AmazonSageMakerException" not in retried, name
            assert all(error.endswith("Exception") for error in retried), name
        else:
            assert retried == ["SageMaker.AmazonSageMakerException"], name


def test_every_task_has_a_catch(states):
    uncaught = [name for name, s in states.items() if s["Type"] == "Task" and not s.get("Catch")]
    assert uncaught == []
    assert states["NotifyFailure"]["Next"] == "PipelineFailed"
    assert states["PipelineFailed"]["Type"] == "Fail"


def test_order_of_the_happy_path(definition, states):
    assert definition["StartAt"] == "RunPaths"
    assert states["RunPaths"]["Next"] == "MeasureData" and states["MeasureData"]["Next"] == "ValidateWhere"
    assert states["ValidateWhere"]["Default"] == "ValidateData"  # small data; large: tests/infra/test_job_resources.py
    assert states["ValidateData"]["Next"] == "Train"
    assert states["Evaluate"]["Next"] == "QualityGate"
    assert states["GatePassed"]["Choices"][0]["Next"] == "RetainModel"
    assert states["RetainModel"]["Next"] == "RetainBaseline" and states["RetainBaseline"]["Next"] == "Register"
    assert states["GatePassed"]["Default"] == "RegisterRejected"
    assert states["SmokeTestPassed"]["Choices"][0]["Next"] == "ApproveModel"
    assert states["CanRollBack"]["Choices"][0]["Next"] == "RollBack"
    assert states["CanRollBack"]["Default"] == "DeleteNewEndpoint"
    assert states["ApproveModel"]["Parameters"]["ModelApprovalStatus"] == "Approved"
    assert states["ApproveModel"]["Next"] == "RecordDeployment"
    assert states["RecordDeployment"]["Next"] == "NotifySuccess"


def test_training_job_runs_train_py_in_script_mode_on_the_sklearn_image(states):
    train = states["Train"]
    assert train["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    params = train["Parameters"]
    assert "sagemaker-scikit-learn:1.4-2-cpu-py3" in params["AlgorithmSpecification"]["TrainingImage"]
    hyper = params["HyperParameters"]
    config = load_config("slipstream.toml")
    # The training toolkit json.loads each value, then passes it as `--<key> <value>`.
    assert json.loads(hyper["sagemaker_program"]) == "train.py"
    assert json.loads(json.loads(hyper["params"])) == config.model.params
    assert json.loads(hyper["target"]) == config.data.target
    assert json.loads(hyper["estimator"]) == config.model.estimator
    assert json.loads(hyper["seed"]) == config.data.seed
    assert params["InputDataConfig"][0]["ChannelName"] == "train"
    assert params["TrainingJobName.$"].startswith("States.Format('breast-cancer-dev-{}-train'")


def test_the_train_channel_declares_the_split_files_validate_data_writes(states):
    """The channel's ContentType, the objects' ContentType (lambdas/validate_data) and the file the job reads."""
    from dataset_io import SUFFIXES

    from slipstream import layout

    channel = states["Train"]["Parameters"]["InputDataConfig"][0]
    assert channel["ContentType"] == layout.CHANNEL_CONTENT_TYPE == "application/x-parquet"
    assert layout.TRAIN_FILE.startswith(layout.TRAIN_CHANNEL) and layout.TRAIN_FILE.endswith(".parquet")
    assert PurePosixPath(layout.TRAIN_FILE).suffix in SUFFIXES and PurePosixPath(layout.TEST_FILE).suffix in SUFFIXES


def test_training_job_enters_through_the_toolkit_that_keeps_the_scripts_failure_reason(states):
    """The image's own `train` (sagemaker-containers) overwrites /opt/ml/output/failure with a traceback;
    the toolkit's trainer keeps the script's reason."""
    spec = states["Train"]["Parameters"]["AlgorithmSpecification"]
    assert spec["ContainerEntrypoint"] == ["python3", "-m", "sagemaker_training.cli.train"]
    assert spec["TrainingInputMode"] == "File"
    assert states["Train"]["Retry"] and states["Train"]["Catch"]


def test_the_state_machine_may_run_watch_and_stop_training_jobs(synthesized):
    """Train is a CustomState (CDK's task has no ContainerEntrypoint): its grants are CDK's task's own."""
    template = synthesized.templates["pipeline"]
    machine_role = next(
        r["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    )
    statements = [
        statement
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": machine_role} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for statement in statements for a in _actions(statement)}
    assert {"sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"} <= actions
    assert {"events:PutRule", "events:PutTargets", "events:DescribeRule", "iam:PassRole"} <= actions
    assert "StepFunctionsGetEventsForSageMakerTrainingJobsRule" in json.dumps(statements)


def test_evaluation_is_a_processing_job_running_evaluate_py(states):
    evaluate = states["Evaluate"]
    assert evaluate["Resource"].endswith(":states:::sagemaker:createProcessingJob.sync")
    spec = evaluate["Parameters"]["AppSpecification"]
    assert "python3 evaluate.py" in spec["ContainerEntrypoint"][2]
    champion = states["EvaluateAgainstChampion"]["Parameters"]
    assert "--champion-model-dir" in champion["arguments"]
    assert "--champion-model-dir" not in states["EvaluateWithoutChampion"]["Parameters"]["arguments"]
    assert {i["InputName"] for i in champion["inputs"]} == {"model", "test", "config", "code", "champion"}


def test_endpoint_config_is_serverless(states):
    variant = states["CreateEndpointConfig"]["Parameters"]["ProductionVariants"][0]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert "InstanceType" not in variant


def test_register_puts_the_evaluation_in_the_model_package(states):
    params = states["Register"]["Parameters"]
    assert params["ModelPackageGroupName"] == "breast-cancer-dev"
    assert params["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri.$"] == "$.paths.evaluation_uri"
    assert params["ModelApprovalStatus"] == "PendingManualApproval"
    version = states["Register"]["ResultSelector"]["version.$"]
    assert version == "States.ArrayGetItem(States.StringSplit($.ModelPackageArn, '/'), 2)"


def test_a_gate_rejection_registers_the_model_as_rejected(states):
    """ADR 0004: every evaluated model is registered, as the local runner does."""
    assert states["GatePassed"]["Default"] == "RegisterRejected"
    rejected, passed = states["RegisterRejected"]["Parameters"], states["Register"]["Parameters"]
    assert rejected["ModelApprovalStatus"] == "Rejected" and rejected["ModelMetrics"] == passed["ModelMetrics"]
    assert states["RegisterRejected"]["Next"] == "NotifyChampionKept"


def test_the_endpoint_model_carries_its_version(states):
    environment = states["CreateModel"]["Parameters"]["PrimaryContainer"]["Environment"]
    assert environment["SLIPSTREAM_MODEL_VERSION.$"] == "$.registered.version"
    assert environment["OMP_NUM_THREADS"] == "1"


def test_the_endpoint_model_is_the_package_container_not_the_still_pending_package(states):
    """SageMaker deploys a versioned package only once Approved, and ours is approved after its smoke test:
    CreateModel repeats the package's image, archive and environment instead of naming the package."""
    container = states["CreateModel"]["Parameters"]["PrimaryContainer"]
    (registered,) = states["Register"]["Parameters"]["InferenceSpecification"]["Containers"]
    assert "ModelPackageName" not in container and "ModelPackageName.$" not in container
    assert container["Image"] == registered["Image"]
    assert container["ModelDataUrl.$"] == registered["ModelDataUrl.$"] == "$.paths.retained_model_uri"
    assert {k: v for k, v in container["Environment"].items() if k != "SLIPSTREAM_MODEL_VERSION.$"} == registered[
        "Environment"
    ]
    assert states["SmokeTestPassed"]["Choices"][0]["Next"] == "ApproveModel"


def test_rollback_restores_the_config_that_was_serving_and_waits_for_it(states):
    assert states["RollBack"]["Parameters"]["EndpointConfigName.$"] == "$.previous.config_name"
    ready = states["EndpointReady"]
    assert ready["Choices"][0]["Next"] == "SmokeTest" and ready["Default"] == "WaitForEndpoint"
    rolled_back = states["RolledBackReady"]
    assert rolled_back["Choices"][0]["Next"] == "NotifyRolledBack" and rolled_back["Default"] == "WaitForRollBack"
    assert {"Variable": "$.endpoint.config_name", "StringEqualsPath": "$.previous.config_name"} in rolled_back[
        "Choices"
    ][0]["And"]
    assert rolled_back["Choices"][1]["Next"] == "RollBackFailed"


def test_every_reader_and_the_writer_of_the_deployment_record_agree_on_its_uri(synthesized):
    uris = {}
    for key, template in synthesized.templates.items():
        for logical, resource in template["Resources"].items():
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            if resource["Type"] == "AWS::Lambda::Function" and "DEPLOYMENT_URI" in variables:
                uris[f"{key}/{logical}"] = json.dumps(variables["DEPLOYMENT_URI"], sort_keys=True)
    assert {name.split("/")[0] for name in uris} >= {"pipeline", "serving", "monitoring"}
    assert len(set(uris.values())) == 1, uris
    assert "deployment/deployment.json" in next(iter(uris.values()))


def test_state_machine_logs_and_traces(synthesized):
    Template.from_json(synthesized.templates["pipeline"]).has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {"TracingConfiguration": {"Enabled": True}, "LoggingConfiguration": Match.object_like({"Level": "ALL"})},
    )


def _role_id(template: dict, logical_prefix: str) -> str:
    """The one role whose logical ID starts with `logical_prefix` (its construct's ID)."""
    (role_id,) = [
        k for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role" and k.startswith(logical_prefix)
    ]
    return role_id


def _s3_grants(template: dict, role_id: str) -> list[tuple[str, str]]:
    return sorted(
        (action, json.dumps(resource))
        for statement in _policy_statements(template, role_id)
        for action in _actions(statement)
        if action.startswith("s3:")
        for resource in _resources(statement)
    )


def test_sagemaker_role_is_scoped_to_run_folders(synthesized):
    """The training, evaluation and serving containers' role: runs/ (read, write), models/ (read), nothing of the
    uploaded data or the stored contract (those are the ValidateData job's, on its own role)."""
    template = synthesized.templates["pipeline"]
    role_id = _role_id(template, "SageMakerRole")
    for statement in _policy_statements(template, role_id):
        resources = _resources(statement)
        text = json.dumps(resources)
        assert "/contract/" not in text and "data-bucket-arn" not in text, statement
        if any(a.startswith("s3:Put") for a in _actions(statement)) and "artifact-bucket-arn" in text:
            assert "/runs/*" in text, text
            assert not any(a.startswith("s3:Delete") for a in _actions(statement))
        if resources == ["*"]:
            assert _actions(statement) == ["cloudwatch:PutMetricData"] and "Condition" in statement


def test_the_validation_job_has_a_role_of_its_own_reading_the_data_and_keeping_the_contract(synthesized, states):
    template = synthesized.templates["pipeline"]
    role_id = _role_id(template, "ValidationJobRole")
    bucket = {"Fn::ImportValue": "breast-cancer-dev-storage-artifact-bucket-arn"}
    data = {"Fn::ImportValue": "breast-cancer-dev-storage-data-bucket-arn"}
    grants = [(a, r) for a, r in _s3_grants(template, role_id) if "cdk-" not in r]  # less the code asset's read
    on = {name: json.dumps({"Fn::Join": ["", [where, f"/{prefix}/*"]]}) for name, where, prefix in
          (("contract", bucket, "contract"), ("runs", bucket, "runs"), ("data", data, "incoming"))}  # fmt: skip

    def allows(action: str, where: str) -> bool:  # as IAM reads CDK's s3:GetObject*
        return any(fnmatchcase(action, a) for a, r in grants if r == where)

    assert allows("s3:GetObject", on["data"]) and not allows("s3:PutObject", on["data"])
    assert allows("s3:GetObject", on["contract"]) and allows("s3:PutObject", on["contract"])
    assert allows("s3:PutObject", on["runs"]) and not allows("s3:GetObject", on["runs"])
    assert not any(a.startswith("s3:Delete") for a, _ in grants)
    assert {r for _, r in grants} <= {*on.values(), json.dumps(bucket), json.dumps(data)}
    assert states["ValidateDataJob"]["Parameters"]["RoleArn"] == f"<GetAtt:{role_id}>"
    passed = [
        s["Resource"]
        for s in _policy_statements(template, _role_id(template, "TrainingPipelineRole"))
        if "iam:PassRole" in _actions(s)
    ]
    assert {"Fn::GetAtt": [role_id, "Arn"]} in passed


def test_a_deployable_model_is_copied_out_of_its_expiring_run_folder(states):
    """The package (hence CreateModel and the champion evaluation) names models/<run id>/model.tar.gz, and the
    deployment record the baseline beside it: runs/ expires, a serverless endpoint reloads its model any time."""
    for name, target in (("RetainModel", "model.tar.gz"), ("RetainBaseline", "baseline.json")):
        state = states[name]
        assert state["Resource"].endswith(":states:::aws-sdk:s3:copyObject")
        params = state["Parameters"]
        assert "/runs/{}/" in json.dumps(params["CopySource.$"]) and params["Key.$"].startswith(
            f"States.Format('models/{{}}/{target}'"
        )
        assert state["Retry"][0]["ErrorEquals"] == [
            "S3.SlowDownException",
            "S3.InternalErrorException",
            "S3.ServiceUnavailableException",
        ]
    container = states["Register"]["Parameters"]["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl.$"] == "$.paths.retained_model_uri"
    assert "models/{}/model.tar.gz" in json.dumps(states["RunPaths"]["Parameters"]["retained_model_uri.$"])
    rejected = states["RegisterRejected"]["Parameters"]["InferenceSpecification"]["Containers"][0]
    assert rejected["ModelDataUrl.$"] == "$.training.model_data_url"  # never serves: expires with its run
    assert states["RecordDeployment"]["Parameters"]["baseline_uri.$"] == "$.paths.retained_baseline_uri"


def _policy_statements(template: dict, role_id: str) -> list[dict]:
    return [
        statement
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]


def _resources(statement: dict) -> list:
    return statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]


def test_the_state_machine_reads_runs_and_its_data_and_writes_models_only(synthesized):
    """The copies (RetainModel, RetainBaseline) read runs/ and write models/; routing ValidateData reads the
    data's size, whether a contract is stored (ListBucket, limited by an s3:prefix condition elsewhere) and the
    processing job's answer."""
    template = synthesized.templates["pipeline"]
    role_id = next(
        k
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and "states.amazonaws.com" in json.dumps(r)
    )
    bucket = {"Fn::ImportValue": "breast-cancer-dev-storage-artifact-bucket-arn"}
    s3_grants = sorted(
        (action, json.dumps(resource))
        for statement in _policy_statements(template, role_id)
        for action in _actions(statement)
        if action.startswith("s3:")
        for resource in _resources(statement)
    )
    data = {"Fn::ImportValue": "breast-cancer-dev-storage-data-bucket-arn"}
    assert s3_grants == [
        ("s3:GetObject", json.dumps({"Fn::Join": ["", [bucket, "/runs/*"]]})),
        ("s3:GetObject", json.dumps({"Fn::Join": ["", [bucket, "/runs/*/validation-output.json"]]})),
        ("s3:GetObject", json.dumps({"Fn::Join": ["", [data, "/incoming/*"]]})),
        ("s3:ListBucket", json.dumps(bucket)),
        ("s3:PutObject", json.dumps({"Fn::Join": ["", [bucket, "/models/*"]]})),
    ]


def test_sagemaker_role_reads_but_never_writes_retained_models(synthesized):
    template = synthesized.templates["pipeline"]
    role_id = _role_id(template, "SageMakerRole")
    statements = _policy_statements(template, role_id)
    on_models = [s for s in statements if "/models/*" in json.dumps(s["Resource"])]
    assert on_models and all(
        a.startswith(("s3:GetObject", "s3:GetBucket", "s3:List")) for s in on_models for a in _actions(s)
    )


def _actions(statement):
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_lambdas_use_the_shared_construct_defaults(synthesized):
    functions = Template.from_json(synthesized.templates["pipeline"]).find_resources("AWS::Lambda::Function")
    assert len(functions) == 5
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Architectures"] == ["arm64"] and props["Runtime"] == "python3.11"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["Handler"].startswith("lambdas.") and props["Handler"].endswith(".handler.handler")
    roles = {json.dumps(fn["Properties"]["Role"]) for fn in functions.values()}
    assert len(roles) == 5, "one role per function"


def test_config_reaches_lambdas_as_one_json_variable(synthesized):

    functions = Template.from_json(synthesized.templates["pipeline"]).find_resources("AWS::Lambda::Function")
    validate = next(f for f in functions.values() if "validate_data" in f["Properties"]["Handler"])
    raw = json.loads(validate["Properties"]["Environment"]["Variables"]["SLIPSTREAM_CONFIG"])
    assert parse_config(raw, base_dir=load_config("slipstream.toml").base_dir) == load_config("slipstream.toml")


def test_triggers_new_data_and_schedule(synthesized):
    template = Template.from_json(synthesized.templates["pipeline"])
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": Match.object_like({"object": {"key": [{"prefix": "incoming/"}]}}),
                }
            )
        },
    )
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(7 days)"})


def test_retraining_rule_matches_the_champion_drift_and_quality_alarms_the_monitoring_stack_names(synthesized):
    """The rule cannot reference the alarms (the monitoring stack depends on this one): it matches their names,
    which must be those of the synthesized alarms `[retraining] on` selects (drift, quality in slipstream.toml)."""
    pipeline, monitoring = synthesized.templates["pipeline"], synthesized.templates["monitoring"]
    (rule,) = [
        r["Properties"]
        for r in pipeline["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        and r["Properties"].get("EventPattern", {}).get("source") == ["aws.cloudwatch"]
    ]
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["CloudWatch Alarm State Change"] and pattern["detail"]["state"] == {
        "value": ["ALARM"]
    }
    alarms = {
        r["Properties"]["AlarmName"]: r["Properties"]["MetricName"]
        for r in monitoring["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    retraining = {"DriftedFeatures", "PredictionDrifted", "LiveAccuracy"}
    selected = {name for name, metric in alarms.items() if metric in retraining and "-champion-" in name}
    assert sorted(pattern["detail"]["alarmName"]) == sorted(selected) and len(selected) == 3
    start_id, start = next(
        (k, r["Properties"])
        for k, r in pipeline["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"].startswith("lambdas.start_pipeline")
    )
    assert start["Environment"]["Variables"]["RETRAIN_COOLDOWN_HOURS"] == "24"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [start_id, "Arn"]}


ALLOWED_ON_STAR = {  # actions without resource-level permissions, the only ones allowed on "*"
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "sagemaker:ListModelPackages",
    "sagemaker:ListEndpoints",
    "sagemaker:ListTags",
    "cloudwatch:PutMetricData",
    # Step Functions' vended log delivery (CDK adds these for state machine logging)
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
ALLOWED_ON_STAR_LOWER = {action.lower() for action in ALLOWED_ON_STAR}


def test_no_star_resource_except_for_actions_without_resource_permissions(synthesized):
    for template in synthesized.templates.values():
        for policy in Template.from_json(template).find_resources("AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Resource"] in ("*", ["*"]):
                    assert {a.lower() for a in _actions(statement)} <= ALLOWED_ON_STAR_LOWER, statement
