"""The inbox worker with a batch handler (``handle_batch``): one settle for the batch, and the
rules of the one-by-one path kept (rows not started in time are handed back); on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot.domain import Platform
from bot.services.inbox import Inbox, Item
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from handlers.slack.inbox import InboxWorker

SLACK = Platform.SLACK


class Batcher:
    """A handler offering ``handle_batch``: items numbered in ``fail`` fail, each takes *pause*."""

    def __init__(self, pause: float = 0.0, fail: frozenset[int] = frozenset()) -> None:
        self.pause = pause
        self.fail = fail
        self.batches: list[list[int]] = []
        self.one_by_one: list[int] = []

    def __call__(self, item: Item) -> None:
        self.one_by_one.append(_n(item))

    def handle_batch(
        self, items: list[Item], *, may_start: Callable[[], bool] | None = None
    ) -> list[tuple[Item, str | None]]:
        outcomes: list[tuple[Item, str | None]] = []
        self.batches.append([])
        for index, item in enumerate(items):
            if index and may_start is not None and not may_start():
                break
            self.batches[-1].append(_n(item))
            time.sleep(self.pause)
            outcomes.append((item, "ValueError: bad" if _n(item) in self.fail else None))
        return outcomes


def _fill(inbox: Inbox, count: int) -> None:
    for number in range(count):
        assert inbox.record(SLACK, "T1", f"Ev{number}", "command", {"text": str(number)})


def _n(item: Item) -> int:
    return int(item.payload["text"])


def _rows(db: Database) -> list[tuple[str, int, str | None]]:
    with db.transaction() as session:
        rows = session.execute(
            select(InboundEvent.status, InboundEvent.attempts, InboundEvent.error).order_by(
                InboundEvent.id
            )
        )
        return [(status, attempts, error) for status, attempts, error in rows]


def test_a_batch_handler_gets_the_whole_batch_and_its_outcomes_are_settled(db: Database) -> None:
    inbox = Inbox(db)
    _fill(inbox, 4)
    handler = Batcher(fail=frozenset({2}))
    try:
        assert InboxWorker(inbox, handler, batch=10).run_once()
        assert handler.batches == [[0, 1, 2, 3]] and handler.one_by_one == []
        assert _rows(db) == [
            ("done", 1, None),
            ("done", 1, None),
            ("pending", 1, "ValueError: bad"),
            ("done", 1, None),
        ]
    finally:
        inbox.presence.stop()


def test_a_slow_batch_hands_back_what_it_did_not_start_within_half_a_lease(db: Database) -> None:
    inbox = Inbox(db, lease=timedelta(seconds=0.2))
    _fill(inbox, 4)
    handler = Batcher(pause=0.15)
    worker = InboxWorker(inbox, handler, batch=4)
    try:
        assert worker.run_once()
        assert handler.batches == [[0]]  # 0.15 s gone: more than half of the 0.2 s lease
        assert [(s, a) for s, a, _ in _rows(db)] == [("done", 1)] + [("pending", 0)] * 3
        while worker.run_once():
            pass
        assert [(s, a) for s, a, _ in _rows(db)] == [("done", 1)] * 4
    finally:
        inbox.presence.stop()


def test_a_batch_is_handed_back_whole_when_presence_is_not_fresh(db: Database) -> None:
    """This process could not renew its presence in time: another may take its rows."""
    inbox = Inbox(db)
    _fill(inbox, 3)
    handler = Batcher()
    worker = InboxWorker(inbox, handler, batch=3)
    try:
        inbox.presence.fresh = lambda: False  # type: ignore[method-assign]
        assert worker.run_once()
        assert handler.batches == []
        assert [(s, a) for s, a, _ in _rows(db)] == [("pending", 0)] * 3
    finally:
        inbox.presence.stop()


def test_a_batch_handler_that_fails_whole_puts_every_row_back_for_a_retry(db: Database) -> None:
    inbox = Inbox(db)
    _fill(inbox, 2)

    class Broken(Batcher):
        def handle_batch(
            self, items: list[Item], *, may_start: Callable[[], bool] | None = None
        ) -> list[tuple[Item, str | None]]:
            raise ConnectionError("database away")

    try:
        assert InboxWorker(inbox, Broken(), batch=2).run_once()
        assert _rows(db) == [("pending", 1, "ConnectionError: database away")] * 2
    finally:
        inbox.presence.stop()
