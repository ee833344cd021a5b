"""The durable inbox as a unit: batch claims, handing rows back, and acks before background work."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from bot.domain import Platform
from bot.services.inbox import Inbox, Item
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from handlers.slack.inbox import InboxWorker, Traffic

SLACK = Platform.SLACK


def _fill(inbox: Inbox, count: int) -> None:
    for number in range(count):
        assert inbox.record(SLACK, "T1", f"Ev{number}", "command", {"text": str(number)})


def _n(item: Item) -> int:
    return int(item.payload["text"])


def _rows(db: Database) -> list[InboundEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def test_a_batch_claim_takes_the_oldest_rows_once(db: Database) -> None:
    inbox = Inbox(db)
    _fill(inbox, 5)
    first = inbox.claim(SLACK, 3)
    second = inbox.claim(SLACK, 3)
    assert [_n(item) for item in first] == [0, 1, 2]
    assert [_n(item) for item in second] == [3, 4]
    assert inbox.claim(SLACK, 3) == []
    assert all(item.attempts == 1 for item in first + second)


def test_released_rows_are_claimable_again_without_counting_an_attempt(db: Database) -> None:
    inbox = Inbox(db)
    _fill(inbox, 2)
    taken = inbox.claim(SLACK, 2)
    inbox.release(taken[1:])
    again = inbox.claim(SLACK, 2)
    assert [_n(item) for item in again] == [1]
    assert again[0].attempts == 1


def test_a_slow_batch_hands_back_what_it_did_not_start_within_half_a_lease(db: Database) -> None:
    inbox = Inbox(db, lease=timedelta(seconds=0.2))
    _fill(inbox, 4)
    handled: list[int] = []

    def slow(item: Item) -> None:
        handled.append(_n(item))
        time.sleep(0.15)

    worker = InboxWorker(inbox, slow, batch=4)
    assert worker.run_once()
    assert handled == [0]  # 0.15 s gone: more than half of the 0.2 s lease
    statuses = [(row.status, row.attempts) for row in _rows(db)]
    assert statuses == [("done", 1), ("pending", 0), ("pending", 0), ("pending", 0)]
    while worker.run_once():
        pass
    assert sorted(handled) == [0, 1, 2, 3]
    assert [row.status for row in _rows(db)] == ["done"] * 4


def test_a_failing_row_in_a_batch_does_not_stop_the_others(db: Database) -> None:
    inbox = Inbox(db)
    _fill(inbox, 3)

    def fussy(item: Item) -> None:
        if _n(item) == 1:
            raise RuntimeError("boom")

    assert InboxWorker(inbox, fussy, batch=3).run_once()
    assert [(row.status, row.attempts) for row in _rows(db)] == [
        ("done", 1),
        ("pending", 1),
        ("done", 1),
    ]


def test_background_work_waits_for_a_pause_in_requests_but_not_forever() -> None:
    stop = threading.Event()
    traffic = Traffic(quiet=0.2, longest=0.5)
    began = time.monotonic()
    traffic.wait_quiet(stop)
    assert time.monotonic() - began < 0.1  # nothing arrived yet: no wait

    traffic.arrived()
    began = time.monotonic()
    traffic.wait_quiet(stop)
    assert 0.15 <= time.monotonic() - began < 0.45  # waited for the pause

    keep_busy = threading.Event()

    def requests() -> None:
        while not keep_busy.wait(0.02):
            traffic.arrived()

    traffic.arrived()
    sender = threading.Thread(target=requests)
    sender.start()
    try:
        began = time.monotonic()
        traffic.wait_quiet(stop)
        waited = time.monotonic() - began
    finally:
        keep_busy.set()
        sender.join()
    assert 0.45 <= waited < 2.0  # requests never paused: gave up waiting after `longest`
