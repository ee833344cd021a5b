"""The inbox claim rule across processes (:mod:`bot.services.inbox`), on SQLite and PostgreSQL.

Each "process" is a :class:`Presence` with an inbox of its own on the one database. A process is
killed by freezing its clock: its daemon thread goes on writing the same moment, exactly as if it
had stopped renewing, while the other process's clock moves on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import ConfigError, settings_from
from bot.domain import Platform
from bot.services.inbox import Busy, Inbox, Item, Presence
from bot.storage.db import Database
from bot.storage.models import InboundEvent, Worker
from tests.support import FakeClock

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STALE = timedelta(seconds=10)


class Process:
    """One process on the shared database: its own clock, presence and inboxes."""

    def __init__(self, db: Database) -> None:
        self.clock = FakeClock(START)
        self.presence = Presence(
            db, renew_every=timedelta(seconds=2), stale_after=STALE, clock=self.clock
        )
        self.inbox = Inbox(db, self.presence, clock=self.clock)

    def claim(self, limit: int) -> list[Item]:
        """Slack rows, the way a Slack worker claims them."""
        return self.inbox.claim(Platform.SLACK, limit)

    def begin(self) -> Item | None:
        """The one Teams activity of these tests, recorded and claimed within its request."""
        return self.inbox.record_and_claim(
            Platform.TEAMS, "tenant", "message:1", "message", {"type": "message"}
        )


@pytest.fixture
def two(db: Database) -> Iterator[tuple[Process, Process]]:
    """Two processes whose clocks agree; both stopped at the end."""
    first, second = Process(db), Process(db)
    yield first, second
    first.presence.stop()
    second.presence.stop()


def _advance(delta: timedelta, *processes: Process) -> None:
    for process in processes:
        process.clock.advance(delta)


def _rows(db: Database) -> list[tuple[str, int, str | None]]:
    with db.transaction() as session:
        rows = session.scalars(select(InboundEvent).order_by(InboundEvent.id))
        return [(row.status, row.attempts, row.claimed_by) for row in rows]


def _fill(inbox: Inbox, count: int) -> None:
    for number in range(count):
        assert inbox.record(Platform.SLACK, "T1", f"Ev{number}", "command", {"text": "x"})


def test_a_live_workers_claim_is_never_taken_and_a_stopped_ones_is_taken_at_once(
    db: Database, two: tuple[Process, Process]
) -> None:
    a, b = two
    _fill(a.inbox, 3)
    held = a.claim(3)
    assert len(held) == 3
    # Four minutes of work on the batch (under the 5-minute lease), renewing all the while.
    for _ in range(12):
        _advance(timedelta(seconds=20), a, b)
        a.presence.renew()
        assert b.claim(3) == []

    # Killed: it renews no more. After the threshold, not the lease, the rows are taken over.
    _advance(STALE + timedelta(seconds=1), b)
    taken = b.claim(3)
    assert [item.id for item in taken] == [item.id for item in held]
    assert all(item.attempts == 2 for item in taken)
    assert _rows(db) == [("processing", 2, b.presence.id)] * 3

    # A stale owner that wakes up cannot settle (or hand back) what is no longer its own.
    a.inbox.settle(held[0])
    a.inbox.settle(held[1], "late")
    a.inbox.release(held[2:])
    assert _rows(db) == [("processing", 2, b.presence.id)] * 3
    for item in taken:
        b.inbox.settle(item)
    assert _rows(db) == [("done", 2, b.presence.id)] * 3


def test_the_claims_of_a_cleanly_stopped_worker_are_free_at_once(
    db: Database, two: tuple[Process, Process]
) -> None:
    a, b = two
    _fill(a.inbox, 2)
    held = a.claim(2)
    a.presence.stop()  # its worker row is gone: nothing to wait for
    assert [item.id for item in b.claim(2)] == [item.id for item in held]


def test_a_teams_activity_of_a_killed_process_is_worked_on_at_its_next_delivery(
    db: Database, two: tuple[Process, Process]
) -> None:
    a, b = two
    first = a.begin()
    assert first is not None and first.attempts == 1
    _advance(timedelta(seconds=60), a, b)
    a.presence.renew()
    with pytest.raises(Busy):  # a lives: the delivery is to come again, not taken for done
        b.begin()

    _advance(STALE + timedelta(seconds=1), b)  # a is gone; the 2-minute lease has not run out
    again = b.begin()
    assert again is not None and again.attempts == 2
    a.inbox.settle(first)
    assert _rows(db) == [("processing", 2, b.presence.id)]
    b.inbox.settle(again)
    assert _rows(db) == [("done", 2, b.presence.id)]


def test_workers_of_two_processes_racing_to_take_over_take_every_row_exactly_once(
    db: Database, two: tuple[Process, Process]
) -> None:
    a, b = two
    dead = Process(db)
    _fill(dead.inbox, 30)
    assert len(dead.claim(30)) == 30
    _advance(STALE + timedelta(seconds=1), a, b)  # dead renews no more
    claimed: list[Item] = []
    lock = threading.Lock()

    def work(inbox: Inbox) -> None:
        while items := inbox.claim(Platform.SLACK, 3):
            with lock:
                claimed.extend(items)
            for item in items:
                inbox.settle(item)

    threads = [threading.Thread(target=work, args=(p.inbox,)) for p in (a, b, a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    dead.presence.stop()
    assert sorted(item.id for item in claimed) == sorted({item.id for item in claimed})
    assert len(claimed) == 30
    assert {(status, attempts) for status, attempts, _ in _rows(db)} == {("done", 2)}


def test_a_presence_renews_registers_again_and_is_removed_at_a_clean_stop(
    db: Database, two: tuple[Process, Process]
) -> None:
    a, b = two

    def registered() -> set[str]:
        with db.transaction() as session:
            ids = set(session.scalars(select(Worker.id)))
        return ids & {a.presence.id, b.presence.id}

    a.presence.start()
    _advance(timedelta(minutes=1), b)
    b.presence.start()  # removes workers that stopped renewing long ago: a, for now
    assert registered() == {b.presence.id}
    a.presence.renew()  # a was only slow: it registers again
    assert registered() == {a.presence.id, b.presence.id}
    b.presence.stop()
    assert registered() == {a.presence.id}


def test_the_renewal_settings_are_read_and_checked() -> None:
    settings = settings_from(
        {"LEDARFORUM_WORKER_RENEW_SECONDS": "1", "LEDARFORUM_WORKER_STALE_SECONDS": "4.5"}
    )
    assert (settings.worker_renew_seconds, settings.worker_stale_seconds) == (1.0, 4.5)
    assert (settings_from({}).worker_renew_seconds, settings_from({}).worker_stale_seconds) == (
        2.0,
        10.0,
    )
    with pytest.raises(ConfigError, match="LEDARFORUM_WORKER_STALE_SECONDS"):
        settings_from({"LEDARFORUM_WORKER_STALE_SECONDS": "3"})
    with pytest.raises(ConfigError, match="LEDARFORUM_WORKER_RENEW_SECONDS"):
        settings_from({"LEDARFORUM_WORKER_RENEW_SECONDS": "soon"})
