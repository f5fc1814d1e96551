"""What moto costs every emulated account and every job, cut where the cost is moto's, not AWS's behaviour."""

from __future__ import annotations

import functools
import json
import threading
import time
from typing import Any

# Step Functions' .sync integrations learn of a job's end from an EventBridge event, not by polling: moto polls
# Describe*Job every 0.5 s. Here a poll waits until some job has ended since the task's last Describe*Job (each
# one is signed and authorized as the role: ~3-5 ms of CPU, ten a second per task while a job runs, more on a
# loaded machine, where jobs take longer), and at most SYNC_POLL_SECONDS, a safety net for an end not announced.
SYNC_POLL_SECONDS = 0.5
EXECUTION_POLL_SECONDS = 1.0  # World.wait's safety net: it is woken when the execution ends (_ENDED)
_JOBS_ENDED = threading.Condition()
_GENERATION = [0]  # how many jobs have ended in this process
_SEEN = threading.local()  # the generation a task's last Describe*Job saw
EMULATED_PARTITION = "aws"  # the partition of world.REGION (us-east-1)
_ENDED: dict[str, threading.Event] = {}  # execution ARN -> set when moto's worker has written the end status


@functools.cache
def _aws_managed_policies(account_id: str, region_name: str) -> tuple[Any, ...]:
    """moto's 1,500 AWS managed policies (4.7 MB of JSON) as moto builds them for one IAM backend, built once per
    process and partition: moto builds them for every backend (one per partition of every account, and a lookup
    by access key visits every one), each with a JSON dump of its document and a random id (~0.4 s of CPU)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy

    return tuple(
        AWSManagedPolicy.from_data(name, account_id, region_name, data)
        for name, data in json.loads(aws_managed_policies_data).items()
    )


def _fresh(policy: Any) -> Any:
    """A copy of a built policy with the state an account may change its own: attachments, versions, tags. The id
    is shared, as on AWS, where an AWS managed policy has one PolicyId in every account."""
    clone = _shallow(policy)
    clone.attachment_count = 0
    clone.tags = {}
    clone.versions = [_shallow(version) for version in policy.versions]
    return clone


def _shallow(obj: Any) -> Any:
    # copy.copy's __reduce_ex__ round trip costs more than the copies of 9,000 policies are worth
    clone = object.__new__(type(obj))
    clone.__dict__.update(obj.__dict__)
    return clone


def _managed_policies_built_once() -> None:
    from moto.iam.models import IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    def init_aws_policies(self):  # type: ignore[no-untyped-def]
        # An IAM backend's region is its partition. moto makes one per partition for every account it touches (a
        # lookup by access key visits each); the emulated account lives in us-east-1, so only "aws" is ever read.
        if not load_iam_aws_managed_policies() or self.region_name != EMULATED_PARTITION:
            return []
        return [_fresh(policy) for policy in _aws_managed_policies(self.account_id, self.region_name)]

    IAMBackend._init_aws_policies = init_aws_policies


def job_ended() -> None:
    """A training, processing or tuning job has its final status: wake the .sync tasks waiting on jobs."""
    with _JOBS_ENDED:
        _GENERATION[0] += 1
        _JOBS_ENDED.notify_all()


def job_polled() -> None:
    """Called before a .sync task's Describe*Job: its next wait lasts until a job ends after this call."""
    with _JOBS_ENDED:
        _SEEN.generation = _GENERATION[0]


class _UntilAJobEnds:
    """moto's .sync loop's `time`: its only use is sleep() between two Describe*Job calls."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        seen = _SEEN.__dict__.pop("generation", None)  # consumed: each wait follows its own Describe*Job
        if seen is None:  # a .sync task that polls no SageMaker job (another service's): moto's own sleep
            time.sleep(seconds)
            return
        with _JOBS_ENDED:
            _JOBS_ENDED.wait_for(lambda: _GENERATION[0] != seen, timeout=min(seconds, SYNC_POLL_SECONDS))


def _sync_tasks_poll_on_job_ends() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback

    state_task_service_callback._DELAY_SECONDS_SYNC_CONDITION_CHECK = SYNC_POLL_SECONDS  # type: ignore[misc]
    state_task_service_callback.time = _UntilAJobEnds()  # type: ignore[attr-defined]


def execution_ended(execution_arn: str) -> threading.Event:
    """Set once the execution has ended and DescribeExecution reports how (World.wait waits on it)."""
    with _JOBS_ENDED:
        return _ENDED.setdefault(execution_arn, threading.Event())


def _executions_announce_their_end() -> None:
    """A waiter that polls DescribeExecution (~3 ms of CPU each) ten times a second spends more CPU than most
    states: moto's worker thread announces the end instead, after it has written the execution's status."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self):  # type: ignore[no-untyped-def]
        try:
            original(self)
        finally:
            execution_ended(self.execution.exec_arn).set()

    BaseExecutionWorkerCommunication.terminated = terminated


def _definitions_parsed_once() -> None:
    """moto parses a definition with ANTLR's pure-Python runtime (~0.3 s of CPU for ours) at CreateStateMachine
    and again at every StartExecution. The syntax tree depends on the text only: keep it per text, and build the
    evaluation components from it afresh for every caller (they hold an execution's state)."""
    from moto.stepfunctions.parser.asl.parse import asl_parser

    @functools.lru_cache(maxsize=16)
    def syntax_tree(definition: str) -> tuple[Any, tuple[str, ...]]:
        listener = asl_parser.SyntaxErrorListener()
        lexer = asl_parser.ASLLexer(asl_parser.InputStream(definition))
        lexer.removeErrorListeners()  # the lexer's default listener prints to stderr; its errors refuse the text too
        lexer.addErrorListener(listener)
        parser = asl_parser.ASLParser(asl_parser.CommonTokenStream(lexer))
        parser.removeErrorListeners()
        parser.addErrorListener(listener)
        tree = parser.state_machine()
        return tree, tuple(listener.errors)

    def parse(definition: str) -> tuple[Any, Any]:
        tree, errors = syntax_tree(definition)
        if errors:
            raise asl_parser.ASLParserException(errors=list(errors))
        return asl_parser.Preprocessor().visit(tree), tree

    asl_parser.AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign]


def _service_models_read_once() -> None:
    """botocore reads its service models and endpoints.json again for every Session (~0.2 s of CPU for a
    session's first three clients), and the emulation makes many: one per role it acts as, per SDK task, per
    test fixture. They are read-only data, which botocore already shares between one session's clients: one
    loader per data path for the process (a fresh session with three clients then costs ~0.03 s)."""
    import botocore.session

    botocore.session.create_loader = functools.cache(botocore.session.create_loader)  # type: ignore[attr-defined]


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _service_models_read_once()
    _managed_policies_built_once()
    _sync_tasks_poll_on_job_ends()
    _executions_announce_their_end()
    _definitions_parsed_once()
