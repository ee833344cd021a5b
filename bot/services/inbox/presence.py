"""Who may work on a row of ``inbound_events``: the one claim rule every platform's inbox uses.

Every process that claims rows has a :class:`Presence`: a row in ``workers`` with a random id
made at start, renewed every couple of seconds by a daemon thread, deleted at a clean stop. A
claim names that id (``claimed_by``) and is a compare-and-set on the row, so of any number of
racing workers exactly one gets it. A ``processing`` row is free to take again (see
:func:`abandoned`):

- at once, when the worker that claimed it has no row in ``workers`` any more or stopped renewing
  it for :attr:`Presence.stale_after` (the process was killed or is hung): a restarted bot takes
  the work over within seconds, not after the lease;
- in any case when the claim is older than the inbox's lease, the last resort for a live process
  whose work hangs, and for rows claimed before claims named their process.

Settling (done, failed, handed back) succeeds only for the worker that still holds the claim, so a
worker that wakes up after its claim was taken over cannot settle the row a second time. Staleness
compares times written by different hosts: their clocks must agree to well within
``stale_after`` (NTP does).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, tuple_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import InboundEvent, Worker
from bot.timing import utcnow

log = logging.getLogger(__name__)


class Status(StrEnum):
    """Where an inbox row stands: waiting, claimed by a worker, or settled for good."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


RENEW_EVERY = timedelta(seconds=Settings.worker_renew_seconds)
STALE_AFTER = timedelta(seconds=Settings.worker_stale_seconds)


class Presence:
    """This process's row in ``workers``: the id its claims carry, renewed while it lives."""

    def __init__(
        self,
        db: Database,
        *,
        renew_every: timedelta = RENEW_EVERY,
        stale_after: timedelta = STALE_AFTER,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.clock = clock
        self.renew_every = renew_every
        self.stale_after = stale_after
        self.id = secrets.token_hex(16)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewed = float("-inf")  # time.monotonic() of the last renewal that was stored

    @classmethod
    def configured(
        cls, db: Database, settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> Presence:
        """A presence with the renewal interval and staleness threshold of *settings*."""
        return cls(
            db,
            renew_every=timedelta(seconds=settings.worker_renew_seconds),
            stale_after=timedelta(seconds=settings.worker_stale_seconds),
            clock=clock,
        )

    def start(self) -> None:
        """Register this process and renew it from a daemon thread (again: no effect).

        Rows of workers that stopped renewing are removed on the way (tidying only: their claims
        are free whether their row is there or not).
        """
        with self._lock:
            if self._thread is not None:
                return
            now = self.clock()
            with self.db.transaction() as session:
                session.execute(delete(Worker).where(Worker.renewed_at < now - self.stale_after))
                session.add(Worker(id=self.id, started_at=now, renewed_at=now))
            self._renewed = time.monotonic()
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="inbox-presence", daemon=True)
            self._thread.start()
        log.info("inbox worker %s registered", self.id)

    def claimant(self) -> str:
        """The id to claim with: registered, and renewed now if the last renewal is not recent.

        A claim made under an id that others think is gone would be taken from us at once.
        """
        self.start()
        if not self.fresh():
            self.renew()
        return self.id

    def renew(self) -> None:
        """Store that this process still lives (and register again if its row was removed)."""
        with self._lock:
            now = self.clock()
            with self.db.transaction() as session:
                result = session.execute(
                    update(Worker).where(Worker.id == self.id).values(renewed_at=now)
                )
                if getattr(result, "rowcount", 0) != 1:
                    # Taken for dead while it could not renew: its claims may be someone else's.
                    log.warning("inbox worker %s was taken for stopped; registered again", self.id)
                    session.add(Worker(id=self.id, started_at=now, renewed_at=now))
            self._renewed = time.monotonic()

    def fresh(self) -> bool:
        """True while other processes still see this one as alive (with a renewal to spare)."""
        margin = (self.stale_after - self.renew_every).total_seconds()
        return time.monotonic() - self._renewed < margin

    def stop(self) -> None:
        """Stop renewing and remove this process's row: its remaining claims are free at once."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is None:
            return
        thread.join(self.renew_every.total_seconds() + 5)
        try:
            with self.db.transaction() as session:
                session.execute(delete(Worker).where(Worker.id == self.id))
        except SQLAlchemyError as exc:  # the database is away: the row goes stale on its own
            log.warning("inbox worker %s not removed: %s", self.id, type(exc).__name__)
            return
        log.info("inbox worker %s stopped", self.id)

    def _loop(self) -> None:
        while not self._stop.wait(self.renew_every.total_seconds()):
            try:
                self.renew()
            except Exception as exc:  # the database is away: try again at the next tick
                log.warning("inbox worker %s not renewed: %s", self.id, type(exc).__name__)


def abandoned(now: datetime, lease: timedelta, stale_after: timedelta) -> ColumnElement[bool]:
    """``processing`` rows whose worker is gone or stale, or whose claim outlived *lease*."""
    owner_alive = exists().where(
        Worker.id == InboundEvent.claimed_by, Worker.renewed_at >= now - stale_after
    )
    return (InboundEvent.status == Status.PROCESSING) & (
        (InboundEvent.claimed_by.is_not(None) & ~owner_alive)
        | (InboundEvent.processed_at < now - lease)
    )


@dataclass(frozen=True)
class Claims:
    """The claim rule for one inbox (its *lease* and open statuses) and this process."""

    presence: Presence
    lease: timedelta
    open_statuses: tuple[Status, ...] = (Status.PENDING,)

    def due(self, now: datetime) -> ColumnElement[bool]:
        """Rows that may be claimed now: in an open status, or abandoned."""
        return InboundEvent.status.in_(self.open_statuses) | abandoned(
            now, self.lease, self.presence.stale_after
        )

    def owner(self) -> str:
        """The id to claim with (see :meth:`Presence.claimant`); ask before the transaction."""
        return self.presence.claimant()

    def take(
        self, session: Session, owner: str, where: ColumnElement[bool], now: datetime
    ) -> int | None:
        """Claim the row matching *where* for *owner* if it is due; its attempt, else None.

        The due rule is part of the compare-and-set, so a claim whose worker renewed meanwhile
        is not taken, and two workers racing for one row cannot both win.
        """
        row = session.execute(
            update(InboundEvent)
            .where(where, self.due(now))
            .values(
                status=Status.PROCESSING,
                processed_at=now,
                claimed_by=owner,
                attempts=InboundEvent.attempts + 1,
            )
            .returning(InboundEvent.attempts)
            .execution_options(synchronize_session=False)
        ).first()
        return None if row is None else int(row[0])

    def take_many(
        self, session: Session, owner: str, rows: list[tuple[int, int]], now: datetime
    ) -> dict[int, int]:
        """:meth:`take` for many (id, attempts seen) rows in one statement; id → its attempt
        for each row claimed (a row another worker took or changed meanwhile is left out)."""
        taken = session.execute(
            update(InboundEvent)
            .where(tuple_(InboundEvent.id, InboundEvent.attempts).in_(rows), self.due(now))
            .values(
                status=Status.PROCESSING,
                processed_at=now,
                claimed_by=owner,
                attempts=InboundEvent.attempts + 1,
            )
            .returning(InboundEvent.id, InboundEvent.attempts)
            .execution_options(synchronize_session=False)
        ).all()
        return {int(row_id): int(attempt) for row_id, attempt in taken}

    def settle(self, session: Session, where: ColumnElement[bool], **values: Any) -> bool:
        """Update the row matching *where* if this process still holds its claim; True if so."""
        result = session.execute(
            update(InboundEvent)
            .where(
                where,
                InboundEvent.status == Status.PROCESSING,
                InboundEvent.claimed_by == self.presence.id,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        settled = getattr(result, "rowcount", 0) == 1
        if not settled:
            log.warning("inbox row taken over from worker %s: left to its owner", self.presence.id)
        return settled
