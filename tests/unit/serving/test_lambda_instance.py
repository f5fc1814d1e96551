"""The local Lambda instance: one invocation at a time on the caller's thread, API Gateway's timeout around it.

Every wait here is on an event with a generous deadline (30 s), never a fixed sleep: the watchdog answers
within POLL of the deadline on a quiet machine, much later on a loaded one, and the tests only need it to.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from slipstream.local.serving.lambda_instance import LambdaInstance

AWAIT = 30.0


class Answers:
    def __init__(self) -> None:
        self.count, self.given = 0, threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.given.set()


def test_a_function_within_the_timeout_returns_its_result_and_no_504() -> None:
    answers = Answers()
    assert LambdaInstance(5.0).invoke(lambda: "result", answers) == (True, "result")
    assert answers.count == 0


def test_a_function_past_the_timeout_gets_one_504_and_its_late_result_is_dropped() -> None:
    instance, answers, release = LambdaInstance(0.2), Answers(), threading.Event()

    def slow() -> str:
        assert answers.given.wait(AWAIT), "the watchdog never answered the timed-out request"
        release.wait(AWAIT)
        return "late"

    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(instance.invoke, slow, answers)
        assert answers.given.wait(AWAIT), "no 504 while the function still ran"
        release.set()
        assert outcome.result(AWAIT) == (False, None)
    assert answers.count == 1


def test_a_function_that_fails_after_its_504_is_not_answered_twice() -> None:
    instance, answers = LambdaInstance(0.2), Answers()

    def fails_late() -> None:
        assert answers.given.wait(AWAIT), "the watchdog never answered the timed-out request"
        raise RuntimeError("after the deadline")

    assert instance.invoke(fails_late, answers) == (False, None)
    assert answers.count == 1


def test_a_function_that_fails_in_time_raises_to_the_caller() -> None:
    def fails() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        LambdaInstance(5.0).invoke(fails, Answers())


def test_a_request_waiting_for_a_busy_instance_past_its_deadline_gets_its_504() -> None:
    instance, first, second, release = LambdaInstance(0.2), Answers(), Answers(), threading.Event()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(instance.invoke, lambda: release.wait(AWAIT), first)
        assert first.given.wait(AWAIT), "the first request never got its 504"
        assert instance.invoke(lambda: "never runs", second) == (False, None)  # the instance is still busy
        assert second.count == 1
        release.set()
        assert running.result(AWAIT) == (False, None)
    assert instance.invoke(lambda: "free again", Answers()) == (True, "free again")


def test_invocations_never_overlap() -> None:
    instance, lock, overlaps = LambdaInstance(AWAIT), threading.Lock(), []

    def exclusive() -> None:
        if not lock.acquire(blocking=False):
            overlaps.append(1)
            return
        try:
            threading.Event().wait(0.001)  # long enough for another thread to try its way in
        finally:
            lock.release()

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: instance.invoke(exclusive, Answers()), range(200)))
    assert all(done for done, _ in outcomes) and not overlaps
