"""The durable inbox: every inbound event or submission is stored before Slack gets its ack.

Listeners call :meth:`Inbox.record` (one fast insert, unique on workspace + event id) and only
then acknowledge; a database error propagates, Bolt answers 500 and Slack delivers again. A
retried delivery finds its row already there and adds nothing. :class:`InboxWorker` threads do
the slow work (Web API calls, rendering, DMs) from the table, so a crash after the ack loses
nothing: pending rows are picked up at the next start, by this or any other instance.

Claims follow :mod:`bot.services.inbox`: a compare-and-set that names this process, so several
workers and processes share one inbox safely, and the rows of a killed process are taken over as
soon as it stops renewing its presence. While a row is ``processing``, ``processed_at`` holds when
the attempt started (its lease, the last resort); when it is ``done`` or ``failed``, when it
finished.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select

from bot.domain import Platform
from bot.metrics import Metrics
from bot.services.inbox import Claims, Presence
from bot.services.sql import insert_ignore
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from bot.timing import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(seconds=5)
MAX_ATTEMPTS = 5
CANDIDATES = 20
# Rows one worker takes per claim: enough to save round trips, few enough to share the work.
BATCH = 8
# Background work gives way to acknowledgements: it waits for this long a pause in arriving
# requests, but never longer than MAX_DEFER, so answers are late under a burst, never lost.
QUIET = 0.05
MAX_DEFER = 1.0


@dataclass(frozen=True)
class Pending:
    """An inbox row handed to a worker."""

    id: int
    workspace_id: str
    event_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


class Inbox:
    """The Slack rows of the ``inbound_events`` table."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
        lease: timedelta = LEASE,
        presence: Presence | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.lease = lease
        self.presence = presence or Presence(db, clock=clock)
        self.claims = Claims(self.presence, lease)
        self.platform = Platform.SLACK.value
        self.metrics = metrics or Metrics()

    def record(self, workspace_id: str, event_id: str, kind: str, payload: dict[str, Any]) -> bool:
        """Store an inbound item; False when it was stored before (a retried delivery).

        Raises on a database error: the caller must then not acknowledge.
        """
        # The deprecated verification token rides along in every payload; it is not ours to keep.
        kept = {key: value for key, value in payload.items() if key != "token"}
        self.metrics.events_received.labels(self.platform).inc()
        with self.db.transaction() as session:
            stored = insert_ignore(
                session,
                InboundEvent,
                {
                    "platform": self.platform,
                    "workspace_id": workspace_id,
                    "event_id": event_id[:255],
                    "kind": kind,
                    "payload": kept,
                    "status": "pending",
                    "attempts": 0,
                    "received_at": self.clock(),
                },
                ["platform", "workspace_id", "event_id"],
            )
        if not stored:
            self.metrics.events_deduplicated.labels(self.platform).inc()
        return stored

    def claim(self, limit: int = 1) -> list[Pending]:
        """Take up to *limit* of the oldest due rows: pending (once their retry time is reached),
        or abandoned by a stopped worker (see :func:`bot.services.inbox.abandoned`).

        One transaction for the lot: under load a worker takes several rows per round trip.
        """
        now = self.clock()
        owner = self.claims.owner()
        taken: list[Pending] = []
        with self.db.transaction() as session:
            rows = session.scalars(
                select(InboundEvent)
                .where(InboundEvent.platform == self.platform, self.claims.due(now))
                .order_by(InboundEvent.id)
                .limit(max(CANDIDATES, limit))
            ).all()
            for row in rows:
                if len(taken) >= limit:
                    break
                attempts = row.attempts
                last = row.processed_at if row.status == "pending" and attempts else None
                if last is not None and last > now - RETRY_AFTER * attempts:
                    continue  # failed before: back off before the next attempt
                same = (InboundEvent.id == row.id) & (InboundEvent.attempts == attempts)
                attempt = self.claims.take(session, owner, same, now)
                if attempt is not None:
                    payload = dict(row.payload)
                    taken.append(
                        Pending(row.id, row.workspace_id, row.event_id, row.kind, payload, attempt)
                    )
        return taken

    def release(self, items: list[Pending]) -> None:
        """Hand claimed rows back untouched (not an attempt), for this or another worker."""
        if not items:
            return
        with self.db.transaction() as session:
            for item in items:
                self.claims.settle(
                    session,
                    self._held(item),
                    status="pending",
                    attempts=item.attempts - 1,
                    processed_at=None,
                    claimed_by=None,
                )

    def finish(self, item: Pending) -> None:
        """Mark a row done."""
        self._settle(item, status="done", error=None)

    def fail(self, item: Pending, error: str) -> None:
        """Put a row back for a later attempt, or give up after :data:`MAX_ATTEMPTS`."""
        status = "failed" if item.attempts >= MAX_ATTEMPTS else "pending"
        self._settle(item, status=status, error=error[:500])

    def _settle(self, item: Pending, **values: Any) -> None:
        with self.db.transaction() as session:
            self.claims.settle(session, self._held(item), processed_at=self.clock(), **values)

    @staticmethod
    def _held(item: Pending) -> ColumnElement[bool]:
        return (InboundEvent.id == item.id) & (InboundEvent.attempts == item.attempts)

    def count(self, *statuses: str) -> int:
        """How many Slack rows have one of *statuses* (health and tests)."""
        with self.db.transaction() as session:
            found = session.scalar(
                select(func.count(InboundEvent.id)).where(
                    InboundEvent.platform == self.platform, InboundEvent.status.in_(statuses)
                )
            )
        return int(found or 0)


class Traffic:
    """When a Slack request last arrived, so that background work can give way to acks.

    Slack's three seconds for an acknowledgement are a hard limit; an answer sent through the
    ``response_url`` a moment later is not. The listeners call :meth:`arrived`; workers call
    :meth:`wait_quiet` before each row.
    """

    def __init__(self, quiet: float = QUIET, longest: float = MAX_DEFER) -> None:
        self.quiet = quiet
        self.longest = longest
        self._last = float("-inf")

    def arrived(self) -> None:
        """A request has arrived (a float assignment: safe from any thread)."""
        self._last = time.monotonic()

    def wait_quiet(self, stop: threading.Event) -> None:
        """Wait until no request arrived for :attr:`quiet` seconds, or :attr:`longest` passed."""
        deadline = time.monotonic() + self.longest
        while not stop.is_set():
            now = time.monotonic()
            pause = self.quiet - (now - self._last)
            if pause <= 0 or now >= deadline:
                return
            stop.wait(min(pause, deadline - now))


class InboxWorker:
    """Threads that process inbox rows as they arrive (woken at once) and on a slow poll."""

    def __init__(
        self,
        inbox: Inbox,
        handle: Callable[[Pending], None],
        *,
        threads: int = 2,
        poll_seconds: float = 2.0,
        batch: int = BATCH,
        traffic: Traffic | None = None,
    ) -> None:
        self.inbox = inbox
        self.batch = batch
        self.traffic = traffic or Traffic(quiet=0.0)
        self.handle = handle
        self.threads = threads
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def wake(self) -> None:
        """Tell the workers a new row is waiting."""
        self._wake.set()

    def start(self) -> None:
        """Register this process, then start the threads; rows left pending by an earlier run,
        or held by a process that stopped renewing its presence, are processed first."""
        self.inbox.presence.start()
        self._stop.clear()
        for number in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"slack-inbox-{number}", daemon=True)
            thread.start()
            self._workers.append(thread)
        self.wake()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the current rows finish, then stop."""
        self._stop.set()
        self._wake.set()
        for thread in self._workers:
            thread.join(timeout)
        self._workers.clear()

    def run_once(self) -> bool:
        """Process a batch of due rows; False when there was none.

        Each row is settled on its own as soon as it is handled, so a crash repeats at most the
        one in hand. Rows of the batch not started within half a lease, or once this process
        could not renew its presence in time, are handed back, so a slow batch (a rate-limited
        DM, say) or a stalled process never lets another worker take a row twice.
        """
        items = self.inbox.claim(self.batch)
        if not items:
            return False
        started = time.monotonic()
        for index, item in enumerate(items):
            self.traffic.wait_quiet(self._stop)
            late = index > 0 and time.monotonic() - started > self.inbox.lease.total_seconds() / 2
            if late or not self.inbox.presence.fresh():
                self.inbox.release(items[index:])
                break
            self._handle(item)
        return True

    def _handle(self, item: Pending) -> None:
        try:
            self.handle(item)
        except Exception as exc:
            log.warning(
                "inbox item %s (%s) failed on attempt %d: %s",
                item.id,
                item.kind,
                item.attempts,
                type(exc).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            self.inbox.fail(item, f"{type(exc).__name__}: {exc}")
        else:
            self.inbox.finish(item)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before claiming, so a row recorded meanwhile is not missed
            try:
                busy = self.run_once()
            except Exception as exc:  # the database is away: wait and try again
                log.warning("inbox unavailable: %s", type(exc).__name__)
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
