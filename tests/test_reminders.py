"""Reminders in quiet theme threads and theme previews for organisers: off by default, on time,
once per forum and period."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from bot.core import Core
from bot.messages import plain_text
from bot.services import organisers, preferences
from bot.services.reminders import preview_next_theme, remind_if_quiet
from bot.storage.models import Notice
from schedules.scheduler import SchedulerService
from tests.support import FakeClock, RecordingPoster
from tests.test_scheduling import STOCKHOLM, drive, local, make_forum, share, theme_rows


def notices(core: Core) -> list[tuple[str, str, str]]:
    with core.db.transaction() as session:
        return [(n.kind, n.key, n.status) for n in session.scalars(select(Notice))]


def test_nudges_are_off_by_default(core: Core, clock: FakeClock, poster: RecordingPoster) -> None:
    forum = make_forum(core)
    at = local(STOCKHOLM, 2026, 12, 20, 12)
    assert remind_if_quiet(core.publisher, forum, at).status == "off"
    assert preview_next_theme(core.publisher, forum, at).status == "off"
    clock.set(local(STOCKHOLM, 2026, 11, 30, 12))
    drive(SchedulerService(core, clock), clock, local(STOCKHOLM, 2027, 1, 31, 12))
    assert poster.direct == [] and [s for s in poster.posts if s.thread_id] == []
    assert notices(core) == []


def test_a_quiet_theme_gets_one_nudge_in_its_thread_at_local_time(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    # 28 days after 1 March (CET) is 29 March, after the spring change: still 09:00 local.
    forum = make_forum(core, reminder_threshold=3, reminder_after_days=28)
    share(core, forum, "one", local(STOCKHOLM, 2027, 3, 3, 10))
    clock.set(local(STOCKHOLM, 2027, 2, 26, 12))
    drive(SchedulerService(core, clock), clock, local(STOCKHOLM, 2027, 4, 30, 12))

    march = next(r for r in theme_rows(core, forum.id) if r.period == "2027-03")
    nudges = [s for s in poster.posts if s.message.kind == "reminder"]
    assert len(nudges) == 2  # March's (one practice) and April's (none), each once
    assert nudges[0].thread_id == march.message_id
    assert "1 gott exempel" in plain_text(nudges[0].message)
    assert "Inga goda exempel" in plain_text(nudges[1].message)
    assert march.reminded_at == datetime(2027, 3, 29, 7, tzinfo=UTC)  # 09:00 CEST
    assert march.reminded_at.astimezone(STOCKHOLM).time() == time(9, 0)
    assert sorted(notices(core)) == [
        ("reminder", "2027-03", "done"),
        ("reminder", "2027-04", "done"),
    ]
    assert remind_if_quiet(core.publisher, forum, clock()).status == "already"


def test_a_lively_theme_and_a_themeless_month_get_no_nudge(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core, reminder_threshold=2)
    for n in range(2):
        share(core, forum, f"dec{n}", local(STOCKHOLM, 2026, 12, 2, 10 + n))
    clock.set(local(STOCKHOLM, 2026, 11, 30, 12))
    results = drive(SchedulerService(core, clock), clock, local(STOCKHOLM, 2026, 12, 20, 12))
    reminders = [(r.key, r.status) for r in results if r.kind == "reminder"]
    # November's nudge would come 18 days late (the bot starts on 30 November): skipped.
    assert reminders == [("2026-11", "too_late"), ("2026-12", "enough")]
    assert remind_if_quiet(core.publisher, forum, local(STOCKHOLM, 2026, 12, 10, 12)).status == (
        "not_due"
    )
    # July has no theme post, so there is no thread to nudge in.
    assert remind_if_quiet(core.publisher, forum, local(STOCKHOLM, 2027, 7, 12, 12)).status == (
        "no_theme"
    )
    assert [s for s in poster.posts if s.message.kind == "reminder"] == []


def test_a_failed_nudge_is_retried_and_posted_once(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    make_forum(core, reminder_threshold=1)
    clock.set(local(STOCKHOLM, 2026, 12, 11, 8, 0))
    service = SchedulerService(core, clock)
    service.run_due()  # December's theme, by the catch-up
    poster.fail_on = {poster.calls + 1}
    clock.set(local(STOCKHOLM, 2026, 12, 11, 9, 0))
    assert [(r.kind, r.status) for r in service.run_due()] == [("reminder", "failed")]
    drive(service, clock, local(STOCKHOLM, 2026, 12, 11, 10, 0))
    assert len([s for s in poster.posts if s.message.kind == "reminder"]) == 1
    assert notices(core) == [("reminder", "2026-12", "done")]


def test_organisers_get_the_next_theme_privately_before_it_is_posted(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core, preview_days=3)
    with core.db.transaction() as session:
        organisers.add(session, "slack", "T1", "UA", forum.id, actor="test")
        organisers.add(session, "slack", "T1", "UB", forum.id, actor="test")
        preferences.set_language(session, "slack", "T1", "UB", "en")
    clock.set(local(STOCKHOLM, 2026, 11, 23, 12))
    drive(SchedulerService(core, clock), clock, local(STOCKHOLM, 2027, 7, 20, 12))

    december = [s for s in poster.direct if "december" in s.message.fallback.lower()]
    assert sorted((s.user_id, s.message.kind) for s in december) == [
        ("UA", "theme_preview"),
        ("UB", "theme_preview"),
    ]
    swedish, english = sorted(december, key=lambda s: s.user_id or "")
    assert swedish.message.fallback.startswith("Förhandsvisning av temat för december")
    assert english.message.fallback.startswith("Preview of the theme for December")
    assert "Tuesday 1 December at 09:00" in plain_text(english.message)  # when, in local time
    # One preview per themed period, sent 3 days before: none for themeless July.
    previews = sorted(key for kind, key, status in notices(core) if kind == "preview")
    assert previews == ["2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    assert len(poster.direct) == 2 * len(previews)
    june = local(STOCKHOLM, 2027, 6, 29, 12)
    assert preview_next_theme(core.publisher, forum, june).status == "no_theme"
    assert preview_next_theme(
        core.publisher, forum, local(STOCKHOLM, 2026, 11, 28, 8, 59)
    ).status == ("not_due")


def test_a_preview_without_organisers_sends_nothing(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core, preview_days=3)
    at = local(STOCKHOLM, 2026, 11, 28, 9) + timedelta(minutes=1)
    assert preview_next_theme(core.publisher, forum, at).status == "empty"
    assert poster.direct == []
