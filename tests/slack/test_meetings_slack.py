"""A meeting reminder in Slack over real HTTP: one post, the invitation uploaded in its thread."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from bot.core import Core
from bot.domain import Platform
from bot.services import meetings
from fakes.slack import FakeSlackAPI
from handlers.slack.poster import ChannelPacer, SlackClients, SlackPoster
from tests.support import FakeClock
from tests.test_services import make_forum

REMINDER_AT = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm, the day before


def test_the_reminder_is_posted_once_with_the_ics_in_its_thread(
    core: Core, slack: FakeSlackAPI, clock: FakeClock
) -> None:
    forum = make_forum(core)
    core.posters[Platform.SLACK] = SlackPoster(
        SlackClients(slack.url, token="xoxb-test"), ChannelPacer(0)
    )
    with core.db.transaction() as session:
        meeting = meetings.add(
            session,
            forum,
            meetings.parse_command("2026-12-10 13:00 https://meet.test/forum | Läs kapitel 3"),
            actor="test",
            now=clock(),
        )
    clock.set(REMINDER_AT)
    assert meetings.run_due(core.publisher, forum, REMINDER_AT).status == "posted"
    assert meetings.run_due(core.publisher, forum, REMINDER_AT).status == "already"

    [post] = [m for m in slack.posted_messages(forum.channel_id) if m["metadata"]]
    payload = post["metadata"]["event_payload"]
    assert payload["marker"] == meetings.reminder_marker(forum.id, meeting.id)
    assert "https://meet.test/forum" in str(post["blocks"])
    [upload] = [f for f in slack.files if f.completed]
    assert (upload.channel, upload.thread_ts) == (forum.channel_id, post["ts"])
    assert upload.filename == "ledarforum-2026-12-10.ics"
    [event] = icalendar.Calendar.from_ical(upload.content).walk("VEVENT")
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2026, 12, 10, 12, tzinfo=UTC)
