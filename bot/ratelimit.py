"""Client-side rate limiting for platform senders: token buckets that honour ``Retry-After``.

Platform-neutral and thread-safe. A sender keeps one bucket per limit it must respect (Slack: one
per channel at about one message a second, one per workspace; a budget of N calls in any window
of so many seconds is a :class:`SlidingWindow`), takes a token before each call and,
when the platform still answers "slow down" (HTTP 429), defers the bucket by the ``Retry-After`` it
was given, so every thread sharing the bucket waits, not only the one that was refused.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")

# Who, in this thread, wants to hear of the platform's refusals (see :func:`refusals_to`).
_listener = threading.local()


@contextmanager
def refusals_to(callback: Callable[[float], None]) -> Iterator[None]:
    """Tell *callback* the ``Retry-After`` (s) of every 429 a call in this thread meets meanwhile.

    Senders retry 429s themselves and only :meth:`TokenBucket.defer` (or
    :meth:`SlidingWindow.defer`) on them; this lets the caller of such a sender learn from
    them without knowing which platform it is (see :class:`LearnedBudget`).
    """
    previous = getattr(_listener, "callback", None)
    _listener.callback = callback
    try:
        yield
    finally:
        _listener.callback = previous


def _refused(seconds: float) -> None:
    callback = getattr(_listener, "callback", None)
    if callback is not None:
        callback(seconds)


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
        _refused(seconds)


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


class SlidingWindow:
    """At most *limit* calls in any *window* seconds (a platform's "N per minute"); thread-safe.

    Unlike :class:`TokenBucket` it allows the whole budget at once, as such a window does. A
    call counts from when it *ended* (:meth:`release`) and, until then, as made now: the
    platform counts a call when it arrives, which is between the two, so however the network
    jitters the platform never sees more than *limit* in a window.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._changed = threading.Condition()
        self._ended: deque[float] = deque()
        self._in_flight = 0
        self._blocked_until = clock()

    def _wait_needed(self, now: float) -> float:
        while self._ended and self._ended[0] <= now - self.window:
            self._ended.popleft()
        if now < self._blocked_until:
            return self._blocked_until - now
        if len(self._ended) + self._in_flight < self.limit:
            return 0.0
        # Full: the oldest ended call leaves the window first, or an in-flight one ends.
        return self._ended[0] + self.window - now if self._ended else self.window

    def delay(self) -> float:
        """Seconds a call made now would wait at least (reserves nothing)."""
        with self._changed:
            return self._wait_needed(self._clock())

    def acquire(self) -> float:
        """Wait until one call may start; returns the seconds waited. Pair with :meth:`release`."""
        waited = 0.0
        with self._changed:
            while True:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._in_flight += 1
                    return waited
                self._changed.wait(wait)
                waited += self._clock() - now

    def release(self) -> None:
        """The call acquired earlier has ended (made or failed): it counts from now."""
        with self._changed:
            self._in_flight = max(self._in_flight - 1, 0)
            self._ended.append(self._clock())
            self._changed.notify_all()

    def resize(self, limit: int, window: float) -> None:
        """From now on *limit* calls in any *window* seconds; the calls made so far still count."""
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        with self._changed:
            self.limit, self.window = limit, window
            self._changed.notify_all()

    def defer(self, seconds: float) -> None:
        """No call before *seconds* from now (the platform's ``Retry-After``), for every caller."""
        with self._changed:
            self._blocked_until = max(self._blocked_until, self._clock() + max(seconds, 0.0))
        _refused(seconds)


# Until a workspace's first refusal its calls are only counted, over this many seconds back.
HORIZON = 120.0
# Seconds without a refusal, while the learned budget held calls back, before trying a bit more.
PROBE_EVERY = 60.0
_UNLIMITED = 1 << 30


class LearnedBudget:
    """One workspace's budget for a limited call, learned from the platform's 429s; thread-safe.

    For platforms that publish no fixed budget (Slack's ``chat.postMessage``). Until the first
    refusal calls are not held back, only counted. Then the rule is:

    - **Learn.** A call refused at *t* with ``Retry-After`` *R* means the platform's window is
      full and its oldest slot frees at *t + R*. The *n* calls made since the last pause (or
      the start) filled it, so the budget is *n* calls per ``t + R - first`` seconds (*first*:
      when the first of them ended, as :class:`SlidingWindow` counts). A call that was in flight
      at the refusal and succeeds before the pause ends arrived before the refused one: it adds
      to *n*. Other refusals during the pause are the same full window; the earliest end wins.
    - **Keep to it** with a :class:`SlidingWindow` of that size: no 429 while it holds.
    - **Probe upwards slowly.** After :data:`PROBE_EVERY` s without a refusal in which the
      budget held calls back, the limit rises by a twentieth (at least one). A refusal then
      returns to the last limit that drew none, and probing waits twice as long (up to 16×).
    - **Shrink.** A refusal at a limit that drew none before (the platform lowered it, or
      something else spends it) takes a tenth (at least one) off the limit.

    A budget told in advance (*known*) is kept as is: nothing is learned or probed.
    """

    def __init__(
        self,
        known: tuple[int, float] | None = None,
        *,
        probe_every: float = PROBE_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._window = SlidingWindow(*(known or (_UNLIMITED, HORIZON)), clock=clock)
        self.learned = known  # (limit, window seconds), or None until the first refusal
        self._fixed = known is not None
        self._probe_base = self._probe_every = probe_every
        self._probe_at = math.inf
        self._good = known[0] if known else 0  # the highest limit that drew no refusal
        self._held_back = False
        self._run = 0  # calls of one run (between pauses) carry its number
        self._first: float | None = None  # when this run's first call ended
        self._made = 0  # this run's successful calls
        self._paused_until = -math.inf
        self._learning_from: float | None = None  # the last pause's *first*, if it taught us

    def acquire(self) -> int:
        """Wait until a call may start; returns the ticket to give :meth:`release`."""
        waited = self._window.acquire()
        with self._lock:
            self._held_back = self._held_back or waited > 0
            return self._run

    def delay(self) -> float:
        """Seconds a call made now would wait at least (reserves nothing)."""
        return self._window.delay()

    def release(self, ticket: int, *, made: bool) -> None:
        """The call of *ticket* ended (it counts in the window either way); *made*: it succeeded."""
        self._window.release()
        if not made or self._fixed:
            return
        with self._lock:
            now = self._clock()
            if ticket == self._run:
                self._first = now if self._first is None else self._first
                self._made += 1
                self._maybe_probe(now)
            elif (
                ticket == self._run - 1
                and now < self._paused_until
                and self._learning_from is not None
                and self.learned is not None
            ):
                # In flight at the refusal and let through: it arrived before the refused call.
                self._set(self.learned[0] + 1, self.learned[1])

    def refused(self, retry_after: float) -> None:
        """A call met a 429 with *retry_after* seconds (give it to :func:`refusals_to`)."""
        if self._fixed:
            return
        with self._lock:
            now = self._clock()
            until = now + max(retry_after, 0.0)
            if now < self._paused_until:  # another call in flight met the same full window
                if self._learning_from is not None and self.learned is not None:
                    span = until - self._learning_from
                    self._set(self.learned[0], min(self.learned[1], max(span, 1e-3)))
                return
            self._paused_until, self._learning_from = until, None
            if self.learned is None:
                if self._made and self._first is not None:
                    self._learning_from = self._first
                    self._set(self._made, max(until - self._first, 1e-3))
            elif self.learned[0] > self._good:  # a probe too far: back to what held
                self._probe_every = min(self._probe_every * 2, 16 * self._probe_base)
                self._set(self._good, self.learned[1])
            else:
                limit = self.learned[0]
                self._set(max(limit - max(limit // 10, 1), 1), self.learned[1])
            self._probe_at = now + self._probe_every
            self._run += 1
            self._first, self._made, self._held_back = None, 0, False

    def _set(self, limit: int, window: float) -> None:
        self.learned = (limit, window)
        self._good = limit
        self._window.resize(limit, window)

    def _maybe_probe(self, now: float) -> None:
        if self.learned is None or now < self._probe_at or not self._held_back:
            return
        limit, window = self.learned
        self._good = limit
        self.learned = (limit + max(limit // 20, 1), window)
        self._window.resize(*self.learned)
        self._probe_at, self._held_back = now + self._probe_every, False


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
