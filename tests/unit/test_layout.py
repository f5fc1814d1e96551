"""The storage layout: the names training/ keeps for itself agree with slipstream/layout.py, and the keys
the templates are built from read as they did before the layout had one home."""

from __future__ import annotations

import evaluation_run  # training/ is on the test path: the script the processing job runs

from slipstream import job_arguments, layout


def test_the_evaluation_file_is_named_as_the_evaluation_script_writes_it() -> None:
    assert layout.EVALUATION_FILE == evaluation_run.EVALUATION_FILE
    assert f"{layout.EVALUATION_OUTPUT}{evaluation_run.EVALUATION_FILE}" == layout.EVALUATION


def test_the_behaviour_file_is_the_argument_evaluate_py_gets() -> None:
    arguments = job_arguments.evaluation_arguments(champion=False)
    behaviour = arguments[arguments.index("--behaviour") + 1]
    assert behaviour == f"{job_arguments.processing_path(job_arguments.CONFIG)}/{layout.BEHAVIOUR_FILE}"
    assert layout.BEHAVIOUR.startswith(layout.BEHAVIOUR_CONFIG)  # the config input is that folder


def test_run_keys_and_state_machine_templates() -> None:
    assert layout.run_key("r1", layout.BASELINE) == "runs/r1/baseline.json"
    assert layout.run_key(layout.RUN_ID_SLOT, layout.model_archive(layout.RUN_ID_SLOT)) == (
        "runs/{}/model/{}/output/model.tar.gz"
    )
    assert layout.retained_key(layout.RUN_ID_SLOT, layout.MODEL_ARCHIVE) == "models/{}/model.tar.gz"
    assert layout.retained_key("*", layout.BASELINE) == "models/*/baseline.json"


def test_every_run_file_is_under_its_run_and_nothing_local_only_is_a_run_file() -> None:
    files = layout.run_files("job-1")
    assert layout.model_archive("job-1") in files and layout.EVALUATION in files
    assert not any(f.startswith(only) for f in files for only in layout.LOCAL_ONLY)
    channels = (layout.TRAIN_CHANNEL, layout.TEST_CHANNEL)
    assert all(any(f.startswith(c) for f in files) for c in channels)
