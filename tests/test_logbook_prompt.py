"""The optional reflection prompt: off by default, a DM at the end of each theme period to the
people who switched it on, once per person and period across restarts and two processes on one
database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import ForumInfo, Platform
from bot.messages import plain_text
from bot.services import forums, logbook, preferences, subscriptions
from bot.storage.db import Database, make_engine
from bot.storage.models import LogbookPrompt
from schedules import jobs
from schedules.scheduler import SchedulerService
from tests.support import FakeClock, RecordingPoster

# Monday 30 November 2026 is November's last working day; 14:00 in Stockholm is 13:00 UTC.
NOVEMBER_PROMPT = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def _forum(core: Core, channel: str = "C1", workspace: str = "T1") -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, workspace, channel, language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _switch_on(core: Core, user: str, workspace: str = "T1") -> None:
    with core.db.transaction() as session:
        logbook.set_prompts(session, "slack", workspace, user, True)


def _prompted(poster: RecordingPoster) -> list[str]:
    return [sent.user_id or "" for sent in poster.direct if sent.message.kind == "logbook_prompt"]


@pytest.fixture
def second_core(database_url: str, clock: FakeClock, poster: RecordingPoster) -> Iterator[Core]:
    """Another process's core: its own engine on the same database."""
    other = open_core(
        Settings(database_url=database_url, organisers=("UORG",)),
        clock=clock,
        database=Database(make_engine(database_url)),
    )
    other.posters[Platform.SLACK] = poster
    yield other
    other.close()


def test_the_prompt_is_due_on_the_last_working_day_at_the_digest_time(core: Core) -> None:
    forum = _forum(core)
    assert jobs.next_due(jobs.LOGBOOK_PROMPT, forum, datetime(2026, 11, 23, tzinfo=UTC)) == (
        NOVEMBER_PROMPT
    )
    # December 2026: the 31st is a day off in Sweden (New Year's Eve), so Wednesday the 30th.
    after = jobs.next_due(jobs.LOGBOOK_PROMPT, forum, NOVEMBER_PROMPT)
    assert after == datetime(2026, 12, 30, 13, 0, tzinfo=UTC)


def test_only_people_who_switched_it_on_get_it_once_in_their_language(
    core: Core, poster: RecordingPoster
) -> None:
    forum = _forum(core)
    _switch_on(core, "U1")
    _switch_on(core, "U3")
    with core.db.transaction() as session:
        preferences.set_language(session, "slack", "T1", "U3", "en")
        preferences.set_language(session, "slack", "T1", "U2", "sv")  # never switched on
        logbook.set_prompts(session, "slack", "T1", "U4", False)  # switched off again
    _switch_on(core, "U9", workspace="T2")  # another workspace: not this forum's person
    early = logbook.send_prompts(core.publisher, forum, NOVEMBER_PROMPT - timedelta(minutes=1))
    assert early.status == "too_late" and early.key == "2026-10"  # October's, long gone
    assert _prompted(poster) == []
    result = logbook.send_prompts(core.publisher, forum, NOVEMBER_PROMPT)
    assert (result.status, result.key) == ("posted", "2026-11")
    assert sorted(_prompted(poster)) == ["U1", "U3"]
    texts = {sent.user_id: plain_text(sent.message) for sent in poster.direct}
    assert "Vad prövade du den här månaden? Vad gör du annorlunda?" in texts["U1"]
    assert "What did you try this month? What will you do differently?" in texts["U3"]
    again = logbook.send_prompts(core.publisher, forum, NOVEMBER_PROMPT + timedelta(hours=1))
    assert again.status == "already"
    assert len(_prompted(poster)) == 2


def test_nobody_switched_on_means_nothing_is_sent(core: Core, poster: RecordingPoster) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        subscriptions.subscribe(session, forum.id, "U1")  # a subscriber, but no prompt asked
    assert logbook.send_prompts(core.publisher, forum, NOVEMBER_PROMPT).status == "empty"
    assert poster.direct == []


def test_two_processes_racing_send_each_person_one_prompt(
    core: Core, second_core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = _forum(core)
    people = [f"U{n}" for n in range(1, 9)]
    for user in people:
        _switch_on(core, user)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(which: Core) -> None:
        barrier.wait()
        try:
            logbook.send_prompts(which.publisher, forum, NOVEMBER_PROMPT)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in (core, second_core)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(_prompted(poster)) == sorted(people)
    with core.db.transaction() as session:
        rows = session.scalars(select(LogbookPrompt)).all()
        assert sorted(row.user_id for row in rows) == sorted(people)
        assert {row.status for row in rows} == {"done"}


def test_the_schedulers_of_two_processes_send_it_once_and_catch_up_only_a_few_days(
    core: Core, second_core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    _forum(core)
    _switch_on(core, "U1")
    # Down over the prompt moment; back two days later: caught up once, by either process.
    clock.set(NOVEMBER_PROMPT + timedelta(days=2))
    for service in (SchedulerService(core, clock), SchedulerService(second_core, clock)):
        results = service.run_due()
        assert not [r for r in results if r.kind == jobs.LOGBOOK_PROMPT and r.status == "failed"]
    assert _prompted(poster) == ["U1"]
    # A restart a day later plans from the database again: nothing new.
    clock.advance(timedelta(days=1))
    SchedulerService(core, clock).run_due()
    assert _prompted(poster) == ["U1"]
    # December's prompt is planned and sent at its moment.
    december = datetime(2026, 12, 30, 13, 0, tzinfo=UTC)
    clock.set(december)
    SchedulerService(second_core, clock).run_due()
    assert _prompted(poster) == ["U1", "U1"]


def test_a_prompt_older_than_a_few_days_is_skipped(core: Core, poster: RecordingPoster) -> None:
    forum = _forum(core)
    _switch_on(core, "U1")
    late = logbook.send_prompts(core.publisher, forum, NOVEMBER_PROMPT + timedelta(days=4))
    assert late.status == "too_late"
    assert poster.direct == []


def test_a_failed_send_is_retried_only_for_those_left(core: Core, poster: RecordingPoster) -> None:
    forum = _forum(core)
    for user in ("U1", "U2", "U3"):
        _switch_on(core, user)
    poster.gone["U1"] = "account_inactive"
    poster.down.add("U2")
    assert logbook.send_prompts(core.publisher, forum, NOVEMBER_PROMPT).status == "failed"
    poster.down.clear()
    later = logbook.send_prompts(core.publisher, forum, NOVEMBER_PROMPT + timedelta(minutes=2))
    assert later.status == "posted"
    assert sorted(_prompted(poster)) == ["U2", "U3"]  # U1 cannot be reached, never retried


def test_a_person_with_two_forums_gets_one_prompt_from_their_own(
    core: Core, poster: RecordingPoster
) -> None:
    first, second = _forum(core, "C1"), _forum(core, "C2")
    _switch_on(core, "U1")
    with core.db.transaction() as session:
        subscriptions.subscribe(session, second.id, "U1")
    assert logbook.send_prompts(core.publisher, first, NOVEMBER_PROMPT).status == "empty"
    assert logbook.send_prompts(core.publisher, second, NOVEMBER_PROMPT).status == "posted"
    assert _prompted(poster) == ["U1"]
