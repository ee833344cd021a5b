"""The durable inbox: every inbound event or submission is stored before Slack gets its ack.

Listeners call :meth:`Inbox.record` (one fast insert, unique on workspace + event id) and only
then acknowledge; a database error propagates, Bolt answers 500 and Slack delivers again. A
retried delivery finds its row already there and adds nothing. :class:`InboxWorker` threads do
the slow work (Web API calls, rendering, DMs) from the table, so a crash after the ack loses
nothing: pending rows are picked up at the next start, by this or any other instance.

Claims are a compare-and-set on the row's status, so several workers and processes share one
inbox safely. While a row is ``processing``, ``processed_at`` holds when the attempt started (its
lease); when it is ``done`` or ``failed``, when it finished.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.domain import Platform
from bot.metrics import Metrics
from bot.services.sql import insert_ignore
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from bot.timing import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(seconds=5)
MAX_ATTEMPTS = 5
CANDIDATES = 20


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
    ) -> None:
        self.db = db
        self.clock = clock
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

    def claim(self) -> Pending | None:
        """Take the oldest row that is due (pending, retry time reached, or lease expired)."""
        now = self.clock()
        with self.db.transaction() as session:
            rows = session.scalars(
                select(InboundEvent)
                .where(
                    InboundEvent.platform == self.platform,
                    or_(
                        InboundEvent.status == "pending",
                        (InboundEvent.status == "processing")
                        & (InboundEvent.processed_at < now - LEASE),
                    ),
                )
                .order_by(InboundEvent.id)
                .limit(CANDIDATES)
            ).all()
            for row in rows:
                # Read before the update: the ORM refreshes the row object with the new values.
                status, attempts = row.status, row.attempts
                last = row.processed_at if status == "pending" and attempts else None
                if last is not None and last > now - RETRY_AFTER * attempts:
                    continue  # failed before: back off before the next attempt
                taken = session.execute(
                    update(InboundEvent)
                    .where(
                        InboundEvent.id == row.id,
                        InboundEvent.status == status,
                        InboundEvent.attempts == attempts,
                    )
                    .values(status="processing", processed_at=now, attempts=attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    payload = dict(row.payload)
                    return Pending(
                        row.id, row.workspace_id, row.event_id, row.kind, payload, attempts + 1
                    )
        return None

    def finish(self, item: Pending) -> None:
        """Mark a row done."""
        self._settle(item, status="done", error=None)

    def fail(self, item: Pending, error: str) -> None:
        """Put a row back for a later attempt, or give up after :data:`MAX_ATTEMPTS`."""
        status = "failed" if item.attempts >= MAX_ATTEMPTS else "pending"
        self._settle(item, status=status, error=error[:500])

    def _settle(self, item: Pending, **values: Any) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(InboundEvent)
                .where(InboundEvent.id == item.id, InboundEvent.attempts == item.attempts)
                .values(processed_at=self.clock(), **values)
            )

    def count(self, *statuses: str) -> int:
        """How many Slack rows have one of *statuses* (health and tests)."""
        with self.db.transaction() as session:
            found = session.scalar(
                select(func.count(InboundEvent.id)).where(
                    InboundEvent.platform == self.platform, InboundEvent.status.in_(statuses)
                )
            )
        return int(found or 0)


class InboxWorker:
    """Threads that process inbox rows as they arrive (woken at once) and on a slow poll."""

    def __init__(
        self,
        inbox: Inbox,
        handle: Callable[[Pending], None],
        *,
        threads: int = 2,
        poll_seconds: float = 2.0,
    ) -> None:
        self.inbox = inbox
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
        """Start the threads; rows left pending by an earlier run are processed first."""
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
        """Process one due row; False when there was none."""
        item = self.inbox.claim()
        if item is None:
            return False
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
        return True

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
