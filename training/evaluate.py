"""SageMaker Processing entry point for evaluation (run as `python evaluate.py [--model-dir ...]`).

Defaults are the processing job's mounts under /opt/ml/processing. Writes <output-dir>/evaluation.json.
Evaluation runs only under __main__: this file is also shipped next to inference.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sm_paths import JobArgumentParser, run_job

# A training job reports failures in /opt/ml/output/failure; a processing job reads /opt/ml/output/message
# into its ExitMessage. Writing both keeps the local runner and both AWS job types informed.
FAILURE_FILES = ("failure", "message")


def parse_args(argv: list[str] | None = None) -> dict[str, Any]:
    parser = JobArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=Path("/opt/ml/processing/model"))
    parser.add_argument("--test-dir", type=Path, default=Path("/opt/ml/processing/test"))
    parser.add_argument("--output-dir", type=Path, default=Path("/opt/ml/processing/evaluation"))
    parser.add_argument("--champion-model-dir", type=Path, default=None)
    parser.add_argument("--behaviour", type=Path, default=Path("/opt/ml/processing/config/behaviour.json"))
    parser.add_argument("--importance", type=Path, default=Path("/opt/ml/processing/config/importance.json"))
    args = parser.parse_args(argv)
    return {
        "model_dir": args.model_dir,
        "test_dir": args.test_dir,
        "output_dir": args.output_dir,
        "champion_dir": args.champion_model_dir,
        "behaviour_path": args.behaviour,
        "importance_path": args.importance,
    }


def main() -> None:
    from evaluation_run import evaluate  # imported here so a broken install is reported through the failure file

    report = evaluate(**parse_args())
    behaviour = report["behaviour"]
    passed = sum(t["passed"] for t in behaviour["tests"])
    print(f"metrics on {report['n_test_rows']} held-out rows: {report['metrics']}")
    print(f"champion metrics: {report['champion_metrics']}")
    print(f"behavioural tests: {passed}/{len(behaviour['tests'])} passed")
    ranked = report["importance"]["features"][:3]
    top = ", ".join(f"{f['feature']} {f['mean']:+.4f}" for f in ranked) or report["importance"]["note"]
    print(f"permutation importance ({report['importance']['metric']}), top {len(ranked)}: {top}")
    for flag in report["importance"]["flags"]:
        print(f"WARNING: {flag['message']}")
    if behaviour["source"] is None:
        print("no behaviour file was found, so no behavioural tests ran")


if __name__ == "__main__":
    run_job("evaluate.py", main, FAILURE_FILES)
