"""The durable inbox: every inbound item is recorded before the platform gets its answer.

An adapter calls :meth:`Inbox.record` (one fast insert, unique on platform, workspace and event
id) and only then acknowledges; a database error propagates, the platform gets an error and
delivers again. A retried delivery finds its row already there and adds nothing. Workers
:meth:`~Inbox.claim` recorded rows, do the slow work and :meth:`~Inbox.settle` each one (or
:meth:`~Inbox.release` what they did not start), so a crash after the ack loses nothing: pending
rows are picked up by this or any other process. A platform whose work happens within the request
(Teams) records and claims in one step (:meth:`Inbox.record_and_claim`); its next delivery is the
retry.

Claims follow :mod:`bot.services.inbox.presence`: a compare-and-set that names this process, taken
over as soon as the process stops renewing its presence. While a row is ``processing``,
``processed_at`` holds when the attempt started (its lease, the last resort); once it is ``done``
or ``failed``, when it finished. What a row may hold, and when it goes, is
:mod:`bot.services.inbox.payloads`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain import Platform
from bot.metrics import Metrics
from bot.services.inbox.payloads import keep
from bot.services.inbox.presence import Claims, Presence, Status, abandoned
from bot.services.inbox.recorder import pending_row
from bot.services.sql import insert_new
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from bot.timing import utcnow

__all__ = ["Busy", "Inbox", "Item", "Presence", "Status", "abandoned"]

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=5)
MAX_ATTEMPTS = 5
# Rows a claim looks at to find due ones among those still backing off.
CANDIDATES = 20
_KEY = ["platform", "workspace_id", "event_id"]


@dataclass(frozen=True)
class Item:
    """A claimed inbox row: what a worker needs to do its work and settle it."""

    id: int
    platform: str
    workspace_id: str
    event_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


class Busy(Exception):
    """The item is being worked on by a live process: ask for this delivery again later."""


class Inbox:
    """The ``inbound_events`` table, for every platform, claimed under one rule."""

    def __init__(
        self,
        db: Database,
        presence: Presence | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
        lease: timedelta = timedelta(seconds=Settings.inbox_lease_seconds),
        request_lease: timedelta = timedelta(seconds=Settings.inbox_request_lease_seconds),
        batch: int = Settings.inbox_batch,
    ) -> None:
        self.db = db
        self.clock = clock
        self.presence = presence or Presence(db, clock=clock)
        self.metrics = metrics or Metrics()
        self.lease = lease
        self.batch = batch
        self._claims = Claims(self.presence, lease)
        # A delivery is the platform's own retry: it may take up even a row given up on.
        self._request_claims = Claims(
            self.presence, request_lease, open_statuses=(Status.PENDING, Status.FAILED)
        )

    @classmethod
    def configured(
        cls,
        db: Database,
        settings: Settings,
        presence: Presence,
        *,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
    ) -> Inbox:
        """An inbox with the leases and batch size of *settings*."""
        return cls(
            db,
            presence,
            clock=clock,
            metrics=metrics,
            lease=timedelta(seconds=settings.inbox_lease_seconds),
            request_lease=timedelta(seconds=settings.inbox_request_lease_seconds),
            batch=settings.inbox_batch,
        )

    def record(
        self,
        platform: Platform | str,
        workspace_id: str,
        event_id: str,
        kind: str,
        payload: Mapping[str, Any],
    ) -> bool:
        """Store an inbound item (only what processing needs); False when it was there before.

        Raises on a database error: the caller must then not acknowledge.
        """
        kept = keep(platform, kind, payload)
        with self.db.transaction() as session:
            row = self._insert(session, platform, workspace_id, event_id, kind, kept, {})
        return row is not None

    def record_and_claim(
        self,
        platform: Platform | str,
        workspace_id: str,
        event_id: str,
        kind: str,
        payload: Mapping[str, Any],
    ) -> Item | None:
        """Record an item and claim it in one step, for work done within the request.

        None when it is done already (a redelivery); :class:`Busy` when a live process is working
        on it, so that the platform delivers it again later rather than take it for done. A row
        whose attempt failed, or whose process stopped renewing its presence, is claimed again.
        """
        now = self.clock()
        owner = self._request_claims.owner()
        kept = keep(platform, kind, payload)
        with self.db.transaction() as session:
            row_id = self._insert(
                session,
                platform,
                workspace_id,
                event_id,
                kind,
                kept,
                {"status": Status.PROCESSING, "attempts": 1, "processed_at": now},
                owner=owner,
            )
            if row_id is not None:
                return Item(row_id, str(platform), workspace_id, event_id[:255], kind, kept, 1)
            where = _key(platform, workspace_id, event_id)
            attempt = self._request_claims.take(session, owner, where, now)
            row = session.execute(select(InboundEvent.id, InboundEvent.status).where(where)).first()
        if row is None:  # erased (forget-me) in the meantime: nothing left to do
            return None
        if attempt is not None:
            return Item(row.id, str(platform), workspace_id, event_id[:255], kind, kept, attempt)
        if row.status == Status.PROCESSING:
            raise Busy(f"{platform} item {row.id} is being worked on")
        return None

    def claim(self, platform: Platform | str, limit: int = 1) -> list[Item]:
        """Take up to *limit* of the oldest due rows of *platform*: pending (once their retry
        time is reached), or abandoned by a stopped worker (see :func:`abandoned`).

        One transaction for the lot, and one compare-and-set statement for every row it takes:
        on SQLite the write lock is then held for that statement only, not across a row-by-row
        loop, so a request's insert never waits behind a busy worker for long.
        """
        now = self.clock()
        owner = self._claims.owner()
        with self.db.transaction() as session:
            rows = session.scalars(
                select(InboundEvent)
                .where(InboundEvent.platform == str(platform), self._claims.due(now))
                .order_by(InboundEvent.id)
                .limit(max(CANDIDATES, limit))
            ).all()
            wanted = [row for row in rows if not _backing_off(row, now)][:limit]
            if not wanted:
                return []
            taken = self._claims.take_many(
                session, owner, [(row.id, row.attempts) for row in wanted], now
            )
            return [
                Item(
                    row.id,
                    row.platform,
                    row.workspace_id,
                    row.event_id,
                    row.kind,
                    dict(row.payload),
                    taken[row.id],
                )
                for row in wanted
                if row.id in taken  # another worker won the rest
            ]

    def settle(self, item: Item, error: str | None = None, *, retry: bool = True) -> None:
        """Mark a claimed row done, or with *error* put it back for a later attempt; after
        :data:`MAX_ATTEMPTS`, or when no retry can mend it (*retry* False), it is kept failed.

        Only the process that still holds the claim settles: a worker that wakes up after its
        claim was taken over leaves the row to its new owner.
        """
        if error is None:
            values: dict[str, Any] = {"status": Status.DONE, "error": None}
        else:
            again = retry and item.attempts < MAX_ATTEMPTS
            values = {"status": Status.PENDING if again else Status.FAILED, "error": error[:500]}
        with self.db.transaction() as session:
            self._claims.settle(session, _held(item), processed_at=self.clock(), **values)

    def settle_many(self, outcomes: Sequence[tuple[Item, str | None]]) -> int:
        """:meth:`settle` for a handled batch in one transaction: each (item, error) as there,
        the done rows in one statement. Only rows this process still holds are settled (the
        others are left to their new owner); returns how many were.
        """
        now = self.clock()
        done = [item for item, error in outcomes if error is None]
        settled = 0
        with self.db.transaction() as session:
            if done:
                # Claims.settle's owner rule, for all done rows in one UPDATE.
                result = session.execute(
                    update(InboundEvent)
                    .where(
                        tuple_(InboundEvent.id, InboundEvent.attempts).in_(
                            [(item.id, item.attempts) for item in done]
                        ),
                        InboundEvent.status == Status.PROCESSING,
                        InboundEvent.claimed_by == self.presence.id,
                    )
                    .values(status=Status.DONE, error=None, processed_at=now)
                    .execution_options(synchronize_session=False)
                )
                settled += int(getattr(result, "rowcount", 0) or 0)
                if settled < len(done):
                    taken = len(done) - settled
                    log.warning("%d inbox rows taken over: left to their owner", taken)
            for item, error in outcomes:
                if error is None:
                    continue
                again = item.attempts < MAX_ATTEMPTS
                status = Status.PENDING if again else Status.FAILED
                held = self._claims.settle(
                    session, _held(item), processed_at=now, status=status, error=error[:500]
                )
                settled += int(held)
        return settled

    def release(self, items: list[Item]) -> None:
        """Hand claimed rows back untouched (not an attempt), for this or another worker."""
        if not items:
            return
        with self.db.transaction() as session:
            for item in items:
                self._claims.settle(
                    session,
                    _held(item),
                    status=Status.PENDING,
                    attempts=item.attempts - 1,
                    processed_at=None,
                    claimed_by=None,
                )

    def count(self, *statuses: Status | str, platform: Platform | str | None = None) -> int:
        """How many rows (of *platform*, else of any) have one of *statuses* (health, tests)."""
        where: ColumnElement[bool] = InboundEvent.status.in_(statuses)
        if platform is not None:
            where &= InboundEvent.platform == str(platform)
        with self.db.transaction() as session:
            found = session.scalar(select(func.count(InboundEvent.id)).where(where))
        return int(found or 0)

    def _insert(
        self,
        session: Session,
        platform: Platform | str,
        workspace_id: str,
        event_id: str,
        kind: str,
        payload: dict[str, Any],
        values: dict[str, Any],
        owner: str | None = None,
    ) -> int | None:
        label = str(platform)
        self.metrics.events_received.labels(label).inc()
        row = pending_row(platform, workspace_id, event_id, kind, payload, self.clock())
        row_id = insert_new(session, InboundEvent, {**row, "claimed_by": owner, **values}, _KEY)
        if row_id is None:
            self.metrics.events_deduplicated.labels(label).inc()
        return row_id


def _backing_off(row: InboundEvent, now: datetime) -> bool:
    """True for a row that failed before and waits before its next attempt."""
    attempts = row.attempts
    last = row.processed_at if row.status == Status.PENDING and attempts else None
    return last is not None and last > now - RETRY_AFTER * attempts


def _key(platform: Platform | str, workspace_id: str, event_id: str) -> ColumnElement[bool]:
    return (
        (InboundEvent.platform == str(platform))
        & (InboundEvent.workspace_id == workspace_id)
        & (InboundEvent.event_id == event_id[:255])
    )


def _held(item: Item) -> ColumnElement[bool]:
    return (InboundEvent.id == item.id) & (InboundEvent.attempts == item.attempts)
