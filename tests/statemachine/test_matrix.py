"""The scenario matrix: configs and inputs a user will try, each run through the synthesized state
machine in a fresh emulated account, asserting the path taken and what it left behind. The bundled config's
branches are in test_branches.py and two consecutive runs in one (saved) account in test_saved_account.py.

Each scenario once failed on AWS in a way the emulation did not catch (ignore_columns, an odd object key,
data_prefix, a long name).
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.statemachine.conftest import REPO
from tests.statemachine.matrix import Scenario, diabetes_with_categories_and_gaps, run_scenario
from tests.statemachine.scenarios import Outcome

# Its own configs and syntheses: under `pytest -n 2` it runs beside the bundled config's group, not after it.
pytestmark = pytest.mark.xdist_group("statemachine-matrix")

DEPLOYED_TAIL = ["SmokeTest", "SmokeTestPassed", "ApproveModel", "RecordDeployment", "NotifySuccess", "Deployed"]
NAME_48 = "a-project-name-of-the-maximum-length-48-chars-ok"
assert len(NAME_48) == 48

REGRESSION = """
name = "diabetes-progression"
[data]
source = "data.csv"
target = "progression"
task = "regression"
ignore_columns = ["patient_id"]
[model]
estimator = "sklearn.linear_model.Ridge"
[gate]
metric = "r2"
threshold = 0.2
"""
MULTICLASS = """
name = "iris-species"
[data]
source = "sklearn:iris"
target = "species"
task = "classification"
[model]
estimator = "sklearn.linear_model.LogisticRegression"
params = { max_iter = 500 }
[stages.dev]
data_prefix = "landing/iris/"
"""
MAX_LENGTH_NAME = f"""
name = "{NAME_48}"
[data]
source = "sklearn:breast_cancer"
target = "diagnosis"
task = "classification"
[stages.dev]
github_repository = "acme/models"
[stages.staging]
github_repository = "acme/models"
[stages.prod]
github_repository = "acme/models"
"""
ODD_KEY = "cohort-2024,v2 (final) & Bob's.csv"


def assert_first_deployment(run: Outcome, *, project: str, stage: str = "dev") -> dict[str, Any]:
    """A first run that deployed: package Approved with its lineage, a new endpoint serving version 1, the
    record naming the run, one "deployed" notification. Returns the package for scenario-specific checks."""
    assert run.status == "SUCCEEDED", [run.end, *(m.get("error") for m in run.notifications)]
    assert "CreateEndpoint" in run.path and run.path[-6:] == DEPLOYED_TAIL
    ((run_id, status),) = run.packages.items()
    package = run.package_details[run_id]
    assert status == "Approved" and run_id == run.run_id
    metadata = package["CustomerMetadataProperties"]
    assert metadata["gate"] == "passed" and len(metadata["data_sha256"]) == 64
    assert run.endpoint["EndpointName"] == f"{project}-{stage}" and run.endpoint["EndpointStatus"] == "InService"
    assert run.answer["model_version"] == "1" and len(run.answer["predictions"]) == 1
    assert run.record["champion"]["run_id"] == run_id and run.record["champion"]["version"] == "1"
    (message,) = run.notifications
    assert message["status"] == "deployed" and message["gate"]["passed"] is True
    return package


def check_regression(outcomes: dict[str, Outcome]) -> None:
    run = outcomes["dev"]
    assert_first_deployment(run, project="diabetes-progression")
    assert isinstance(run.answer["predictions"][0], float) and "probabilities" not in run.answer
    assert run.record["champion"]["metrics"]["r2"] > 0.2 and "rmse" in run.record["champion"]["metrics"]


def check_multiclass(outcomes: dict[str, Outcome]) -> None:
    run = outcomes["dev"]
    package = assert_first_deployment(run, project="iris-species")
    assert package["CustomerMetadataProperties"]["data"].endswith("/landing/iris/iris.csv")
    (probabilities,) = run.answer["probabilities"]
    assert set(probabilities) == {"setosa", "versicolor", "virginica"}
    assert run.answer["predictions"][0] == max(probabilities, key=probabilities.get)
    assert run.record["champion"]["metrics"]["roc_auc"] > 0.75


def check_odd_key(outcomes: dict[str, Outcome]) -> None:
    """An ordinary file name with punctuation: registered with metadata SageMaker accepts, lineage intact."""
    run = outcomes["dev"]
    package = assert_first_deployment(run, project="breast-cancer")
    for name, value in package["CustomerMetadataProperties"].items():
        assert len(value) <= 256 and all(map(_metadata_character, value)), f"{name}={value!r}"
    assert ODD_KEY in run.record["champion"]["model_card"]  # the card still names the data it was trained on


def _metadata_character(character: str) -> bool:
    r"""SageMaker's CustomerMetadataProperties value pattern: [\p{L}\p{Z}\p{N}_.:\/=+\-@]*."""
    kind = unicodedata.category(character)
    return kind.startswith(("L", "Z", "N")) or character in "_.:/=+-@"


def check_data_prefix_via_cloud_run(outcomes: dict[str, Outcome]) -> None:
    run = outcomes["dev"]
    assert run.status != "NOT_STARTED", run.end["cause"]
    assert run.run_id.startswith("data-") and run.end["cloud_run_exit"] == 0  # named by the trigger, from the ETag
    package = assert_first_deployment(run, project="iris-species")
    assert "/landing/iris/iris-species-" in package["CustomerMetadataProperties"]["data"]


def check_every_stage(outcomes: dict[str, Outcome]) -> None:
    assert set(outcomes) == {"dev", "staging", "prod"}
    for stage, run in outcomes.items():
        assert_first_deployment(run, project=NAME_48, stage=stage)


SCENARIOS = [
    pytest.param(
        Scenario("regression", REGRESSION, data=diabetes_with_categories_and_gaps),
        check_regression,
        id="regression-categorical-nans-ignore-columns",
    ),
    pytest.param(Scenario("multiclass", MULTICLASS), check_multiclass, id="multiclass"),
    pytest.param(
        Scenario("odd-key", (REPO / "slipstream.toml").read_text(encoding="utf-8"), key=ODD_KEY),
        check_odd_key,
        id="object-key-with-punctuation",
    ),
    pytest.param(
        Scenario("data-prefix", MULTICLASS, via_cloud_run=True),
        check_data_prefix_via_cloud_run,
        id="data-prefix-via-cloud-run",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        Scenario("max-name", MAX_LENGTH_NAME, stages=("dev", "staging", "prod")),
        check_every_stage,
        id="max-length-name-every-stage",
        marks=pytest.mark.slow,
    ),
]


@pytest.mark.parametrize(("scenario", "check"), SCENARIOS)
def test_scenario(scenario, check, tmp_path):
    check(run_scenario(scenario, tmp_path))
