"""SageMaker script-mode entry point for training (run as `python train.py --target ... --task ...`).

Hyperparameters arrive as flags (built by slipstream/job_arguments.py for both runtimes), folders from SM_*
variables. The train channel holds exactly the features and the target: ValidateData has already dropped
`data.ignore_columns`, so there is no flag for them. Training runs only under __main__: the file
sits in the same folder as inference.py in the container, and nothing here may run on import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sm_paths import JobArgumentParser, JobError, parse_json_flag, run_job, sm_dir

TRIAL_PREFIX = "estimator__"  # training/search_space.PREFIX; not imported: train.py stays import-light


def parse_args(argv: list[str] | None = None) -> dict[str, Any]:
    parser = JobArgumentParser(description=__doc__, allow_abbrev=False)  # a trial's flag must not abbreviate ours
    parser.add_argument("--target", required=True)
    parser.add_argument("--task", required=True, choices=["classification", "regression"])
    parser.add_argument("--estimator", required=True, help="import path, e.g. sklearn.linear_model.LogisticRegression")
    parser.add_argument("--params", default="{}", help="JSON object of estimator keyword arguments")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tuning", default="", help="JSON search spec ([tuning]); absent: fit the params as given")
    args, extra = parser.parse_known_args(argv)
    return {
        "target": args.target,
        "task": args.task,
        "estimator": args.estimator,
        "params": parse_json_flag("params", args.params, dict),
        "seed": args.seed,
        "tuning": parse_json_flag("tuning", args.tuning, dict) if args.tuning else None,
        "trial_values": _trial_values(extra),
    }


def _trial_values(extra: list[str]) -> dict[str, str]:
    """A SageMaker tuning job adds the trial's values to the static hyperparameters, named `estimator__<name>` (the
    Pipeline's name for the estimator's parameter; no clash with the static names): `--estimator__C 0.3` flags.
    training/tuning.py checks them against the space. Any other flag is refused."""
    values: dict[str, str] = {}
    pairs = iter(extra)
    for flag in pairs:
        value = next(pairs, None)
        if not flag.startswith("--" + TRIAL_PREFIX) or value is None:
            raise JobError(f"bad arguments: unrecognized arguments: {' '.join(extra)}")
        values[flag.removeprefix("--" + TRIAL_PREFIX)] = value
    return values


def main() -> None:
    from training_run import train  # imported here so a broken install is reported through the failure file

    report = train(
        **parse_args(),
        channel_dir=sm_dir("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"),
        model_dir=sm_dir("SM_MODEL_DIR", "/opt/ml/model"),
        output_data_dir=sm_dir("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"),
        script_dir=Path(__file__).resolve().parent,
    )
    print(f"trained on {report['n_train_rows']} rows; training-set metrics: {report['metrics']}")


if __name__ == "__main__":
    run_job("train.py", main)
