"""The scenario matrix: configs and inputs a user will try, each run through the synthesized state
machine in a fresh emulated account, asserting the path taken and what it left behind. The bundled config's
branches are in test_branches.py and two consecutive runs in one (saved) account in test_saved_account.py.

Each scenario once failed on AWS in a way the emulation did not catch (ignore_columns, data_prefix, a long
name); the odd object key is test_object_keys.py.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from slipstream.steps.run_ids import MAX_RUN_ID_LENGTH, run_id_for_forced_retrain
from tests.statemachine.matrix import (
    SAGEMAKER_NAME_FIELDS,
    Ran,
    Scenario,
    assert_first_deployment,
    diabetes_with_categories_and_gaps,
    run_scenario,
    sagemaker_names,
)

# Each scenario has a config, an account and a synthesis per stage of its own: no xdist group, so `pytest -n 2` spreads
# the scenarios over both workers. Every one runs the whole state machine: slow.
pytestmark = pytest.mark.slow

NAME_48 = "a-project-name-of-the-maximum-length-48-chars-ok"
assert len(NAME_48) == 48
# The longest run id the pipeline makes (a forced retrain's), so the run's SageMaker names are the longest.
LONGEST_RUN_ID = run_id_for_forced_retrain(datetime(2026, 12, 31, 23, 59), "f" * 32)
assert len(LONGEST_RUN_ID) == MAX_RUN_ID_LENGTH
SAGEMAKER_NAME_LIMIT = 63  # CreateTrainingJob, CreateModel, CreateEndpointConfig, CreateEndpoint: [a-zA-Z0-9-]{1,63}

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


def check_regression(ran: Ran) -> None:
    run = ran.outcomes["dev"]
    assert_first_deployment(run, project="diabetes-progression")
    assert isinstance(run.answer["predictions"][0], float) and "probabilities" not in run.answer
    assert run.record["champion"]["metrics"]["r2"] > 0.2 and "rmse" in run.record["champion"]["metrics"]


def check_multiclass_via_cloud_run(ran: Ran) -> None:
    """A multiclass model, started the way the deploy workflow starts a run: cloud_run uploads the data under
    the stage's own data_prefix and the S3 trigger starts the execution."""
    run = ran.outcomes["dev"]
    assert run.status != "NOT_STARTED", run.end["cause"]
    assert run.run_id.startswith("data-") and run.end["cloud_run_exit"] == 0  # named by the trigger, from the ETag
    package = assert_first_deployment(run, project="iris-species")
    assert "/landing/iris/iris-species-" in package["CustomerMetadataProperties"]["data.source"]
    (probabilities,) = run.answer["probabilities"]
    assert set(probabilities) == {"setosa", "versicolor", "virginica"}
    assert run.answer["predictions"][0] == max(probabilities, key=probabilities.get)
    assert run.record["champion"]["metrics"]["roc_auc"] > 0.75


def check_every_stage(ran: Ran) -> None:
    """Every stage's stacks deploy in one account with their own names; the run in staging (the longest stage
    name) with the longest run id makes the longest name of each kind. The per-run SageMaker names are
    `<job prefix>-<run id><suffix>` with the job prefix cut to the same length in every stage for a 48-character
    project (cdk/shared/settings.py), and the endpoint is `<name>-<stage>`: shorter in dev and prod, so one
    execution covers the three stages' run-time names."""
    assert set(ran.names) == {"dev", "staging", "prod"}
    for name in ran.names["dev"]:
        values = {stage: names[name] for stage, names in ran.names.items()}
        assert len(set(values.values())) == 3, (name, values)  # one account: no two stages share a name
    (run,) = ran.outcomes.values()
    assert_first_deployment(run, project=NAME_48, stage="staging")
    assert run.run_id == LONGEST_RUN_ID
    names = sagemaker_names(run)
    assert set(names) == set(SAGEMAKER_NAME_FIELDS), names
    lengths = {value: len(value) for values in names.values() for value in values}
    assert max(lengths.values()) == SAGEMAKER_NAME_LIMIT, lengths  # the training job's: the limit is reached
    assert all(length <= SAGEMAKER_NAME_LIMIT for length in lengths.values()), lengths


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
        Scenario(
            "max-name", MAX_LENGTH_NAME, stages=("dev", "staging", "prod"), executed=("staging",), run_id=LONGEST_RUN_ID
        ),
        check_every_stage,
        id="max-length-name-every-stage",
    ),
]


@pytest.mark.parametrize(("scenario", "check"), SCENARIOS)
def test_scenario(scenario, check, tmp_path):
    check(run_scenario(scenario, tmp_path))
