"""`slipstream run` checks [model] and [tuning.space] with the SageMaker image's scikit-learn (1.4.2), which fits
the model, not the laptop's (1.9): the two disagree on some values, in both directions."""

from pathlib import Path
from typing import Any

import pytest

from slipstream.config import parse_config
from slipstream.errors import ConfigError
from slipstream.estimator_check import check_estimator
from slipstream.local.image_check import check_estimator_in_image

DATA = {"source": "data.csv", "target": "y", "task": "classification"}
FOREST = {"estimator": "sklearn.ensemble.RandomForestClassifier"}
LOGISTIC = {"estimator": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500}}


def _config(model: dict[str, Any], space: dict[str, Any] | None = None) -> Any:
    raw = {"data": DATA, "model": model, **({"tuning": {"space": space}} if space else {})}
    return parse_config(raw, base_dir=Path("."))


def test_a_value_only_the_laptops_scikit_learn_accepts_is_refused_before_any_trial() -> None:
    # max_samples: a float in (0, 1] in 1.4.2's _parameter_constraints, (0, inf) in 1.9's.
    config = _config(FOREST, {"max_samples": {"low": 0.5, "high": 1.5}})
    check_estimator(config)  # the laptop's scikit-learn takes 1.5
    with pytest.raises(ConfigError) as error:
        check_estimator_in_image(config)
    message = error.value.message
    assert message.startswith("tuning.space.max_samples: sklearn.ensemble.RandomForestClassifier refuses")
    assert "max_samples=1.5" in message and "scikit-learn 1.4.2" in message


def test_a_parameter_only_the_images_scikit_learn_has_is_accepted() -> None:
    config = _config(LOGISTIC, {"multi_class": {"choices": ["ovr", "multinomial"]}})
    with pytest.raises(ConfigError, match="has no parameter 'multi_class'"):
        check_estimator(config)  # removed from scikit-learn after 1.4
    check_estimator_in_image(config)


def test_model_params_the_image_refuses_are_named() -> None:
    with pytest.raises(ConfigError) as error:
        check_estimator_in_image(_config({**FOREST, "params": {"max_samples": 2.0}}))
    assert error.value.message.startswith("model.params: sklearn.ensemble.RandomForestClassifier refuses")


def test_a_passed_check_is_not_run_again_until_the_request_changes(tmp_path, monkeypatch) -> None:
    from slipstream.local import image_check

    monkeypatch.setattr(image_check, "PASSED_DIR", tmp_path)
    started: list[dict] = []
    run_check = image_check._run_check
    monkeypatch.setattr(
        image_check, "_run_check", lambda python, request: (started.append(request), run_check(python, request))
    )
    config = _config(LOGISTIC)
    check_estimator_in_image(config)
    check_estimator_in_image(config)
    assert len(started) == 1 and len(list(tmp_path.iterdir())) == 1
    check_estimator_in_image(_config({**LOGISTIC, "params": {"max_iter": 600}}))
    assert len(started) == 2
    refused = _config({**FOREST, "params": {"max_samples": 2.0}})
    for _ in range(2):  # a refusal is never remembered
        with pytest.raises(ConfigError):
            check_estimator_in_image(refused)
    assert len(started) == 4 and len(list(tmp_path.iterdir())) == 2
