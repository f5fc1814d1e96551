"""The scenario matrix: configs and inputs a user will try, each run through the synthesized state
machine in a fresh emulated account, asserting the path taken and what it left behind. The bundled config's
branches are in test_branches.py and two consecutive runs in one (saved) account in test_saved_account.py.

Each scenario once failed on AWS in a way the emulation did not catch (ignore_columns, data_prefix, a long
name); the odd object key is test_object_keys.py.
"""

from __future__ import annotations

import pytest

from tests.statemachine.matrix import Scenario, assert_first_deployment, diabetes_with_categories_and_gaps, run_scenario
from tests.statemachine.scenarios import Outcome

# Each scenario has a config, a synthesis and an account of its own: no xdist group, so `pytest -n 2` spreads
# the scenarios over both workers. Every one runs the whole state machine: slow.
pytestmark = pytest.mark.slow

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
retrain = true  # the longest names of the training path, in every stage (staging and prod promote by default)
[stages.prod]
github_repository = "acme/models"
retrain = true
"""


def check_regression(outcomes: dict[str, Outcome]) -> None:
    run = outcomes["dev"]
    assert_first_deployment(run, project="diabetes-progression")
    assert isinstance(run.answer["predictions"][0], float) and "probabilities" not in run.answer
    assert run.record["champion"]["metrics"]["r2"] > 0.2 and "rmse" in run.record["champion"]["metrics"]


def check_multiclass_via_cloud_run(outcomes: dict[str, Outcome]) -> None:
    """A multiclass model, started the way the deploy workflow starts a run: cloud_run uploads the data under
    the stage's own data_prefix and the S3 trigger starts the execution."""
    run = outcomes["dev"]
    assert run.status != "NOT_STARTED", run.end["cause"]
    assert run.run_id.startswith("data-") and run.end["cloud_run_exit"] == 0  # named by the trigger, from the ETag
    package = assert_first_deployment(run, project="iris-species")
    assert "/landing/iris/iris-species-" in package["CustomerMetadataProperties"]["data.source"]
    (probabilities,) = run.answer["probabilities"]
    assert set(probabilities) == {"setosa", "versicolor", "virginica"}
    assert run.answer["predictions"][0] == max(probabilities, key=probabilities.get)
    assert run.record["champion"]["metrics"]["roc_auc"] > 0.75


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
    pytest.param(
        Scenario("multiclass", MULTICLASS, via_cloud_run=True),
        check_multiclass_via_cloud_run,
        id="multiclass-data-prefix-via-cloud-run",
    ),
    pytest.param(
        Scenario("max-name", MAX_LENGTH_NAME, stages=("dev", "staging", "prod")),
        check_every_stage,
        id="max-length-name-every-stage",
    ),
]


@pytest.mark.parametrize(("scenario", "check"), SCENARIOS)
def test_scenario(scenario, check, tmp_path):
    check(run_scenario(scenario, tmp_path))
