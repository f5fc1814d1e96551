"""Train step: the SageMaker model layout, quality on held-out data, determinism, mixed feature types."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from tests.model.model_suite import LOGISTIC, TRAINING_DIR, Split, load_module, train_in_process


def test_train_script_writes_the_sagemaker_model_layout(lr_run, lr_model: Path) -> None:
    root, completed = lr_run
    assert sorted(p.relative_to(lr_model).as_posix() for p in lr_model.rglob("*") if p.is_file()) == [
        "code/inference.py",
        "code/requirements.txt",
        "metadata.json",
        "model.joblib",
    ]
    # the copy is the sourcedir's inference.py, byte for byte
    assert (lr_model / "code" / "inference.py").read_bytes() == (root / "code" / "inference.py").read_bytes()
    train_metrics = json.loads((root / "output" / "data" / "train_metrics.json").read_text())
    assert train_metrics["n_train_rows"] == 426 and train_metrics["metrics"]["accuracy"] > 0.95
    assert "trained on 426 rows" in completed.stdout


def test_metadata_describes_features_classes_and_provenance(lr_model: Path, cancer: Split) -> None:
    metadata = json.loads((lr_model / "metadata.json").read_text())
    assert metadata["task"] == "classification" and metadata["target"] == "target"
    assert [f["name"] for f in metadata["features"]] == [c for c in cancer.train.columns if c != "target"]
    assert {f["kind"] for f in metadata["features"]} == {"numeric"}
    assert metadata["classes"] == ["benign", "malignant"]
    assert metadata["estimator"] == LOGISTIC and metadata["params"] == {"C": 1.0, "max_iter": 1000}
    assert metadata["seed"] == 42 and metadata["n_train_rows"] == 426
    assert metadata["trained_at"].endswith("+00:00") and metadata["sklearn_version"]
    shares = cancer.train["target"].value_counts(normalize=True)  # the gate's naive baseline, from training data
    assert metadata["baseline"]["priors"] == pytest.approx(shares.to_dict())


def test_logistic_regression_separates_held_out_tumours(lr_model_here: Path, cancer: Split) -> None:
    pipeline = joblib.load(lr_model_here / "model.joblib")
    features = cancer.test.drop(columns="target").to_numpy(dtype=float)  # the model's input: features in order
    malignant = list(pipeline.classes_).index("malignant")
    auc = roc_auc_score(cancer.test["target"] == "malignant", pipeline.predict_proba(features)[:, malignant])
    assert auc > 0.97


def test_same_seed_gives_identical_predictions_and_another_seed_does_not(tmp_path: Path, cancer: Split) -> None:
    forest, params = "sklearn.ensemble.RandomForestClassifier", {"n_estimators": 15, "max_features": 3}
    runs = [
        train_in_process(tmp_path / name, cancer, "classification", forest, params, seed)
        for name, seed in (("a", 42), ("b", 42), ("c", 7))
    ]
    features = cancer.test.drop(columns="target").to_numpy(dtype=float)
    first, again, other = (joblib.load(run / "model.joblib").predict_proba(features) for run in runs)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert json.loads((runs[2] / "metadata.json").read_text())["seed"] == 7


def test_explicit_random_state_in_params_wins_over_the_seed(tmp_path: Path, cancer: Split) -> None:
    model = train_in_process(
        tmp_path, cancer, "classification", "sklearn.tree.DecisionTreeClassifier", {"random_state": 3}, seed=42
    )
    assert joblib.load(model / "model.joblib").named_steps["estimator"].random_state == 3


@pytest.mark.slow  # a training and an evaluation job on the image's Python
def test_regression_with_categorical_and_missing_values(tmp_path: Path, housing: Split) -> None:
    import evaluation_run

    model = train_in_process(tmp_path, housing, "regression", "sklearn.ensemble.HistGradientBoostingRegressor", {})
    metadata = json.loads((model / "metadata.json").read_text())
    assert metadata["features"] == [
        {"name": "size", "kind": "numeric"},
        {"name": "age", "kind": "numeric"},
        {"name": "district", "kind": "categorical"},
    ]
    assert metadata["classes"] is None
    assert metadata["baseline"]["mean"] == pytest.approx(housing.train["price"].mean())
    report = evaluation_run.evaluate(
        model_dir=model, test_dir=housing.test_dir, output_dir=tmp_path / "eval", champion_dir=None, behaviour_path=None
    )
    assert report["metrics"]["r2"] > 0.7 and report["metrics"]["rmse"] > 0 and "confusion_matrix" not in report
    r2 = report["comparison"]["metrics"]["r2"]
    assert r2["vs_baseline"]["low"] > 0.5 and r2["vs_champion"] is None  # no champion: nothing to pair with
    assert report["behaviour"] == {"passed": True, "tests": [], "source": None}


def test_multiclass_gets_macro_roc_auc_and_a_full_confusion_matrix(tmp_path: Path, iris: Split) -> None:
    import evaluation_run

    model = train_in_process(tmp_path, iris, "classification", LOGISTIC, {"max_iter": 1000})
    report = evaluation_run.evaluate(
        model_dir=model, test_dir=iris.test_dir, output_dir=tmp_path / "eval", champion_dir=None, behaviour_path=None
    )
    assert report["metrics"]["roc_auc"] > 0.95 and report["metrics"]["f1"] > 0.85
    assert report["confusion_matrix"]["labels"] == ["setosa", "versicolor", "virginica"]
    assert np.sum(report["confusion_matrix"]["matrix"]) == len(iris.test)


def test_integer_labels_stay_json_integers(tmp_path: Path, cancer: Split) -> None:
    numeric = Split(
        cancer.train.assign(target=(cancer.train["target"] == "malignant").astype(int)),
        cancer.test,
        tmp_path / "train",
        cancer.test_dir,
        "target",
    )
    numeric.train_dir.mkdir()
    numeric.train.to_csv(numeric.train_dir / "part.csv", index=False)
    model = train_in_process(tmp_path / "run", numeric, "classification", LOGISTIC, {"max_iter": 1000})
    assert json.loads((model / "metadata.json").read_text())["classes"] == [0, 1]


def test_inference_copy_falls_back_to_the_repository_folder() -> None:
    model_artifacts = load_module(TRAINING_DIR / "model_artifacts.py", "model_artifacts_under_test")
    assert model_artifacts.find_inference_script(TRAINING_DIR) == TRAINING_DIR.parent / "inference" / "inference.py"


@pytest.mark.parametrize(
    ("estimator", "task", "message"),
    [
        ("sklearn.linear_model.Nope", "classification", "has no class 'Nope'"),
        ("nowhere.Model", "classification", "cannot import module 'nowhere'"),
        ("sklearn.linear_model.LinearRegression", "classification", "is a regressor, but the task is classification"),
        ("sklearn.linear_model.LogisticRegression", "regression", "is a classifier, but the task is regression"),
    ],
)
def test_estimator_problems_are_explained(estimator: str, task: str, message: str) -> None:
    import model_pipeline
    from sm_paths import JobError

    with pytest.raises(JobError, match=message):
        model_pipeline.make_estimator(estimator, {}, 42, task)


@pytest.mark.slow  # a training job on the image's Python
def test_train_py_accepts_exactly_the_flags_both_runtimes_pass_when_columns_are_ignored(tmp_path: Path) -> None:
    """data.ignore_columns: ValidateData drops the columns from the splits, and the flags name none of them."""
    from sklearn.datasets import load_breast_cancer

    from slipstream import job_arguments
    from slipstream.config import parse_config
    from slipstream.job_commands import TRAINING_ENTRYPOINT
    from slipstream.local.sagemaker import run_training_job
    from slipstream.sourcedir import PROJECT_ROOT, build_sourcedir
    from slipstream.steps.validate import validate_data

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.assign(target=data.target_names[data.target], patient_id=range(len(data.frame)))
    frame["notes"] = "free text"
    ignored = ["patient_id", "notes"]
    fields = {"source": "x.csv", "target": "target", "task": "classification", "ignore_columns": ignored}
    config = parse_config({"data": fields}, base_dir=tmp_path)
    split = validate_data(frame, config, None)
    (tmp_path / "train").mkdir()
    split.train.to_csv(tmp_path / "train" / "train.csv", index=False)
    # What both runtimes hand the training toolkit, which turns it into train.py's flags.
    sourcedir = build_sourcedir(PROJECT_ROOT, tmp_path / "sourcedir")
    framework = job_arguments.framework_hyperparameters(submit_directory=str(sourcedir), region="us-east-1")
    hyperparameters = job_arguments.sdk_encoded(
        {**job_arguments.training_hyperparameters(config).decoded(), **framework}
    )
    opt_ml = tmp_path / "opt" / "ml"
    model_dir = run_training_job(
        opt_ml, channels={"train": tmp_path / "train"}, hyperparameters=hyperparameters, entrypoint=TRAINING_ENTRYPOINT
    )
    features = [f["name"] for f in json.loads((model_dir / "metadata.json").read_text())["features"]]
    assert features == [c for c in data.frame.columns if c != "target"]
