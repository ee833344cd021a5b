"""The scheduler posts on time and exactly once: a simulated year, DST, other zones, races,
crashes, downtime, restarts, live refreshes, fan-out, and agreement with the command line.

Time is driven by a fake clock: :meth:`SchedulerService.run_due` does what the running scheduler
does by a moment, and :func:`drive` jumps from one planned moment to the next.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from bot import cli
from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import ForumInfo, Platform, Source
from bot.messages import Message
from bot.ports import PostRef
from bot.posts import theme_post
from bot.services import contributions, cycles, forums
from bot.services.contributions import NewContribution
from bot.services.publishing import Result
from bot.storage.db import Database, make_engine
from bot.storage.models import DigestRun, ThemePost
from bot.timing import Period, is_working_day
from schedules import jobs
from schedules.scheduler import (
    BUSY_RETRY,
    RETRY_ATTEMPTS,
    Planned,
    SchedulerService,
)
from tests.support import FakeClock, RecordingPoster

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")


def local(zone: ZoneInfo, *parts: int) -> datetime:
    """A wall-clock time in *zone*, as a UTC instant."""
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def make_forum(
    core: Core, channel: str = "C1", zone: str = "Europe/Stockholm", **settings: object
) -> ForumInfo:
    """A Slack forum, with any editable settings changed."""
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", channel, language="sv", timezone=zone
        )
        if settings:
            forum = forums.update(session, forum.id, actor="test", **settings)
    return forum


def share(core: Core, forum: ForumInfo, message_id: str, at: datetime) -> None:
    """A good practice made (and stored) at *at*."""
    with core.db.transaction() as session:
        contributions.record(
            session,
            forum,
            NewContribution(
                "U1",
                "Person U1",
                f"Exempel {message_id}",
                Source.THREAD_REPLY,
                forum.channel_id,
                message_id,
                at,
                permalink=f"https://chat.test/{message_id}",
            ),
            now=at,
        )


def wednesdays(zone: ZoneInfo, start: date, end: date, skip: Callable[[date], bool]) -> list[date]:
    """Every Wednesday in [start, end] that *skip* does not leave out."""
    day = start + timedelta(days=(2 - start.weekday()) % 7)
    days = []
    while day <= end:
        if not skip(day):
            days.append(day)
        day += timedelta(weeks=1)
    return days


def drive(
    service: SchedulerService,
    clock: FakeClock,
    until: datetime,
    before_each: Callable[[datetime], None] = lambda _: None,
) -> list[Result]:
    """Run the scheduler from the clock's moment to *until*, jumping between planned moments."""
    before_each(clock())
    results = service.run_due()
    while (due := service.next_due()) is not None and due <= until:
        clock.set(due)
        before_each(due)
        results += service.run_due()
    clock.set(until)
    return results


def first_working_day(year: int, month: int) -> date:
    day = date(year, month, 1)
    while not is_working_day(day):  # weekends and Swedish public holidays
        day += timedelta(days=1)
    return day


def theme_rows(core: Core, forum_id: int) -> list[ThemePost]:
    with core.db.transaction() as session:
        return list(
            session.scalars(
                select(ThemePost).where(ThemePost.forum_id == forum_id).order_by(ThemePost.period)
            )
        )


def digest_rows(core: Core, forum_id: int, status: str = "done") -> list[DigestRun]:
    with core.db.transaction() as session:
        return list(
            session.scalars(
                select(DigestRun)
                .where(DigestRun.forum_id == forum_id, DigestRun.status == status)
                .order_by(DigestRun.moment)
            )
        )


def markers(poster: RecordingPoster) -> list[str]:
    return [s.message.metadata["event_payload"]["marker"] for s in poster.posts]


def quiet_week(day: date) -> bool:
    """Every fifth week nobody shares anything."""
    return day.isocalendar().week % 5 == 0


class Sharer:
    """Records planned contributions once the simulated clock has passed them."""

    def __init__(self, core: Core, forum: ForumInfo, moments: list[datetime]) -> None:
        self.core, self.forum, self.pending = core, forum, sorted(moments)

    def __call__(self, now: datetime) -> None:
        while self.pending and self.pending[0] <= now:
            made = self.pending.pop(0)
            share(self.core, self.forum, f"{self.forum.id}-{made.isoformat()}", made)


# -- a simulated year ----------------------------------------------------------------------------


def test_a_simulated_year_in_stockholm_posts_each_theme_and_digest_once_at_local_time(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    start = local(STOCKHOLM, 2026, 10, 1, 8, 0)
    end = local(STOCKHOLM, 2027, 11, 5, 23, 0)
    # A good practice on most Wednesdays at 10:00; every fifth week stays quiet.
    shared = wednesdays(STOCKHOLM, start.date(), end.date(), quiet_week)
    sharer = Sharer(core, forum, [local(STOCKHOLM, d.year, d.month, d.day, 10) for d in shared])
    clock.set(start)
    service = SchedulerService(core, clock)

    results = drive(service, clock, end, sharer)

    # Themes: September's by the catch-up at start, then one per themed month at 09:00 local.
    rows = theme_rows(core, forum.id)
    assert rows[0].period == "2026-09" and rows[0].posted_at == start
    expected = [Period(2026, 10)]
    while expected[-1] < Period(2027, 11):
        expected.append(expected[-1].next())
    expected = [p for p in expected if p.month != 7]  # the shipped cycle leaves July themeless
    assert [row.period for row in rows[1:]] == [p.key for p in expected]
    for row in rows[1:]:
        assert row.status == "posted" and row.posted_at is not None
        posted = row.posted_at.astimezone(STOCKHOLM)
        period = Period.parse(row.period)
        assert posted.date() == first_working_day(period.year, period.month), row.period
        assert posted.time() == time(9, 0), row.period
    assert len(poster.theme_posts()) == len(rows)
    assert any(r.kind == "theme" and r.status == "no_theme" and r.key == "2027-07" for r in results)

    # Digests: one per Friday 14:00 whose week had a good practice; quiet weeks post nothing.
    fridays = [d + timedelta(days=2) for d in shared]
    done = digest_rows(core, forum.id)
    assert [r.moment for r in done] == [
        local(STOCKHOLM, f.year, f.month, f.day, 14) for f in fridays
    ]
    for row in done:
        assert row.posted_at is not None and row.contribution_count == 1
        posted = row.posted_at.astimezone(STOCKHOLM)
        assert posted.weekday() == 4 and posted.time() == time(14, 0)
    assert len(digest_rows(core, forum.id, "empty")) > 0
    assert len([s for s in poster.posts if s.message.kind == "digest"]) == len(done)
    assert len(markers(poster)) == len(set(markers(poster)))

    # Both sides of each daylight-saving change, in UTC: 09:00 and 14:00 local stay put.
    posted_at = {row.period: row.posted_at for row in rows}
    assert posted_at["2026-10"] == datetime(2026, 10, 1, 7, tzinfo=UTC)  # CEST
    assert posted_at["2026-11"] == datetime(2026, 11, 2, 8, tzinfo=UTC)  # CET
    assert posted_at["2027-03"] == datetime(2027, 3, 1, 8, tzinfo=UTC)  # CET
    assert posted_at["2027-04"] == datetime(2027, 4, 1, 7, tzinfo=UTC)  # CEST
    assert posted_at["2027-11"] == datetime(2027, 11, 1, 8, tzinfo=UTC)  # CET again
    moments = {row.moment for row in done}
    assert datetime(2026, 10, 23, 12, tzinfo=UTC) in moments  # Friday before the autumn change
    assert datetime(2026, 10, 30, 13, tzinfo=UTC) in moments  # Friday after it
    assert datetime(2027, 3, 26, 13, tzinfo=UTC) in moments  # before the spring change
    assert datetime(2027, 4, 2, 12, tzinfo=UTC) in moments  # after it
    # New Year's Day is a holiday: January's theme on Monday 4 January at 09:00; the digest
    # keeps its Friday, 1 January at 14:00.
    assert posted_at["2027-01"] == local(STOCKHOLM, 2027, 1, 4, 9)
    assert local(STOCKHOLM, 2027, 1, 1, 14) in moments


def test_ticking_every_half_hour_across_the_spring_change_posts_at_local_time(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    clock.set(local(STOCKHOLM, 2027, 3, 25, 0, 0))
    service = SchedulerService(core, clock)
    service.run_due()  # the catch-up: March's theme
    share(core, forum, "a", local(STOCKHOLM, 2027, 3, 25, 10))
    share(core, forum, "b", local(STOCKHOLM, 2027, 3, 31, 10))
    seen: list[tuple[str, datetime]] = []
    while clock() < local(STOCKHOLM, 2027, 4, 3, 0, 0):
        clock.advance(timedelta(minutes=30))
        seen += [(r.kind, clock()) for r in service.run_due() if r.status == "posted"]
    wall = [(kind, at.astimezone(STOCKHOLM).strftime("%a %d %H:%M")) for kind, at in seen]
    assert wall == [
        ("digest", "Fri 26 14:00"),  # CET
        ("theme", "Thu 01 09:00"),  # CEST
        ("digest", "Fri 02 14:00"),
    ]


def test_a_forum_in_new_york_posts_at_its_own_local_times(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core, "CNY", "America/New_York")
    start, end = local(NEW_YORK, 2026, 10, 28, 12), local(NEW_YORK, 2027, 3, 20, 12)
    shared = wednesdays(NEW_YORK, start.date(), end.date(), lambda _: False)
    sharer = Sharer(core, forum, [local(NEW_YORK, d.year, d.month, d.day, 10) for d in shared])
    clock.set(start)
    drive(SchedulerService(core, clock), clock, end, sharer)

    rows = theme_rows(core, forum.id)[1:]  # after October's catch-up
    assert [r.period for r in rows] == ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
    for row in rows:
        assert row.posted_at is not None
        assert row.posted_at.astimezone(NEW_YORK).time() == time(9, 0)
    assert rows[0].posted_at == datetime(2026, 11, 2, 14, tzinfo=UTC)  # EST, the day after
    done = digest_rows(core, forum.id)
    assert len(done) == len(shared)
    for row in done:
        assert row.posted_at is not None
        posted = row.posted_at.astimezone(NEW_YORK)
        assert posted.weekday() == 4 and posted.time() == time(14, 0)
    utc_hours = {row.moment.hour for row in done}
    assert utc_hours == {18, 19}  # EDT and EST: the same 14:00 on the wall


# -- racing schedulers ---------------------------------------------------------------------------


@pytest.fixture
def second_core(database_url: str, clock: FakeClock, poster: RecordingPoster) -> Iterator[Core]:
    """Another process's core: its own engine on the same database, the same platform."""
    other = open_core(
        Settings(database_url=database_url, organisers=("UORG",)),
        clock=clock,
        database=Database(make_engine(database_url)),
    )
    other.posters[Platform.SLACK] = poster
    yield other
    other.close()


def test_two_schedulers_racing_on_one_database_never_post_twice(
    core: Core, second_core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    channels = ("C1", "C2", "C3")
    clock.set(local(STOCKHOLM, 2026, 11, 30, 8, 0))
    sharers = []
    for channel in channels:
        forum = make_forum(core, channel)
        days = wednesdays(STOCKHOLM, date(2026, 11, 25), date(2027, 12, 31), lambda _: False)
        sharers.append(
            Sharer(core, forum, [local(STOCKHOLM, *d.timetuple()[:3], 10) for d in days])
        )
    services = [SchedulerService(core, clock), SchedulerService(second_core, clock)]
    results: list[Result] = []
    errors: list[BaseException] = []
    for _ in range(50):
        due = min((s.next_due() or clock() for s in services), default=clock())
        clock.set(max(due, clock()))
        for sharer in sharers:
            sharer(clock())
        barrier = threading.Barrier(len(services))

        def tick(service: SchedulerService, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                results.extend(service.run_due())
            except BaseException as exc:  # surfaced below: a thread's error must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=tick, args=(s,)) for s in services]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    made = markers(poster)
    assert len(made) == len(set(made))
    assert sum(r.status in {"posted", "found"} for r in results) == len(made)
    assert not [r for r in results if r.status == "failed"]
    assert any(r.status in {"busy", "already"} for r in results)  # they did race
    themes = {m for m in made if m.startswith("theme:")}
    digests = {m for m in made if m.startswith("digest:")}
    assert len(themes) >= 3 * 2 and len(digests) >= 3 * 8  # the race covered months of work


# -- crashes, retries ----------------------------------------------------------------------------

DECEMBER = local(STOCKHOLM, 2026, 12, 1, 9, 0)


def _before_december(core: Core, clock: FakeClock) -> tuple[ForumInfo, SchedulerService]:
    forum = make_forum(core)
    clock.set(DECEMBER - timedelta(hours=1))
    service = SchedulerService(core, clock)
    service.run_due()  # November's theme by the catch-up
    return forum, service


def test_a_failed_post_is_retried_with_backoff_and_posts_once(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum, service = _before_december(core, clock)
    poster.fail_on = {poster.calls + 1}
    clock.set(DECEMBER)
    assert [(r.kind, r.status) for r in service.run_due()] == [("theme", "failed")]
    retry = next(p for p in service.planned() if p.id == f"retry-theme:{forum.id}")
    assert retry.due == DECEMBER + timedelta(minutes=1)
    drive(service, clock, DECEMBER + timedelta(hours=1))
    december = theme_rows(core, forum.id)[-1]
    assert (december.period, december.status, december.attempts) == ("2026-12", "posted", 2)
    assert len(poster.theme_posts()) == 2  # November and December, once each


def test_retries_back_off_and_give_up(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum, service = _before_december(core, clock)
    poster.fail_on = set(range(poster.calls + 1, poster.calls + 100))
    clock.set(DECEMBER)
    delays = []
    service.run_due()
    while retry := [p for p in service.planned() if p.id.startswith("retry-")]:
        delays.append(round((retry[0].due - clock()).total_seconds() / 60))
        clock.set(retry[0].due)
        service.run_due()
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30][:RETRY_ATTEMPTS]
    assert theme_rows(core, forum.id)[-1].status == "failed"


@pytest.mark.parametrize("post_went_out", [False, True])
def test_a_crash_between_claim_and_post_recovers_to_one_post_after_the_lease(
    core: Core, clock: FakeClock, poster: RecordingPoster, post_went_out: bool
) -> None:
    forum, service = _before_december(core, clock)
    clock.set(DECEMBER)
    # Another worker claimed December's post just now, then died (maybe after the platform call).
    with core.db.transaction() as session:
        session.add(
            ThemePost(forum_id=forum.id, period="2026-12", claim_token="dead", claimed_at=clock())
        )
    if post_went_out:
        with core.db.transaction() as session:
            december = cycles.for_forum(session, forum).theme_for(12)
        assert december is not None
        poster.post(forum, theme_post(forum, Period(2026, 12), december))
    assert [r.status for r in service.run_due()] == ["busy"]
    retry = next(p for p in service.planned() if p.kind == "theme" and p.attempt)
    assert retry.due == DECEMBER + BUSY_RETRY
    clock.set(retry.due)
    results = service.run_due()
    assert [r.status for r in results] == ["found" if post_went_out else "posted"]
    assert [m for m in markers(poster) if m.endswith("2026-12")] == [f"theme:{forum.id}:2026-12"]
    row = theme_rows(core, forum.id)[-1]
    assert (row.status, row.attempts) == ("posted", 2)


def test_a_stale_claim_found_at_start_is_taken_over_at_once(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    clock.set(DECEMBER + timedelta(minutes=20))
    with core.db.transaction() as session:
        session.add(
            ThemePost(
                forum_id=forum.id,
                period="2026-12",
                claim_token="dead",
                claimed_at=DECEMBER,
            )
        )
    results = SchedulerService(core, clock).run_due()
    assert ("theme", "posted") in [(r.kind, r.status) for r in results]
    assert len(poster.theme_posts()) == 1


class PickyPoster(RecordingPoster):
    """Fails every post to one channel."""

    def __init__(self, broken: str) -> None:
        super().__init__()
        self.broken = broken

    def post(self, forum: ForumInfo, message: Message, *, thread_id: str | None = None) -> PostRef:
        if forum.channel_id == self.broken:
            raise ConnectionError("channel_not_found")
        return super().post(forum, message, thread_id=thread_id)


def test_one_forums_failure_does_not_block_the_others(core: Core, clock: FakeClock) -> None:
    picky = PickyPoster("")
    core.posters[Platform.SLACK] = picky
    ids = [make_forum(core, f"C{n}").id for n in range(1, 6)]
    clock.set(DECEMBER - timedelta(hours=1))
    service = SchedulerService(core, clock)
    service.run_due()
    picky.broken = "C2"
    clock.set(DECEMBER)
    results = service.run_due()
    assert sorted(r.forum_id for r in results if r.status == "posted") == sorted(
        i for i in ids if i != ids[1]
    )
    assert [r.forum_id for r in results if r.status == "failed"] == [ids[1]]
    picky.broken = ""
    drive(service, clock, DECEMBER + timedelta(minutes=5))
    assert len({m for m in markers(picky) if m.endswith("2026-12")}) == 5


class GatheringPoster(RecordingPoster):
    """Makes the first *width* theme posts wait for each other: passes only if they overlap."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.gate = threading.Barrier(width, timeout=10)
        self.waiting = width

    def post(self, forum: ForumInfo, message: Message, *, thread_id: str | None = None) -> PostRef:
        with self.lock:
            wait, self.waiting = self.waiting > 0, self.waiting - 1
        if wait:
            self.gate.wait()
        return super().post(forum, message, thread_id=thread_id)


def test_forums_due_at_the_same_moment_post_concurrently(core: Core, clock: FakeClock) -> None:
    for n in range(12):
        make_forum(core, f"C{n}")
    clock.set(DECEMBER - timedelta(hours=1))
    service = SchedulerService(core, clock, workers=8)
    core.posters[Platform.SLACK] = RecordingPoster()
    service.run_due()  # November's themes
    gathering = GatheringPoster(width=6)
    core.posters[Platform.SLACK] = gathering
    clock.set(DECEMBER)
    results = service.run_due()
    assert [r.status for r in results] == ["posted"] * 12
    assert len(gathering.posts) == 12


# -- downtime and restarts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("back_at", "catch_up_digests"),
    [
        (local(STOCKHOLM, 2026, 11, 28, 10, 0), 1),  # 20 hours after the third missed Friday
        (local(STOCKHOLM, 2026, 11, 30, 15, 0), 0),  # 3 days and 1 hour late: too late
    ],
)
def test_three_weeks_of_downtime_give_at_most_one_catch_up_digest(
    core: Core,
    clock: FakeClock,
    poster: RecordingPoster,
    back_at: datetime,
    catch_up_digests: int,
) -> None:
    forum = make_forum(core)
    for day in (4, 11, 18, 25):
        share(core, forum, f"nov{day}", local(STOCKHOLM, 2026, 11, day, 10))
    clock.set(local(STOCKHOLM, 2026, 11, 2, 10, 0))
    drive(SchedulerService(core, clock), clock, local(STOCKHOLM, 2026, 11, 6, 15, 0))
    assert len(digest_rows(core, forum.id)) == 1  # 6 November
    clock.set(back_at)  # the bot was down for three weeks
    restarted = SchedulerService(core, clock)
    results = restarted.run_due()
    digests = [r for r in results if r.kind == "digest"]
    done = digest_rows(core, forum.id)
    assert len(done) == 1 + catch_up_digests
    latest = local(STOCKHOLM, 2026, 11, 27, 14)
    if catch_up_digests:
        # One digest, but nothing lost: it covers everything stored since the last digest
        # that went out (6 November), the skipped weeks included.
        assert done[-1].moment == latest and done[-1].contribution_count == 3
        assert [r.status for r in digests] == ["posted"]
    else:
        assert [r.status for r in digests] == ["too_late"]
    assert len([s for s in poster.posts if s.message.kind == "digest"]) == len(done)
    next_digest = next(p for p in restarted.planned() if p.kind == "digest")
    assert next_digest.due == local(STOCKHOLM, 2026, 12, 4, 14)


def test_a_restart_just_after_the_due_moment_still_posts(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    friday = local(STOCKHOLM, 2026, 12, 4, 14, 0)
    share(core, forum, "x", friday - timedelta(days=1))
    clock.set(DECEMBER - timedelta(minutes=30))
    SchedulerService(core, clock).run_due()  # November's theme; then the process stops
    clock.set(DECEMBER + timedelta(seconds=30))
    theme = [r for r in SchedulerService(core, clock).run_due() if r.kind == "theme"]
    assert [(r.status, r.key) for r in theme] == [("posted", "2026-12")]
    clock.set(friday + timedelta(seconds=30))
    digest = [r for r in SchedulerService(core, clock).run_due() if r.kind == "digest"]
    assert [(r.status, r.key) for r in digest] == [("posted", friday.isoformat())]


# -- live changes --------------------------------------------------------------------------------


def test_refresh_follows_forum_and_cycle_changes_without_a_restart(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    clock.set(local(STOCKHOLM, 2027, 7, 5, 10, 0))  # July: themeless in the shipped cycle
    service = SchedulerService(core, clock)
    results = service.run_due()
    assert ("theme", "no_theme") in [(r.kind, r.status) for r in results]
    planned = {p.id: p.due for p in service.planned()}
    assert planned == {
        f"theme:{forum.id}": local(STOCKHOLM, 2027, 8, 2, 9),
        f"digest:{forum.id}": local(STOCKHOLM, 2027, 7, 9, 14),
        # The month's last working day at the digest time (for those who asked for the prompt),
        # and the year in review on June's last working day (this year's has passed).
        f"logbook_prompt:{forum.id}": local(STOCKHOLM, 2027, 7, 30, 14),
        f"year_review:{forum.id}": local(STOCKHOLM, 2028, 6, 30, 14),
    }

    with core.db.transaction() as session:
        forums.update(
            session,
            forum.id,
            actor="test",
            digest_time="16:30",
            reminder_threshold=2,
            preview_days=3,
        )
        august = cycles.for_forum(session, forum).theme_for(8)
        assert august is not None
        cycles.set_theme(
            session, forum, replace(august, month=7), 7, actor="test"
        )  # July gets a theme
    clock.advance(timedelta(minutes=1))
    results = service.run_due()
    assert [(r.kind, r.status, r.key) for r in results] == [("theme", "posted", "2027-07")]
    planned = {p.id: p.due for p in service.planned()}
    assert planned[f"digest:{forum.id}"] == local(STOCKHOLM, 2027, 7, 9, 16, 30)
    assert planned[f"reminder:{forum.id}"] == local(STOCKHOLM, 2027, 7, 11, 9)
    assert planned[f"preview:{forum.id}"] == local(STOCKHOLM, 2027, 7, 30, 9)

    with core.db.transaction() as session:
        forums.update(session, forum.id, actor="test", active=False)
    service.refresh()
    assert service.planned() == []


# -- the command line agrees ---------------------------------------------------------------------


class _Adapters:
    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core

    def run(self, core: Core) -> int:
        raise AssertionError("not used")

    def console(self, core: Core, stdin: TextIO, stdout: TextIO) -> int:
        raise AssertionError("not used")


def _cli(core: Core, *argv: str) -> list[tuple[str, str, str]]:
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(list(argv))
    cli.dispatch(args, core.settings, _Adapters(core), io.StringIO(), out, err)
    assert err.getvalue() == ""
    return re.findall(r"forum \d+: (\w+) (\S+): (\w+)", out.getvalue())


def test_the_command_line_at_a_moment_does_what_the_scheduler_does_then(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    share(core, forum, "dec", local(STOCKHOLM, 2026, 12, 2, 10))
    moments = [
        local(STOCKHOLM, 2026, 12, 1, 9),
        local(STOCKHOLM, 2026, 12, 4, 14),
        local(STOCKHOLM, 2027, 1, 4, 9),
        local(STOCKHOLM, 2027, 7, 1, 9),
        local(STOCKHOLM, 2027, 8, 2, 9),
    ]
    clock.set(moments[0] - timedelta(hours=1))
    service = SchedulerService(core, clock)
    service.run_due()
    before = len(poster.posts)
    by_scheduler = []
    for moment in moments:
        clock.set(moment)
        kind = "digest" if moment.astimezone(STOCKHOLM).hour == 14 else "theme"
        results = service.run_due()
        by_scheduler += [(r.kind, r.key, r.status) for r in results if r.kind == kind]
    scheduled_posts = [s.message for s in poster.posts[before:]]

    with core.db.transaction() as session:
        session.execute(delete(ThemePost))
        session.execute(delete(DigestRun))
    poster.posts.clear()
    by_cli = []
    for moment in moments:
        clock.set(moment)
        kind = "digest" if moment.astimezone(STOCKHOLM).hour == 14 else "post-theme"
        by_cli += _cli(core, kind, "--forum", "C1", "--at", moment.isoformat())

    assert by_cli == by_scheduler
    assert [(k, s) for k, _, s in by_cli] == [
        ("theme", "posted"),
        ("digest", "posted"),
        ("theme", "posted"),
        ("theme", "no_theme"),
        ("theme", "posted"),
    ]
    assert [s.message for s in poster.posts] == scheduled_posts


def test_job_kinds_are_planned_only_when_enabled(core: Core) -> None:
    plain = make_forum(core)
    nudged = make_forum(core, "C2", reminder_threshold=3, preview_days=2)
    after = local(STOCKHOLM, 2026, 11, 23, 10)
    assert jobs.next_due(jobs.REMINDER, plain, after) is None
    assert jobs.next_due(jobs.PREVIEW, plain, after) is None
    assert jobs.next_due(jobs.REMINDER, nudged, after) == local(STOCKHOLM, 2026, 12, 11, 9)
    assert jobs.next_due(jobs.PREVIEW, nudged, after) == local(STOCKHOLM, 2026, 11, 29, 9)
    assert Planned("theme", 7, after, attempt=2).id == "retry-theme:7"


def test_a_forum_changed_just_as_a_run_falls_due_still_gets_the_run(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    clock.set(DECEMBER - timedelta(hours=1))
    service = SchedulerService(core, clock)
    service.run_due()
    with core.db.transaction() as session:
        forums.update(session, forum.id, actor="test", name="Ledarforum")
    clock.set(DECEMBER)
    results = service.run_due()
    assert [(r.kind, r.status, r.key) for r in results] == [("theme", "posted", "2026-12")]
    assert next(p for p in service.planned() if p.kind == "theme").due == local(
        STOCKHOLM, 2027, 1, 4, 9
    )
