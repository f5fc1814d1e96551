"""`slipstream approve|reject|approvals --stage S`: decide a manual stage's pending approval (docs/approval.md).

The approvals API's URL is the pipeline stack's `ApprovalsApiUrl` output; each request is signed with SigV4
(botocore, the caller's own credentials): the API records the signer as the approver.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from slipstream.cli.common import ConfigOption, console, fail, load
from slipstream.errors import SlipstreamError

StageOption = Annotated[str, typer.Option("--stage", help="dev, staging or prod.")]
RunArgument = Annotated[str | None, typer.Argument(help="The run to decide; default: the only one pending.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (required to reject).")]


def _bad(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


def signed_request(session: Any, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One SigV4-signed call to API Gateway (service `execute-api`); (status, decoded JSON body)."""
    import urllib.request

    from slipstream.steps.front_door import sigv4_headers

    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    signed = sigv4_headers(method, url, data, headers, session.region_name, session.get_credentials())
    prepared = urllib.request.Request(url, data=data, method=method, headers=signed)
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _api_url(stage: str, config: Path) -> tuple[Any, str]:
    import boto3

    from slipstream.cli.cloud_run import export_value

    if stage not in ("dev", "staging", "prod"):
        raise _bad(f"--stage {stage!r}: one of dev, staging, prod")
    cfg = load(config)
    session = boto3.Session()
    try:
        url = export_value(session.client("cloudformation"), f"{cfg.name}-{stage}-pipeline", "ApprovalsApiUrl")
    except SlipstreamError as error:
        raise fail(SlipstreamError(f'{error.message} (is `approval = "manual"` set for stage {stage}?)')) from None
    return session, url.rstrip("/")


def _only_pending(session: Any, url: str) -> str:
    status, body = signed_request(session, "GET", f"{url}/approvals")
    if status != 200:
        console.print(f"[bold red]error {status}:[/] listing approvals: {body}", highlight=False)
        raise typer.Exit(1)
    pending = body.get("pending", [])
    if len(pending) != 1:
        runs = ", ".join(p["run_id"] for p in pending) or "none"
        raise _bad(f"name the run to decide: {len(pending)} pending ({runs})")
    return str(pending[0]["run_id"])


def _decide(stage: str, run_id: str | None, decision: str, reason: str, config: Path) -> None:
    if decision == "reject" and not reason.strip():
        raise _bad("--reason is required to reject (why this model must not serve)")
    session, url = _api_url(stage, config)
    run_id = run_id or _only_pending(session, url)
    status, body = signed_request(
        session, "POST", f"{url}/approvals/{run_id}", {"decision": decision, "reason": reason}
    )
    if status != 200:
        console.print(f"[bold red]{body.get('title', status)}:[/] {body.get('detail', body)}", highlight=False)
        raise typer.Exit(2 if 400 <= status < 500 else 1)
    typer.echo(f"run {run_id}: {decision}d by {body['approver']} at {body['decided_at']}")


def approve(
    stage: StageOption,
    run_id: RunArgument = None,
    reason: ReasonOption = "",
    config: ConfigOption = Path("slipstream.toml"),
) -> None:
    """Approve a pending model: the deployment goes on (smoke test, then it serves)."""
    _decide(stage, run_id, "approve", reason, config)


def reject(
    stage: StageOption,
    run_id: RunArgument = None,
    reason: ReasonOption = "",
    config: ConfigOption = Path("slipstream.toml"),
) -> None:
    """Reject a pending model (with --reason): the package is Rejected, the champion keeps serving."""
    _decide(stage, run_id, "reject", reason, config)


def approvals(stage: StageOption, config: ConfigOption = Path("slipstream.toml")) -> None:
    """List the models waiting for approval on a stage."""
    session, url = _api_url(stage, config)
    status, body = signed_request(session, "GET", f"{url}/approvals")
    if status != 200:
        console.print(f"[bold red]error {status}:[/] {body}", highlight=False)
        raise typer.Exit(1)
    for item in body.get("pending", []):
        typer.echo(f"{item['run_id']}  version {item['version']}  deadline {item['deadline']}  gate {item['gate']}")
    if not body.get("pending"):
        typer.echo("nothing waits for approval")
