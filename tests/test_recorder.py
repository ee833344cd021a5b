"""The request path's group commit (:class:`bot.services.inbox.recorder.Recorder`): concurrent
arrivals share transactions, each caller learns whether its own row was new, a repeat is stored
once, and a failed group is retried row by row so one bad row fails only its own request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.domain import Platform
from bot.services.inbox import Inbox
from bot.services.inbox.recorder import Recorder, _Arrival
from bot.storage.db import Database, make_engine
from bot.storage.models import InboundEvent

REPLY: dict[str, Any] = {
    "team_id": "T1",
    "event": {"type": "message", "text": "Gott exempel", "user": "U1", "channel": "C1"},
}


def _rows(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count(InboundEvent.id))) or 0)


async def _record_all(recorder: Recorder, ids: list[str]) -> list[bool]:
    return list(
        await asyncio.gather(
            *(recorder.record(Platform.SLACK, "T1", item, "event", REPLY) for item in ids)
        )
    )


def test_concurrent_arrivals_share_commits_and_are_stored_once(db: Database) -> None:
    recorder = Recorder(db)
    try:
        ids = [f"Ev{number}" for number in range(200)]
        # Every tenth delivery is Slack's retry of the one before it, arriving at the same time.
        ids += [f"Ev{number}" for number in range(0, 200, 10)]
        answers = asyncio.run(_record_all(recorder, ids))
    finally:
        recorder.close()
    assert answers[:200] == [True] * 200
    assert answers[200:] == [False] * 20
    assert _rows(db) == 200
    assert recorder.commits < 200  # fewer transactions than rows: the arrivals were grouped
    # What a worker claims is what the single-row path would have stored.
    claimed = Inbox(db).claim(Platform.SLACK, 1)[0]
    assert (claimed.event_id, claimed.kind, claimed.attempts) == ("Ev0", "event", 1)
    assert claimed.payload["event"]["text"] == "Gott exempel"


def test_a_redelivery_later_is_not_new(db: Database) -> None:
    recorder = Recorder(db)
    try:
        assert asyncio.run(_record_all(recorder, ["EvA"])) == [True]
        assert asyncio.run(_record_all(recorder, ["EvA", "EvB"])) == [False, True]
    finally:
        recorder.close()
    assert _rows(db) == 2


def test_a_database_error_fails_the_request_and_stores_nothing(tmp_path: Any) -> None:
    broken = Database(make_engine(f"sqlite:///{tmp_path}/missing/ledarforum.db"))
    recorder = Recorder(broken)
    try:
        with pytest.raises(Exception, match="unable to open"):
            asyncio.run(_record_all(recorder, ["EvX", "EvY"]))
    finally:
        recorder.close()


def test_one_bad_row_fails_only_its_own_request(db: Database) -> None:
    recorder = Recorder(db)
    original = recorder._insert

    def insert(rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
        if any(row["event_id"] == "EvBad" for row in rows):
            raise ValueError("a row the database refuses")
        return original(rows)

    recorder._insert = insert  # type: ignore[method-assign]

    async def run() -> list[object]:
        return list(
            await asyncio.gather(
                *(
                    recorder.record(Platform.SLACK, "T1", item, "event", REPLY)
                    for item in ("EvGood1", "EvBad", "EvGood2")
                ),
                return_exceptions=True,
            )
        )

    try:
        answers = asyncio.run(run())
    finally:
        recorder.close()
    assert answers[0] is True and answers[2] is True
    assert isinstance(answers[1], ValueError)
    assert _rows(db) == 2


def test_a_database_away_fails_the_whole_group_at_once(db: Database) -> None:
    """A locked or unreachable database would make each row wait as long again: the group's
    requests all get the error at once, and Slack delivers each of them again."""
    recorder = Recorder(db)
    calls: list[int] = []

    def insert(rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
        calls.append(len(rows))
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    recorder._insert = insert  # type: ignore[method-assign]
    loop = asyncio.new_event_loop()
    try:
        arrivals = [_Arrival({"event_id": f"Ev{n}"}, loop.create_future(), loop) for n in range(3)]
        recorder._commit(arrivals)
        loop.run_until_complete(asyncio.sleep(0))  # the answers are handed to the loop
        assert calls == [3]
        assert all(isinstance(a.future.exception(), OperationalError) for a in arrivals)
    finally:
        loop.close()
