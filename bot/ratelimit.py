"""Client-side rate limiting for platform senders: token buckets that honour ``Retry-After``.

Platform-neutral and thread-safe. A sender keeps one bucket per limit it must respect (Slack: one
per channel at about one message a second, one per workspace), takes a token before each call and,
when the platform still answers "slow down" (HTTP 429), defers the bucket by the ``Retry-After`` it
was given, so every thread sharing the bucket waits, not only the one that was refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")


class RateLimited(Exception):
    """A platform refused a call for rate (HTTP 429); ``retry_after`` is in seconds."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(f"{message} (retry after {retry_after:g} s)")
        self.retry_after = max(retry_after, 0.0)


class TokenBucket:
    """*rate* calls a second on average, bursts of up to *burst*; thread-safe.

    Kept as the "theoretical arrival time" of the next call (GCRA, the token bucket's exact
    equivalent): callers reserve their slot under the lock and wait outside it, so waiting
    threads are served in the order they arrived and none holds the lock while sleeping.
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = clock()  # when the bucket is full again
        self._blocked_until = self._next

    def _slot(self, now: float) -> float:
        return max(now, self._next - self._tolerance, self._blocked_until)

    def delay(self) -> float:
        """Seconds a call made now would have to wait (reserves nothing)."""
        with self._lock:
            now = self._clock()
            return self._slot(now) - now

    def acquire(self) -> float:
        """Wait until one call may be made; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = self._slot(now)
            self._next = max(self._next, slot) + self._interval
        wait, waited = slot - now, 0.0
        while wait > 0:
            self._sleep(wait)
            waited += wait
            # A Retry-After may have arrived while we slept: it binds us too.
            with self._lock:
                wait = self._blocked_until - self._clock()
        return waited

    def defer(self, seconds: float) -> None:
        """No call before *seconds* from now (the platform's ``Retry-After``), for every caller."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + max(seconds, 0.0))
            # After the pause, resume at the steady rate rather than with a burst.
            self._next = max(self._next, self._blocked_until + self._tolerance)


class KeyedBuckets:
    """One :class:`TokenBucket` per key (a channel, a workspace), made on first use."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = (rate, burst, clock, sleep)
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: str) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                rate, burst, clock, sleep = self._settings
                bucket = self._buckets[key] = TokenBucket(rate, burst, clock=clock, sleep=sleep)
            return bucket


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """A ``Retry-After`` header in seconds: a number of seconds or an HTTP date; else *default*."""
    if not value or not value.strip():
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def call_limited(call: Callable[[], T], buckets: Sequence[TokenBucket], *, attempts: int = 5) -> T:
    """Make *call* within every bucket's limit, retrying after :class:`RateLimited` refusals.

    Each refusal defers all *buckets* by its ``Retry-After`` before the next attempt; after
    *attempts* refusals the last one is raised. Other exceptions pass through at once.
    """
    for attempt in range(1, attempts + 1):
        for bucket in buckets:
            bucket.acquire()
        try:
            return call()
        except RateLimited as exc:
            if attempt == attempts:
                raise
            for bucket in buckets:
                bucket.defer(exc.retry_after)
    raise ValueError("attempts must be at least 1")
