"""Every call to the Teams connector goes through :class:`Sender`: paced, retried, or refused.

Teams throttles bots per thread (7 messages a second, 60 in 30 seconds) and per tenant (50 requests
a second). The sender keeps below those limits with token buckets (:mod:`bot.ratelimit`) sized so
that no sliding window can exceed them, honours a 429's ``Retry-After`` for every caller sharing the
buckets, retries 412 and 502/503/504 (and connections that never opened) with exponential backoff,
and raises :class:`SendFailed` only when it gives up, so the caller's claim is retried later.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bot.ratelimit import KeyedBuckets, TokenBucket, retry_after_seconds

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_STATUSES = frozenset({412, 502, 503, 504})
# Only errors that prove the request never reached Teams are retried: a read timeout might
# hide a message that was made, and the claim logic decides about those.
RETRY_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class SendFailed(RuntimeError):
    """Teams refused a call for good, or kept refusing it; ``status`` is the last HTTP status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """Pacing and retries. A bucket (rate r, burst b) allows at most b + r·T calls in T seconds."""

    thread_rate: float = 6.0  # + burst 1: at most 7 in any second
    thread_window_rate: float = 1.5  # with burst 15: at most 60 in any 30 s
    thread_window_burst: float = 15.0
    tenant_rate: float = 45.0  # with burst 5: at most 50 in any second
    tenant_burst: float = 5.0
    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 16.0
    call_timeout: float = 60.0


Runner = Callable[[Coroutine[Any, Any, Any], float], Any]


class Sender:
    """Makes connector calls within Teams' limits; synchronous, safe from many threads."""

    def __init__(
        self,
        run: Runner,
        limits: Limits | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run = run
        self.limits = limits or Limits()
        self._sleep = sleep
        lim = self.limits
        timing: dict[str, Any] = {"sleep": sleep, "clock": clock}
        self._per_second = KeyedBuckets(lim.thread_rate, 1.0, **timing)
        self._per_window = KeyedBuckets(lim.thread_window_rate, lim.thread_window_burst, **timing)
        self._per_tenant = KeyedBuckets(lim.tenant_rate, lim.tenant_burst, **timing)

    def buckets(self, tenant_id: str, conversation_id: str | None) -> list[TokenBucket]:
        """The buckets a call to *conversation_id* (None: no message, e.g. a lookup) draws from."""
        buckets = [self._per_tenant[tenant_id]]
        if conversation_id is not None:
            buckets += [self._per_second[conversation_id], self._per_window[conversation_id]]
        return buckets

    def call(
        self,
        tenant_id: str,
        conversation_id: str | None,
        make: Callable[[], Coroutine[Any, Any, T]],
        *,
        what: str = "call",
    ) -> T:
        """Run the coroutine *make()* makes, paced and retried; raises :class:`SendFailed`."""
        buckets = self.buckets(tenant_id, conversation_id)
        attempts = max(self.limits.attempts, 1)
        for attempt in range(1, attempts + 1):
            for bucket in buckets:
                bucket.acquire()
            try:
                result: T = self._run(make(), self.limits.call_timeout)
                return result
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status != 429 and status not in RETRY_STATUSES:
                    raise SendFailed(
                        f"Teams refused the {what} with HTTP {status}", status
                    ) from exc
                if attempt == attempts:
                    raise SendFailed(
                        f"Teams kept refusing the {what} (HTTP {status}, {attempts} attempts)",
                        status,
                    ) from exc
                if status == 429:
                    wait = retry_after_seconds(exc.response.headers.get("Retry-After"), 1.0)
                    log.warning("Teams throttled a %s (429); waiting %.1f s", what, wait)
                    for bucket in buckets:
                        bucket.defer(wait)
                else:
                    wait = self._backoff(attempt)
                    log.warning("Teams answered %d to a %s; retrying in %.1f s", status, what, wait)
                    self._sleep(wait)
            except RETRY_ERRORS as exc:
                if attempt == attempts:
                    raise SendFailed(f"Teams could not be reached for the {what}") from exc
                wait = self._backoff(attempt)
                log.warning("Teams unreachable (%s); retrying in %.1f s", type(exc).__name__, wait)
                self._sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.limits.backoff * 2 ** (attempt - 1), self.limits.max_backoff)
        return random.uniform(ceiling / 2, ceiling)  # jitter, so retrying callers spread out
