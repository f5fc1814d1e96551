"""`[tuning]`: a bad search space is refused before any trial runs, naming `tuning.space.<parameter>`."""

from pathlib import Path
from typing import Any

import pytest

from slipstream.config import parse_config
from slipstream.errors import ConfigError
from slipstream.estimator_check import check_estimator

DATA = {"source": "data.csv", "target": "y", "task": "classification"}
LOGISTIC = {"estimator": "sklearn.linear_model.LogisticRegression"}


def _config(space: dict[str, Any], model: dict[str, Any] | None = None, **tuning: Any) -> Any:
    raw = {"data": DATA, "model": model or LOGISTIC, "tuning": {"space": space, **tuning}}
    return parse_config(raw, base_dir=Path("."))


def _refusal(space: dict[str, Any], model: dict[str, Any] | None = None, **tuning: Any) -> str:
    with pytest.raises(ConfigError) as error:
        check_estimator(_config(space, model, **tuning))
    return "\n".join([error.value.message, *error.value.details])


def test_ranges_and_choices_parse_with_their_kinds() -> None:
    config = _config(
        {
            "C": {"low": 0.001, "high": 100.0, "log": True},
            "max_iter": {"low": 100, "high": 500},
            "solver": {"choices": ["lbfgs", "liblinear"]},
        }
    )
    space = config.tuning.space
    assert [space[n].kind for n in ("C", "max_iter", "solver")] == ["continuous", "integer", "categorical"]
    assert config.tuning.metric == "roc_auc"  # the gate's metric by default
    assert config.model.params == {}  # the estimator was named, so no Slipstream default params remain
    check_estimator(config)  # every bound and choice is one LogisticRegression accepts


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"low": 5, "high": 1}, "empty or inverted"),
        ({"low": 1.0, "high": 1.0}, "empty or inverted"),
        ({"low": 0.0, "high": 1.0, "log": True}, "needs low > 0"),
        ({"low": 1.0}, "needs both low and high"),
        ({"choices": []}, "choices is empty"),
        ({"choices": [1], "low": 0, "high": 2}, "not both"),
    ],
)
def test_a_malformed_entry_is_refused_at_its_path(entry: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigError) as error:
        _config({"C": entry})
    assert any(line.startswith("config: tuning.space.C:") and reason in line for line in error.value.details)


def test_an_unknown_parameter_is_named_with_the_estimators_own() -> None:
    text = _refusal({"alpha": {"low": 0.1, "high": 1.0}})
    assert "tuning.space.alpha: sklearn.linear_model.LogisticRegression has no parameter 'alpha'" in text
    assert "C, class_weight" in text


@pytest.mark.parametrize(
    ("space", "refused"),
    [
        ({"C": {"low": -1.0, "high": 1.0}}, "C=-1.0"),  # C must be > 0: sklearn's own constraint
        ({"solver": {"choices": ["lbfgs", "newton"]}}, "solver='newton'"),
        ({"max_iter": {"low": 1.5, "high": 9.5}}, "max_iter=1.5"),  # a float for an integer parameter
    ],
)
def test_a_value_the_estimator_refuses_is_named(space: dict[str, Any], refused: str) -> None:
    name = next(iter(space))
    text = _refusal(space)
    assert text.startswith(f"tuning.space.{name}: sklearn.linear_model.LogisticRegression refuses {refused}")


def test_a_parameter_fixed_in_model_params_cannot_be_searched() -> None:
    with pytest.raises(ConfigError) as error:
        _config({"C": {"low": 0.1, "high": 1.0}}, {**LOGISTIC, "params": {"C": 2.0}})
    assert "tuning.space.C: 'C' is also fixed in model.params" in "\n".join(error.value.details)


def test_a_slipstream_default_param_gives_way_to_the_search() -> None:
    raw = {"data": DATA, "tuning": {"space": {"max_iter": {"low": 200, "high": 2000}}}}
    config = parse_config(raw, base_dir=Path("."))
    assert "max_iter" not in config.model.params  # the default LogisticRegression's max_iter=1000 is searched instead


def test_the_metric_must_belong_to_the_task() -> None:
    with pytest.raises(ConfigError) as error:
        _config({"C": {"low": 0.1, "high": 1.0}}, metric="r2")
    assert "tuning.metric 'r2' is not a metric of this task" in "\n".join(error.value.details)


def test_a_space_too_large_for_a_sagemaker_hyperparameter_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        _config({"solver": {"choices": [f"choice-{i:04d}-padding" for i in range(150)]}})
    assert "too large to travel as a SageMaker hyperparameter" in "\n".join(error.value.details)


def test_choices_that_read_the_same_as_text_are_refused() -> None:
    with pytest.raises(ConfigError) as error:
        _config({"tol": {"choices": [1, "1"]}})
    assert any(line.startswith("config: tuning.space.tol:") for line in error.value.details)
