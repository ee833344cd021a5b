"""The shared rate-limit helper: steady rate, bursts, Retry-After, retries, many threads."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.ratelimit import (
    KeyedBuckets,
    RateLimited,
    TokenBucket,
    call_limited,
    retry_after_seconds,
)


class FakeTime:
    """A monotonic clock whose sleep moves it forward."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def bucket(fake: FakeTime, rate: float = 1.0, burst: float = 1.0) -> TokenBucket:
    return TokenBucket(rate, burst, clock=fake.clock, sleep=fake.sleep)


def test_a_burst_goes_at_once_then_calls_are_spaced_by_the_rate() -> None:
    fake = FakeTime()
    limiter = bucket(fake, rate=2.0, burst=3)
    waits = [round(limiter.acquire(), 3) for _ in range(6)]
    assert waits == [0, 0, 0, 0.5, 0.5, 0.5]
    fake.now += 10  # idle time refills the burst, no more
    assert [round(limiter.acquire(), 3) for _ in range(4)] == [0, 0, 0, 0.5]


def test_retry_after_holds_every_caller_and_resumes_at_the_steady_rate() -> None:
    fake = FakeTime()
    limiter = bucket(fake, rate=1.0, burst=5)
    limiter.acquire()
    limiter.defer(30)
    assert limiter.delay() == pytest.approx(30)
    assert limiter.acquire() == pytest.approx(30)
    assert limiter.acquire() == pytest.approx(1)  # no burst straight after a 429


def test_call_limited_retries_after_429_and_gives_up_after_the_attempts() -> None:
    fake = FakeTime()
    limiter = bucket(fake)
    answers: list[object] = [RateLimited(3), RateLimited(2), "ok"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    assert call_limited(call, [limiter]) == "ok"
    assert fake.slept == [3, 2]

    def always() -> str:
        raise RateLimited(1)

    with pytest.raises(RateLimited):
        call_limited(always, [limiter], attempts=2)


def test_other_errors_pass_through_at_once() -> None:
    fake = FakeTime()

    def broken() -> str:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        call_limited(broken, [bucket(fake)])
    assert fake.slept == []


def test_keyed_buckets_are_separate_per_key_and_reused() -> None:
    fake = FakeTime()
    buckets = KeyedBuckets(1.0, clock=fake.clock, sleep=fake.sleep)
    assert buckets["C1"] is buckets["C1"] and buckets["C1"] is not buckets["C2"]
    assert buckets["C1"].acquire() == 0 and buckets["C2"].acquire() == 0
    assert buckets["C1"].acquire() == pytest.approx(1)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("1.5", 1.5), ("-4", 0.0), ("", 1.0), (None, 1.0), ("soon", 1.0)],
)
def test_retry_after_header_in_seconds(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header) == seconds


def test_retry_after_header_as_an_http_date() -> None:
    header = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 110 <= retry_after_seconds(header) <= 121


def test_threads_sharing_a_bucket_are_spaced_out() -> None:
    limiter = TokenBucket(rate=200.0, burst=1)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert len(stamps) == 20
    assert stamps[-1] - stamps[0] >= 19 / 200 * 0.9  # 20 calls at 200/s: ~0.095 s at least
