"""The meeting rhythm: organisers' meetings, the reminder the day before, the follow-up after."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import icalendar
import pytest
from sqlalchemy import func, select

from bot import cli
from bot.config import Settings
from bot.core import Core, open_core
from bot.dialogue import Actor
from bot.domain import Platform
from bot.inbound import MessageRef, Place, ThreadReplied
from bot.inbound_handler import InboundHandler
from bot.messages import Bullets, Header, Paragraph, plain_text
from bot.services import calendar_feed, cycles, meetings
from bot.storage.db import Database, make_engine
from bot.storage.models import AuditEntry, Contribution, Meeting, Notice
from schedules.scheduler import SchedulerService
from tests.support import FakeClock, RecordingPoster
from tests.test_services import make_forum

ORGANISER = Actor(Platform.SLACK, "T1", "UORG", "Organisatör")
LEADER = Actor(Platform.SLACK, "T1", "U1", "Ledare Ett")
# 10 December 2026, 13:00 in Stockholm (12:00 UTC): the reminder is due on the 9th at 09:00.
MEETING_AT = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
REMINDER_AT = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)


def _say(core: Core, actor: Actor, text: str) -> list[str]:
    reply = core.dialogue.handle_text(actor, "C1", text)
    return [plain_text(message) for message in reply.private]


def _rows(core: Core) -> list[Meeting]:
    with core.db.transaction() as session:
        return list(session.scalars(select(Meeting).order_by(Meeting.starts_at)))


def _add(
    core: Core, text: str = "2026-12-10 13:00 Aulan | Ta med ett exempel"
) -> meetings.MeetingInfo:
    forum = make_forum(core)
    with core.db.transaction() as session:
        return meetings.add(
            session, forum, meetings.parse_command(text), actor="test", now=core.dialogue.clock()
        )


def test_an_organiser_adds_lists_and_removes_meetings(core: Core) -> None:
    forum = make_forum(core)
    [added] = _say(core, ORGANISER, "admin möte lägg till 2026-12-10 13:00 Aulan | Läs kapitel 3")
    assert "Mötet är tillagt" in added
    [link] = _say(core, ORGANISER, "admin meeting add 2027-01-14 08:30 60min https://meet.test/x")
    assert "The meeting is added" in link
    [row, video] = _rows(core)
    assert (row.starts_at, row.minutes, row.place, row.agenda) == (
        MEETING_AT,
        90,
        "Aulan",
        "Läs kapitel 3",
    )
    assert (video.minutes, video.place, video.link) == (60, "", "https://meet.test/x")

    [listed] = _say(core, ORGANISER, "admin möte")
    assert "Aulan" in listed and "https://meet.test/x" in listed and "Läs kapitel 3" in listed

    [removed] = _say(core, ORGANISER, "admin möte ta bort 2026-12-10")
    assert "borttaget" in removed
    [gone] = _say(core, ORGANISER, f"admin meeting remove {video.id}")
    assert "removed" in gone
    assert _rows(core) == []
    with core.db.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-4:] == ["meeting.add", "meeting.add", "meeting.remove", "meeting.remove"]
    assert forum.id


def test_bad_meetings_are_refused_in_the_persons_language_and_change_nothing(core: Core) -> None:
    make_forum(core)
    refused = {
        "admin möte lägg till 2026-13-40 13:00 Aulan": "inget datum",
        "admin möte lägg till 2026-12-10 25:00 Aulan": "ingen tid",
        "admin möte lägg till 2026-12-10 13:00": "plats eller en länk",
        "admin möte lägg till 2026-12-10 13:00 ftp://files.test/x": "http://",
        "admin möte lägg till 2026-12-10 13:00 javascript:alert(1)://x": "http://",
        "admin möte lägg till 2026-12-10 13:00 5min Aulan": "mellan 15 och 720",
        "admin möte lägg till 2026-01-10 13:00 Aulan": "redan passerat",
        "admin möte lägg till 2026-12-10": "Skriv: admin möte",
        "admin möte ta bort 2026-12-11": "Inget möte",
        "admin möte ta bort nästa": "Skriv: admin möte ta bort",
        "admin meeting add 2026-12-10 13:00 Hall | " + "x" * 2001: "at most 2000",
    }
    for command, expected in refused.items():
        [answer] = _say(core, ORGANISER, command)
        assert expected in answer, (command, answer)
    assert _rows(core) == []
    _say(core, ORGANISER, "admin möte lägg till 2026-12-10 13:00 Aulan")
    [twice] = _say(core, ORGANISER, "admin möte lägg till 2026-12-10 13:00 Rum 2")
    assert "redan ett möte" in twice
    assert [row.place for row in _rows(core)] == ["Aulan"]


def test_only_organisers_manage_meetings(core: Core) -> None:
    make_forum(core)
    for command in ("admin möte lägg till 2026-12-10 13:00 Aulan", "admin meeting", "admin möte"):
        [answer] = _say(core, LEADER, command)
        assert "organisatör" in answer.casefold() or "organiser" in answer.casefold()
    assert _rows(core) == []


def _reminders(poster: RecordingPoster) -> list[object]:
    return [sent for sent in poster.posts if sent.message.kind == "meeting_reminder"]


def test_the_reminder_goes_out_once_with_the_theme_and_an_invitation(
    core: Core, poster: RecordingPoster, clock: FakeClock
) -> None:
    forum = make_forum(core)
    meeting = _add(core)
    assert meetings.run_due(core.publisher, forum, REMINDER_AT - timedelta(minutes=1)).status == (
        "not_due"
    )
    clock.set(REMINDER_AT)
    assert meetings.run_due(core.publisher, forum, REMINDER_AT).status == "posted"
    assert meetings.run_due(core.publisher, forum, REMINDER_AT + timedelta(hours=2)).status == (
        "already"
    )
    [sent] = _reminders(poster)
    message = sent.message  # type: ignore[attr-defined]
    with core.db.transaction() as session:
        theme = cycles.current(session, forum, MEETING_AT).theme
    assert theme is not None
    headers = [e.text for e in message.elements if isinstance(e, Header)]
    assert any(theme.title.sv in text for text in headers)
    [questions] = [e for e in message.elements if isinstance(e, Bullets)]
    assert questions.items == tuple(q.sv for q in theme.questions)
    assert Paragraph("Ta med ett exempel", user=True) in message.elements
    [invite] = message.files
    assert invite.filename == "ledarforum-2026-12-10.ics" and invite.media_type == "text/calendar"
    [event] = icalendar.Calendar.from_ical(invite.data).walk("VEVENT")
    assert event.decoded("dtstart").astimezone(UTC) == MEETING_AT
    assert event.decoded("dtend").astimezone(UTC) == MEETING_AT + timedelta(minutes=90)
    assert str(event["location"]) == "Aulan"
    assert theme.title.sv in str(event["description"])
    assert f"meeting-{meeting.id}" in str(event["uid"])


def test_the_reminder_is_sent_once_across_two_processes_and_a_restart(
    core: Core, database_url: str, clock: FakeClock
) -> None:
    _add(core)
    clock.set(REMINDER_AT)
    poster = RecordingPoster()
    settings = Settings(database_url=database_url, organisers=("UORG",))
    databases = [Database(make_engine(database_url)) for _ in range(3)]
    cores = [open_core(settings, clock=clock, database=d) for d in databases]
    for opened in cores:
        opened.posters[Platform.SLACK] = poster
    barrier = threading.Barrier(2)

    def run(opened: Core) -> None:
        barrier.wait()
        SchedulerService(opened, clock).run_due(REMINDER_AT)

    threads = [threading.Thread(target=run, args=(c,)) for c in cores[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A restart an hour later: a fresh scheduler catches up and finds the reminder done.
    SchedulerService(cores[2], clock).run_due(REMINDER_AT + timedelta(hours=1))
    assert len(_reminders(poster)) == 1
    with core.db.transaction() as session:
        notice = session.scalars(select(Notice).where(Notice.kind == "meeting_reminder")).one()
    assert notice.status == "done"
    for database in databases:
        database.dispose()


def test_a_crashed_reminder_is_found_not_repeated(
    core: Core, poster: RecordingPoster, clock: FakeClock
) -> None:
    forum = make_forum(core)
    meeting = _add(core)
    clock.set(REMINDER_AT)
    meetings.remind(core.publisher, forum, meeting)
    with core.db.transaction() as session:  # the crash: posted, but the claim never finished
        session.execute(Notice.__table__.update().values(status="claimed", claimed_at=REMINDER_AT))
    clock.advance(timedelta(minutes=6))
    assert meetings.remind(core.publisher, forum, meeting).status == "found"
    assert len(_reminders(poster)) == 1


def test_no_reminder_for_a_meeting_already_past_after_downtime(
    core: Core, poster: RecordingPoster, clock: FakeClock
) -> None:
    make_forum(core)
    _add(core)
    after = MEETING_AT + timedelta(minutes=5)  # down from before the reminder until the meeting
    clock.set(after)
    SchedulerService(core, clock).run_due(after)
    assert _reminders(poster) == []


def test_the_follow_up_asks_in_a_thread_and_a_reply_is_a_meeting_example_once(
    core: Core, poster: RecordingPoster, clock: FakeClock
) -> None:
    forum = make_forum(core)
    meeting = _add(core)
    due = meetings.followup_moment(forum, meeting)
    assert due == MEETING_AT + timedelta(minutes=150)  # 15:30 in Stockholm: the same afternoon
    clock.set(due)
    service = SchedulerService(core, clock)
    service.run_due(due)
    service.run_due(due + timedelta(hours=1))
    [asked] = [s for s in poster.posts if s.message.kind == "meeting_followup"]
    [row] = _rows(core)
    assert row.followup_message_id == asked.message_id

    handler = InboundHandler(core.dialogue)
    place = Place(Platform.SLACK, "T1", "C1", asked.message_id)
    reply = ThreadReplied(
        LEADER, place, MessageRef("r1", asked.message_id), "Vi testar tyst brainstorming"
    )
    handler.handle(reply)
    handler.handle(reply)  # a retried event stores nothing more
    with core.db.transaction() as session:
        stored = list(session.scalars(select(Contribution)))
    assert [(c.text, c.meeting_id, c.period) for c in stored] == [
        ("Vi testar tyst brainstorming", meeting.id, "2026-12")
    ]


def test_an_evening_meeting_is_followed_up_the_next_morning(core: Core) -> None:
    forum = make_forum(core)
    meeting = _add(core, "2026-12-10 18:00 Aulan")
    assert meetings.followup_moment(forum, meeting) == datetime(2026, 12, 11, 8, 0, tzinfo=UTC)


def test_the_calendar_feed_and_upcoming_have_the_meeting(core: Core, clock: FakeClock) -> None:
    forum = make_forum(core)
    meeting = _add(core, "2026-12-10 13:00 https://meet.test/forum | Läs kapitel 3")
    with core.db.transaction() as session:
        body = calendar_feed.feed_ics(session, forum, digests=False, now=clock())
        soon = meetings.upcoming(session, forum.id, after=clock(), until=MEETING_AT + timedelta(1))
        held = meetings.held(session, forum.id, year=2026, now=MEETING_AT + timedelta(days=1))
        count = session.scalar(select(func.count()).select_from(Meeting))
    [event] = [
        e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if "meeting" in str(e["uid"])
    ]
    assert event.decoded("dtstart").astimezone(UTC) == MEETING_AT
    assert str(event["url"]) == "https://meet.test/forum"
    assert "Läs kapitel 3" in str(event["description"])
    assert soon == [meeting] and held == [meeting] and count == 1


class _Adapters:
    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core


MEETINGS_FILE = """meetings:
  - date: 2031-02-10
    time: "13:00"
    place: Aulan
    agenda: Ta med ett exempel från din vardag
  - date: 2031-03-10
    time: 08:30
    minutes: 60
    link: https://meet.test/forum
"""


def test_meetings_import_and_export_from_the_command_line(
    core: Core, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forum = make_forum(core)
    monkeypatch.setenv("DATABASE_URL", core.settings.database_url)
    adapters = cast(cli.Adapters, _Adapters(core))
    path = tmp_path / "meetings.yaml"
    path.write_text(MEETINGS_FILE, encoding="utf-8")

    assert cli.main(["meetings", "import", str(path), "--forum", str(forum.id)], adapters) == 0
    assert "2 meetings added, 0 already there" in capsys.readouterr().out
    assert cli.main(["meetings", "import", str(path)], adapters) == 0  # twice: nothing new
    assert "0 meetings added, 2 already there" in capsys.readouterr().out
    assert [(r.place, r.link, r.minutes) for r in _rows(core)] == [
        ("Aulan", None, 90),
        ("", "https://meet.test/forum", 60),
    ]

    assert cli.main(["meetings", "export", "--format", "csv"], adapters) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["date"], r["time"], r["minutes"]) for r in table] == [
        ("2031-02-10", "13:00", "90"),
        ("2031-03-10", "08:30", "60"),
    ]
    assert cli.main(["meetings", "export", "--format", "ics"], adapters) == 0
    events = icalendar.Calendar.from_ical(capsys.readouterr().out).walk("VEVENT")
    assert [str(e["location"]) for e in events] == ["Aulan", "https://meet.test/forum"]
    assert cli.main(["meetings", "export"], adapters) == 0
    exported = tmp_path / "again.yaml"
    exported.write_text(capsys.readouterr().out, encoding="utf-8")
    assert cli.main(["meetings", "import", str(exported)], adapters) == 0  # a round trip
    assert "0 meetings added, 2 already there" in capsys.readouterr().out

    # One bad meeting refuses the whole file, with its number and the reason.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,time,place,link\n2031-04-01,10:00,Rum 1,\n2031-05-01,10:00,,ftp://x.test/\n",
        encoding="utf-8",
    )
    assert cli.main(["meetings", "import", str(bad)], adapters) == 2
    err = capsys.readouterr().err
    assert "(meeting 2)" in err and "http://" in err
    assert len(_rows(core)) == 2


def test_teams_and_the_console_show_the_invitation_as_a_link(core: Core) -> None:
    from handlers.console.render import render
    from handlers.teams.render import card_json, card_of

    forum = make_forum(core)
    meeting = _add(core)
    message = meetings.reminder_post(meeting, forum, None, b"BEGIN:VCALENDAR\r\n")
    actions = [
        action
        for item in card_json(card_of(message))["body"]
        if item.get("type") == "ActionSet"
        for action in item["actions"]
    ]
    assert actions == [
        {
            "type": "Action.OpenUrl",
            "title": "Lägg till i kalendern",
            "url": "data:text/calendar;base64,QkVHSU46VkNBTEVOREFSDQo=",
        }
    ]
    fed = meetings.reminder_post(meeting, forum, None, b"", feed_url="https://lf.test/c/t.ics")
    assert "Lägg till i kalendern: https://lf.test/c/t.ics" in render(fed)
