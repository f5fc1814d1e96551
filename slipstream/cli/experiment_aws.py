"""`python -m slipstream.cli.experiment_aws status|promote|stop --stage dev`: the AWS experiment, one command.

Invokes the deployed experiment Lambda (the monitoring stack's `ExperimentFunctionName` output) with an
ExperimentRequest: `status` analyses and publishes as the schedule does, without acting (unless
`auto_decide` is on and the test has decided); `promote` and `stop` end the experiment whatever the test says,
recorded with the caller's IAM identity as who decided. Exit codes: 0 done, 1 the Lambda refused or failed,
2 bad arguments or stacks not found.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from slipstream.cli.cloud_run import export_value
from slipstream.config import load_config
from slipstream.documents.experiment import ExperimentAnswer, ExperimentLambdaAction, ExperimentRequest
from slipstream.errors import SlipstreamError

ACTIONS: dict[str, ExperimentLambdaAction] = {"status": "analyse", "promote": "promote", "stop": "stop"}


def run_on_aws(action: str, *, stage: str, config_path: str = "slipstream.toml", clients: Any = None) -> int:
    """The sub-command's body; `clients(service)` builds boto3 clients (tests pass the emulated account's)."""
    import boto3

    client = clients or boto3.client
    try:
        config = load_config(config_path)
        prefix = f"{config.name}-{stage}"
        function = export_value(client("cloudformation"), f"{prefix}-monitoring", "ExperimentFunctionName")
    except SlipstreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    decided_by = client("sts").get_caller_identity()["Arn"] if action != "status" else None
    request = ExperimentRequest(action=ACTIONS[action], decided_by=decided_by)
    response = client("lambda").invoke(FunctionName=function, Payload=request.model_dump_json().encode())
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        message = payload.get("errorMessage") if isinstance(payload, dict) else payload
        print(f"error: {function} refused {action}: {message}", file=sys.stderr)
        return 1
    answer = ExperimentAnswer.model_validate(payload)
    print(_summary(answer))
    return 0


def _summary(answer: ExperimentAnswer) -> str:
    if not answer.running and answer.acted == "none":
        return answer.reason
    versions = f"champion {answer.champion_version}, challenger {answer.challenger_version}"
    done = {"promote": "promoted the challenger", "stop": "stopped the challenger"}.get(answer.acted, "no change")
    return f"{answer.decision} ({versions}): {answer.reason}\n{done}" + (
        f" (decided by {answer.decided_by})" if answer.decided_by else ""
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=sorted(ACTIONS))
    parser.add_argument("--stage", required=True, choices=["dev", "staging", "prod"])
    parser.add_argument("--config", default="slipstream.toml")
    args = parser.parse_args(argv)
    return run_on_aws(args.action, stage=args.stage, config_path=args.config)


if __name__ == "__main__":
    sys.exit(main())
