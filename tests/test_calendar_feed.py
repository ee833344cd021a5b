"""The calendar feed: tokens (one live per forum, renew revokes, audit-logged) and the iCalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import audit, calendar_feed, cycles, forums
from bot.services.forums import moments
from bot.storage.models import CalendarFeed
from bot.timing import Period, theme_day

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _forum(core: Core, channel: str = "C1") -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", channel, language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _events(ics: bytes) -> list[dict[str, object]]:
    calendar = Calendar.from_ical(ics)
    return [
        {
            "uid": str(event["uid"]),
            "summary": str(event["summary"]),
            "description": str(event.get("description", "")),
            "start": event.decoded("dtstart"),
            "end": event.decoded("dtend"),
        }
        for event in calendar.walk("VEVENT")
    ]


def test_one_live_token_per_forum_made_on_the_first_ask(core: Core) -> None:
    forum, other = _forum(core), _forum(core, "C2")
    with core.db.transaction() as session:
        first = calendar_feed.feed_token(session, forum.id, actor="slack:T1:UORG")
        again = calendar_feed.feed_token(session, forum.id, actor="slack:T1:UORG")
        elsewhere = calendar_feed.feed_token(session, other.id, actor="slack:T1:UORG")
    assert first == again != elsewhere
    assert len(first) >= 43
    other_char = "B" if first.endswith("A") else "A"  # one character off, never the same
    with core.db.transaction() as session:
        found = calendar_feed.forum_for_token(session, first)
        assert found is not None and found.id == forum.id
        assert calendar_feed.forum_for_token(session, first[:-1] + other_char) is None
        assert calendar_feed.forum_for_token(session, "") is None


def test_renew_revokes_the_old_token_and_is_audit_logged(core: Core) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        old = calendar_feed.feed_token(session, forum.id, actor="slack:T1:UORG")
    with core.db.transaction() as session:
        new = calendar_feed.renew(session, forum.id, actor="slack:T1:UORG")
    assert new != old
    with core.db.transaction() as session:
        assert calendar_feed.forum_for_token(session, old) is None
        renewed = calendar_feed.forum_for_token(session, new)
        assert renewed is not None and renewed.id == forum.id
        assert calendar_feed.feed_token(session, forum.id, actor="x") == new
        live = session.scalars(
            select(CalendarFeed).where(
                CalendarFeed.forum_id == forum.id, CalendarFeed.revoked_at.is_(None)
            )
        ).all()
        assert len(live) == 1
        entries = audit.recent(session, forum_id=forum.id)
    actions = [entry.action for entry in entries]
    assert actions[:2] == ["calendar_feed.renew", "calendar_feed.create"]
    assert entries[0].actor == "slack:T1:UORG"
    # The log never holds a token: it is a credential.
    assert all(
        old not in str(audit.as_dict(e)) and new not in str(audit.as_dict(e)) for e in entries
    )


def test_the_feed_parses_back_into_the_same_themes_and_posting_days(core: Core) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        doc = cycles.for_forum(session, forum)
        ics = calendar_feed.feed_ics(session, forum, digests=False, now=NOW)
    events = _events(ics)
    expected = []
    period = Period(2026, 11)
    for _ in range(12):
        theme = doc.theme_for(period.month)
        if theme is not None:
            expected.append((theme.title.sv, theme_day(period, moments(forum))))
        period = period.next()
    assert [(e["summary"], e["start"]) for e in events] == expected
    assert len(expected) == 11  # the default cycle has no theme in July
    for event in events:
        start = event["start"]
        assert isinstance(start, date) and not isinstance(start, datetime)  # all day
        assert event["end"] == start + timedelta(days=1)
    november = events[0]
    theme = doc.themes[11]
    assert theme.why_now.sv in str(november["description"])
    assert all(q.sv in str(november["description"]) for q in theme.questions)
    assert november["uid"] == f"ledarforum-{forum.id}-2026-11@ledarforum"
    # Stable: the same UIDs a week later.
    with core.db.transaction() as session:
        later = calendar_feed.feed_ics(session, forum, digests=False, now=NOW + timedelta(days=7))
    assert [e["uid"] for e in _events(later)] == [e["uid"] for e in events]


def test_english_feed_when_asked(core: Core) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        doc = cycles.for_forum(session, forum)
        ics = calendar_feed.feed_ics(session, forum, digests=False, now=NOW, lang="en")
    assert _events(ics)[0]["summary"] == doc.themes[11].title.en


def test_digest_moments_are_optional_timed_events_in_the_forums_zone(core: Core) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        plain = _events(calendar_feed.feed_ics(session, forum, digests=False, now=NOW))
        with_digests = _events(calendar_feed.feed_ics(session, forum, digests=True, now=NOW))
    digests = [e for e in with_digests if "digest" in str(e["uid"])]
    assert not [e for e in plain if "digest" in str(e["uid"])]
    assert 50 <= len(digests) <= 53  # every Friday of twelve months
    stockholm = ZoneInfo("Europe/Stockholm")
    for event in digests:
        start = event["start"]
        assert isinstance(start, datetime) and start.tzinfo is not None
        local = start.astimezone(stockholm)
        assert (local.weekday(), local.hour, local.minute) == (4, 14, 0)  # Friday 14:00 local
    first = min(e["start"] for e in digests)  # type: ignore[type-var]
    assert first.astimezone(stockholm).date() == date(2026, 11, 6)
    assert len({e["uid"] for e in with_digests}) == len(with_digests)


def test_the_same_hour_gives_the_same_bytes(core: Core) -> None:
    """So a calendar app's If-None-Match gets 304 instead of the whole feed again."""
    forum = _forum(core)
    with core.db.transaction() as session:
        first = calendar_feed.feed_ics(session, forum, digests=True, now=NOW)
        later = calendar_feed.feed_ics(
            session, forum, digests=True, now=NOW + timedelta(minutes=42, seconds=7)
        )
    assert first == later
