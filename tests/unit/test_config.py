import json
from pathlib import Path

import pytest

from slipstream.config import load_config, parse_config
from slipstream.errors import ConfigError

MINIMAL = {"data": {"source": "data.csv", "target": "y", "task": "regression"}}


def _details(error: pytest.ExceptionInfo[ConfigError]) -> str:
    return "\n".join(error.value.details)


def test_bundled_default_config_loads(repo_root: Path) -> None:
    config = load_config(repo_root / "slipstream.toml")
    assert config.data.source == "sklearn:breast_cancer"
    assert (config.gate.metric, config.gate.threshold) == ("roc_auc", 0.95)  # the bundled file sets a bar
    assert len(config.behaviour.directional) == 2


def test_task_chooses_defaults(tmp_path: Path) -> None:
    config = parse_config(MINIMAL, base_dir=tmp_path)
    assert config.model.estimator == "sklearn.ensemble.HistGradientBoostingRegressor"
    # No default bar: a bare config is judged against the naive baseline and the champion (steps/gate.py).
    assert (config.gate.metric, config.gate.threshold, config.gate.champion) == ("r2", None, "not_worse")
    assert config.higher_is_better
    classification = parse_config({"data": {**MINIMAL["data"], "task": "classification"}}, base_dir=tmp_path)
    assert classification.model.params == {"max_iter": 1000}
    assert classification.gate.metric == "roc_auc"


def test_error_metric_is_lower_is_better(tmp_path: Path) -> None:
    config = parse_config({**MINIMAL, "gate": {"metric": "rmse"}}, base_dir=tmp_path)  # a metric needs no bar
    assert not config.higher_is_better and config.gate.threshold is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"data": {**MINIMAL["data"], "targte": "y"}}, "data.targte: unknown key"),
        ({"data": {**MINIMAL["data"], "test_size": 1.5}}, "data.test_size: Input should be less than 1"),
        ({"data": {**MINIMAL["data"], "task": "ranking"}}, "data.task: Input should be 'classification'"),
        ({"data": {"source": "d.csv", "task": "regression"}}, "data.target: Field required"),
        ({**MINIMAL, "gate": {"metric": "roc_auc", "threshold": 0.8}}, "'roc_auc' is not a regression metric"),
        ({**MINIMAL, "gate": {"champion": "same"}}, "gate.champion: Input should be 'not_worse' or 'better'"),
        ({**MINIMAL, "model": {"estimator": "not a path"}}, "model.estimator: String should match pattern"),
        (
            {**MINIMAL, "behaviour": {"directional": [{"feature": "x", "direction": "up"}]}},
            "behaviour.directional.0.direction",
        ),
        ({**MINIMAL, "behaviour": {"minimum_functionality": [{"name": "n", "instance": {}}]}}, "give `expected`"),
        ({**MINIMAL, "name": "has spaces"}, "name: String should match pattern"),
        ({**MINIMAL, "stages": {"qa": {}}}, "stages.qa"),
        # S3 encodes these in its events, so a trigger rule on the prefix would never match; `*` widens the grants.
        ({**MINIMAL, "stages": {"prod": {"data_prefix": "landing (eu)/"}}}, "stages.prod.data_prefix"),
        ({**MINIMAL, "stages": {"prod": {"data_prefix": "data*/"}}}, "stages.prod.data_prefix"),
        ({**MINIMAL, "stages": {"dev": {"data_prefix": "/incoming/"}}}, "stages.dev.data_prefix"),
    ],
)
def test_bad_config_names_the_key_and_reason(tmp_path: Path, raw: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, base_dir=tmp_path, source="slipstream.toml")
    assert expected in _details(error) or expected in str(error.value)
    assert error.value.exit_code == 2


def test_unreadable_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "slipstream.toml"
    path.write_text("[data\nsource = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")


def test_paths_resolve_beside_the_config(tmp_path: Path) -> None:
    config = parse_config({**MINIMAL, "state_dir": "state"}, base_dir=tmp_path)
    assert config.contract_path == tmp_path / "state" / "contract.json"
    assert config.tracking_uri == f"sqlite:///{tmp_path / 'state' / 'mlflow.db'}"


def test_stage_overrides_and_defaults(tmp_path: Path) -> None:
    config = parse_config({**MINIMAL, "stages": {"prod": {"serverless_memory_mb": 4096}}}, base_dir=tmp_path)
    assert config.stage("prod").serverless_memory_mb == 4096
    assert config.stage("dev").serverless_memory_mb == 2048
    with pytest.raises(ConfigError, match="unknown stage"):
        config.stage("qa")


def test_experiment_defaults_follow_the_task_and_gate(tmp_path: Path) -> None:
    classification = {"data": {**MINIMAL["data"], "task": "classification"}}
    staged = parse_config({**classification, "gate": {"promote": "challenger"}}, base_dir=tmp_path)
    assert (staged.experiment.metric, staged.experiment.minimum_effect) == ("accuracy", 0.02)
    assert staged.challenger_weight == 0.5 and not staged.experiment.lower_is_better
    assert parse_config(classification, base_dir=tmp_path).challenger_weight == 0.0  # no challenger, no A/B
    regression = parse_config(MINIMAL, base_dir=tmp_path)
    assert regression.experiment.metric == "absolute_error" and regression.experiment.lower_is_better


def test_experiment_metric_must_fit_the_task(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({**MINIMAL, "experiment": {"metric": "accuracy"}}, base_dir=tmp_path)
    assert "experiment.metric 'accuracy' is not a regression outcome" in _details(error)
    assert "absolute_error" in _details(error)


def test_regression_experiments_need_a_minimum_effect_in_target_units(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({**MINIMAL, "gate": {"promote": "challenger"}}, base_dir=tmp_path)
    assert "experiment.minimum_effect is required for 'absolute_error'" in _details(error)
    raw = {**MINIMAL, "gate": {"promote": "challenger"}, "experiment": {"minimum_effect": 0.5}}
    assert parse_config(raw, base_dir=tmp_path).experiment.minimum_effect == 0.5


def test_serving_challenger_weight_is_read_as_experiment_weight(tmp_path: Path) -> None:
    with pytest.warns(FutureWarning, match=r"write it as \[experiment\] weight"):
        config = parse_config({**MINIMAL, "serving": {"challenger_weight": 0.2, "port": 9000}}, base_dir=tmp_path)
    assert (config.experiment.weight, config.challenger_weight, config.serving.port) == (0.2, 0.2, 9000)
    with pytest.raises(ConfigError) as error:
        parse_config(
            {**MINIMAL, "serving": {"challenger_weight": 0.2}, "experiment": {"weight": 0.3}}, base_dir=tmp_path
        )
    assert "serving.challenger_weight and experiment.weight disagree" in _details(error)


def test_monitoring_psi_threshold_is_read_as_the_drift_effect_floor(tmp_path: Path) -> None:
    defaults = parse_config(MINIMAL, base_dir=tmp_path).monitoring
    assert (defaults.drift_alpha, defaults.drift_min_psi, defaults.psi_threshold) == (0.05, 0.2, 0.2)
    with pytest.warns(FutureWarning, match="write it as drift_min_psi"):
        config = parse_config({**MINIMAL, "monitoring": {"psi_threshold": 0.25}}, base_dir=tmp_path)
    assert (config.monitoring.drift_min_psi, config.monitoring.psi_threshold) == (0.25, 0.25)
    # Read back from its own dump (the Lambdas' SLIPSTREAM_CONFIG): the new name only, same value.
    assert "psi_threshold" not in config.monitoring.model_dump()
    with pytest.raises(ConfigError) as error:
        parse_config({**MINIMAL, "monitoring": {"psi_threshold": 0.2, "drift_min_psi": 0.1}}, base_dir=tmp_path)
    assert "psi_threshold (0.2) and drift_min_psi (0.1) disagree; keep only drift_min_psi" in _details(error)
    with pytest.raises(ConfigError) as error:
        parse_config({**MINIMAL, "monitoring": {"drift_alpha": 1.5}}, base_dir=tmp_path)
    assert "monitoring.drift_alpha" in _details(error)


@pytest.mark.parametrize(
    ("experiment", "key"),
    [
        ({"alpha": 0.5}, "experiment.alpha"),
        ({"weight": 1.5}, "experiment.weight"),
        ({"shadow_share": -0.1}, "experiment.shadow_share"),
    ],
)
def test_experiment_values_out_of_range_are_named(tmp_path: Path, experiment: dict[str, float], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({**MINIMAL, "experiment": experiment}, base_dir=tmp_path)
    assert key in _details(error)


def test_lambdas_receive_the_config_without_the_datadog_settings(tmp_path) -> None:
    import json

    from slipstream.config import load_config, parse_config

    path = tmp_path / "slipstream.toml"
    path.write_text(
        'name = "p"\n[data]\nsource = "sklearn:iris"\ntarget = "target"\ntask = "classification"\n'
        '[observability.datadog]\nenabled = true\n[stages.prod]\nregion = "eu-west-1"\n'
        '[stages.prod.datadog]\nsite = "datadoghq.eu"\n'
    )
    config = load_config(path)
    sent = json.loads(config.lambda_json())
    assert "observability" not in sent and "datadog" not in sent["stages"]["prod"]
    received = parse_config(sent, base_dir=tmp_path, source="SLIPSTREAM_CONFIG")
    assert received.stages["prod"].region == "eu-west-1" and received.gate == config.gate
    assert not received.observability.datadog.enabled  # the Lambdas never act on it


def test_the_lambdas_parse_back_the_same_config_from_its_non_default_values(repo_root) -> None:
    from slipstream.config import load_config, parse_config

    config = load_config(repo_root / "slipstream.toml")
    sent = config.lambda_json()
    assert len(sent) < len(config.model_dump_json()) / 1.5  # defaults do not travel
    assert parse_config(json.loads(sent), base_dir=config.base_dir, source="SLIPSTREAM_CONFIG") == config
