"""A claimed batch of Slack thread replies, handled together (Processor.handle_batch) by the inbox
worker and settled in one transaction (Inbox.settle_many); on SQLite and PostgreSQL.

The worker runs in process, as a Slack worker thread does, and every Web API call (users.info,
auth.test, chat.postEphemeral) goes over HTTP to the fake Slack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core import Core
from bot.domain import Platform
from bot.services import contributions, forums
from bot.services.inbox import Inbox, Presence
from bot.storage.db import Database
from bot.storage.models import Contribution, InboundEvent, ThemePost
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import event_callback, message_event
from handlers.slack.inbox import InboxWorker
from handlers.slack.poster import ChannelPacer, SlackClients, SlackPoster
from handlers.slack.process import Processor
from tests.support import FakeClock

SLACK = Platform.SLACK
USERS = ("U1", "U2", "U3")


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        fake.add_user("U1", "Kim Lind")
        fake.add_user("U2", "Alex Berg", locale="en-US")
        fake.add_user("U3", "Sam Ek")
        fake.add_user("UORG", "Org")
        yield fake


class Process:
    """One bot process on the test database: its presence, inbox, processor and worker."""

    def __init__(self, core: Core, slack: FakeSlackAPI, clock: FakeClock) -> None:
        self.presence = Presence(core.db, clock=clock)
        self.inbox = Inbox(core.db, self.presence, clock=clock, batch=50)
        clients = SlackClients(slack.url, token="xoxb-test")
        self.processor = Processor(
            core, clients, SlackPoster(clients, ChannelPacer(0)), single_workspace=False
        )
        self.worker = InboxWorker(self.inbox, self.processor, batch=50)


@pytest.fixture
def inbox_clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def process(core: Core, slack: FakeSlackAPI, inbox_clock: FakeClock) -> Iterator[Process]:
    made = Process(core, slack, inbox_clock)
    yield made
    made.presence.stop()


def _threads(core: Core) -> dict[str, str]:
    """Forums C1 and C2 of workspace T1, each with the month's theme posted: their threads."""
    threads = {}
    for channel in ("C1", "C2"):
        with core.db.transaction() as session:
            forum, _ = forums.ensure_forum(
                session, SLACK, "T1", channel, language="sv", timezone="Europe/Stockholm"
            )
        assert core.publisher.post_theme(forum, core.dialogue.clock()).status == "posted"
        with core.db.transaction() as session:
            thread = session.scalar(
                select(ThemePost.message_id).where(ThemePost.forum_id == forum.id)
            )
        assert thread
        threads[channel] = thread
    return threads


def _record(inbox: Inbox, n: int, channel: str, thread: str, user: str, **extra: Any) -> None:
    event = message_event(
        f"Exempel {n} från {user}",
        user=user,
        channel=channel,
        thread_ts=thread,
        ts=f"1764000000.{n:06d}",
    )
    event.update(extra)
    body = json.loads(event_callback("T1", event, f"Ev{n}"))
    assert inbox.record(SLACK, "T1", f"Ev{n}", "event", body)


def _fill(core: Core, inbox: Inbox, count: int) -> None:
    """*count* replies, spread over the two forums' threads and three people."""
    threads = _threads(core)
    for n in range(count):
        channel = ("C1", "C2")[n % 2]
        _record(inbox, n, channel, threads[channel], USERS[n % 3])


def _stored(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count(Contribution.id))) or 0)


def _statuses(db: Database) -> list[tuple[str, int]]:
    with db.transaction() as session:
        rows = session.execute(
            select(InboundEvent.status, InboundEvent.attempts).order_by(InboundEvent.id)
        )
        return [(status, attempts) for status, attempts in rows]


def _thanked(slack: FakeSlackAPI) -> list[tuple[str, str, str]]:
    return sorted((m["user"], m["channel"], m.get("thread_ts") or "") for m in _ephemeral(slack))


def _ephemeral(slack: FakeSlackAPI) -> list[dict[str, Any]]:
    return slack.ephemeral_messages()


def test_a_batch_of_replies_is_stored_once_thanked_each_and_settled_together(
    core: Core, process: Process, slack: FakeSlackAPI
) -> None:
    _fill(core, process.inbox, 12)

    assert process.worker.run_once()

    assert _stored(core.db) == 12
    assert _statuses(core.db) == [("done", 1)] * 12
    thanked = _thanked(slack)
    assert len(thanked) == 12
    assert {user for user, _, _ in thanked} == set(USERS)
    assert {channel for _, channel, _ in thanked} == {"C1", "C2"}
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Contribution).order_by(Contribution.id)))
        assert {row.author_name for row in rows} == {"Kim Lind", "Alex Berg", "Sam Ek"}
        assert all(row.source == "thread_reply" and row.permalink for row in rows)
    # Alex's Slack locale is English: his thank-yous are; the others' Swedish.
    texts = {m["user"]: m["text"] for m in _ephemeral(slack)}
    assert texts["U2"].startswith("Thank") and texts["U1"].startswith("Tack")
    assert not process.worker.run_once()  # nothing left


def test_a_batch_repeated_after_a_crash_stores_nothing_twice(
    core: Core, process: Process, slack: FakeSlackAPI, inbox_clock: FakeClock
) -> None:
    _fill(core, process.inbox, 9)
    items = process.inbox.claim(SLACK, 50)
    outcomes = process.processor.handle_batch(items)  # stored and thanked, then the crash:
    assert _stored(core.db) == 9 and [error for _, error in outcomes] == [None] * 9
    process.presence.stop()  # never settled; the process is gone
    later = Process(core, slack, inbox_clock)
    try:
        assert later.worker.run_once()  # takes the whole batch over at once
        assert _stored(core.db) == 9
        assert _statuses(core.db) == [("done", 2)] * 9
        again = _ephemeral(slack)[9:]
        assert len(again) == 9  # each says it is stored already, in the person's language
        assert all(("already" if m["user"] == "U2" else "redan") in m["text"] for m in again)
        # The crashed process's late settle finds no row of its own any more.
        assert process.inbox.settle_many(outcomes) == 0
    finally:
        later.presence.stop()


def test_a_poisoned_item_is_retried_and_the_rest_of_its_batch_settled_done(
    core: Core, process: Process, slack: FakeSlackAPI
) -> None:
    _fill(core, process.inbox, 5)
    threads = _threads_of(core)
    _record(process.inbox, 5, "C1", threads["C1"], "U1", ts="not-a-ts")  # cannot be read

    assert process.worker.run_once()

    assert _stored(core.db) == 5
    assert _statuses(core.db) == [("done", 1)] * 5 + [("pending", 1)]
    with core.db.transaction() as session:
        error = session.scalar(select(InboundEvent.error).where(InboundEvent.event_id == "Ev5"))
    assert error and error.startswith("ValueError")


def test_a_failing_batch_insert_falls_back_to_one_reply_at_a_time(
    core: Core, process: Process, slack: FakeSlackAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(core, process.inbox, 6)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the batch insert failed")

    monkeypatch.setattr(contributions, "store_many", broken)
    assert process.worker.run_once()

    assert _stored(core.db) == 6
    assert _statuses(core.db) == [("done", 1)] * 6
    assert len(_ephemeral(slack)) == 6


def test_a_failed_thank_you_keeps_the_example_stored_once_and_is_sent_on_retry(
    core: Core, process: Process, slack: FakeSlackAPI, inbox_clock: FakeClock
) -> None:
    _fill(core, process.inbox, 6)
    # One thank-you cannot go out: neither as an ephemeral message nor as a DM.
    slack.inject_faults("chat.postEphemeral", [{"ok": False, "error": "channel_not_found"}])
    slack.inject_faults("conversations.open", [{"ok": False, "error": "user_not_found"}])

    assert process.worker.run_once()

    assert _stored(core.db) == 6
    statuses = _statuses(core.db)
    assert sorted(statuses) == [("done", 1)] * 5 + [("pending", 1)]
    assert len(_ephemeral(slack)) == 5
    inbox_clock.advance(timedelta(seconds=6))  # past the retry's back-off
    assert process.worker.run_once()
    assert _stored(core.db) == 6  # the retry stored nothing again
    assert sorted(_statuses(core.db)) == [("done", 1)] * 5 + [("done", 2)]
    assert len(_ephemeral(slack)) == 6


def _threads_of(core: Core) -> dict[str, str]:
    with core.db.transaction() as session:
        found = session.execute(
            select(ThemePost.message_id, ThemePost.forum_id).order_by(ThemePost.id)
        ).all()
        by_id = {f.id: f.channel_id for f in forums.all_forums(session)}
    return {by_id[forum_id]: str(thread) for thread, forum_id in found}
