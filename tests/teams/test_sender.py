"""The sender's pacing and retries, without HTTP: a scripted runner answers each call."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import httpx
import pytest

from handlers.teams.sender import Limits, Sender, SendFailed


def _refusal(status: int, retry_after: str | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "https://connector.test/v3/conversations/c/activities")
    headers = {"Retry-After": retry_after} if retry_after else {}
    response = httpx.Response(status, headers=headers, request=request)
    return httpx.HTTPStatusError("refused", request=request, response=response)


class Script:
    """Answers calls with the scripted outcomes in turn (an exception is raised)."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self, coroutine: Coroutine[Any, Any, Any], timeout: float) -> Any:
        coroutine.close()
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


async def _nothing() -> None:
    return None


class Time:
    """A clock that only moves when someone sleeps."""

    def __init__(self, sleeps: list[float]) -> None:
        self.now = 0.0
        self.sleeps = sleeps

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _sender(script: Script, sleeps: list[float], **limits: Any) -> Sender:
    time = Time(sleeps)
    return Sender(script, Limits(backoff=1.0, **limits), sleep=time.sleep, clock=time.clock)


def test_a_429_waits_for_retry_after_then_succeeds() -> None:
    sleeps: list[float] = []
    script = Script(_refusal(429, "3"), "ok")
    assert _sender(script, sleeps).call("t", "c", _nothing) == "ok"
    assert script.calls == 2
    assert sum(sleeps) == pytest.approx(3.0, abs=0.2)


@pytest.mark.parametrize("status", [412, 502, 503, 504])
def test_transient_statuses_are_retried_with_backoff(status: int) -> None:
    sleeps: list[float] = []
    script = Script(_refusal(status), _refusal(status), "ok")
    assert _sender(script, sleeps).call("t", "c", _nothing) == "ok"
    backoffs = [s for s in sleeps if s >= 0.5]
    assert len(backoffs) == 2 and backoffs[1] >= backoffs[0] * 0.5


def test_connection_failures_are_retried_but_read_timeouts_are_not() -> None:
    sleeps: list[float] = []
    script = Script(httpx.ConnectError("down"), "ok")
    assert _sender(script, sleeps).call("t", "c", _nothing) == "ok"
    with pytest.raises(httpx.ReadTimeout):
        _sender(Script(httpx.ReadTimeout("slow")), sleeps).call("t", "c", _nothing)


def test_a_refusal_for_good_raises_at_once() -> None:
    script = Script(_refusal(403))
    with pytest.raises(SendFailed) as failure:
        _sender(script, []).call("t", "c", _nothing)
    assert failure.value.status == 403
    assert script.calls == 1


def test_it_gives_up_after_the_attempts_and_says_so() -> None:
    script = Script(*[_refusal(503)] * 3)
    with pytest.raises(SendFailed) as failure:
        _sender(script, [], attempts=3).call("t", "c", _nothing)
    assert failure.value.status == 503
    assert script.calls == 3


def test_the_buckets_keep_every_window_within_teams_limits() -> None:
    limits = Limits()
    # A bucket (rate r, burst b) admits at most b + r*T calls in any T seconds.
    assert 1 + limits.thread_rate * 1 <= 7
    assert limits.thread_window_burst + limits.thread_window_rate * 30 <= 60
    assert limits.tenant_burst + limits.tenant_rate * 1 <= 50


def test_one_thread_is_paced_to_its_limits() -> None:
    sleeps: list[float] = []
    sender = _sender(Script(*["ok"] * 120), sleeps)
    for _ in range(120):
        sender.call("t", "c", _nothing)
    # 120 messages in one thread: 15 at once, then 1.5 a second (60 in any 30 s).
    assert sum(sleeps) == pytest.approx((120 - 15) / 1.5, rel=0.02)


def test_a_message_draws_from_its_thread_and_tenant_a_lookup_only_from_the_tenant() -> None:
    sender = Sender(Script())
    assert len(sender.buckets("t", "c")) == 3
    assert len(sender.buckets("t", None)) == 1
    assert sender.buckets("t", "c")[0] is sender.buckets("t", "d")[0]
