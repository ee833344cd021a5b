"""A forum's settings through the core: one validator, audit-logged changes, the organisers' log,
and the posting day that the scheduler, ``post-theme`` and ``tema`` all read."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform
from bot.messages import Reply, plain_text
from bot.services import audit, cycles, forums
from bot.services import settings as forum_settings
from bot.services.settings import SettingsError
from bot.timing import Period
from schedules import jobs

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ORGANISER = Actor(Platform.SLACK, "T1", "UORG", "Org")  # configured in the core fixture
LEADER = Actor(Platform.SLACK, "T1", "U1", "Lea")


def _forum(core: Core, zone: str = "Europe/Stockholm", channel: str = "C1") -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", channel, language="sv", timezone=zone
        )
    return forum


def _reload(core: Core, forum: ForumInfo) -> ForumInfo:
    with core.db.transaction() as session:
        found = forums.get(session, forum.id)
    assert found is not None
    return found


def _say(core: Core, actor: Actor, text: str, channel: str = "C1") -> str:
    reply: Reply = core.dialogue.handle_text(actor, channel, text)
    return "\n".join(plain_text(message) for message in reply.private)


def test_values_are_read_as_people_write_them() -> None:
    assert forum_settings.parse(
        {
            "Timezone": "europe/oslo",
            "country": "no",
            "theme-day": "2",
            "theme_time": "8.30",
            "digest_weekday": "Torsdag",
            "digest_time": "9:05",
            "reaction": ":tada:",
            "empty_digest_note": "ja",
            "reminder_threshold": "av",
            "reminder_after_days": "7",
            "preview_days": "",
            "retention_years": "5",
            "language": "EN",
        }
    ) == {
        "timezone": "Europe/Oslo",
        "country": "NO",
        "theme_day": 2,
        "theme_time": "08:30",
        "digest_weekday": 3,
        "digest_time": "09:05",
        "reaction": "tada",
        "empty_digest_note": True,
        "reminder_threshold": None,
        "reminder_after_days": 7,
        "preview_days": None,
        "retention_years": 5,
        "language": "en",
    }
    assert forum_settings.parse({"digest_weekday": "7"}) == {"digest_weekday": 6}
    assert forum_settings.parse({"digest_weekday": "Friday"}) == {"digest_weekday": 4}


def test_every_bad_value_is_named_with_what_it_allows_in_both_languages() -> None:
    with pytest.raises(SettingsError) as caught:
        forum_settings.parse_pairs(
            [
                "timezone=Mars/Base",
                "theme_time=25:00",
                "digest_weekday=9",
                "theme_day=0",
                "country=XX",
                "retention_years=-1",
                "colour=blue",
                "oops",
            ]
        )
    problems = caught.value.problems
    assert [p.key for p in problems] == [
        "",
        "timezone",
        "theme_time",
        "digest_weekday",
        "theme_day",
        "country",
        "retention_years",
        "colour",
    ]
    swedish, english = caught.value.message("sv"), caught.value.message("en")
    assert (
        "timezone kan inte vara Mars/Base: skriv ett tidszonsnamn som Europe/Stockholm" in swedish
    )
    assert "theme_time cannot be 25:00: write a time from 00:00 to 23:59" in english
    assert "digest_weekday cannot be 9" in english and "1 is Monday" in english
    assert "theme_day kan inte vara 0: skriv ett tal från 1 till 20" in swedish
    assert "There is no setting called colour" in english
    assert "KEY=VALUE" in english and "oops" in english


def test_an_organiser_sets_by_text_and_nothing_changes_on_any_error(core: Core) -> None:
    forum = _forum(core)
    refused = _say(core, ORGANISER, "admin inställningar language=en timezone=Mars/Base")
    assert "timezone kan inte vara Mars/Base" in refused and "Ingen inställning ändrades" in refused
    assert _reload(core, forum).language == "sv"

    saved = _say(core, ORGANISER, "admin inställningar theme_day=2 country=NO preview_days=3")
    assert "Inställningarna är sparade" in saved and "SE → NO" in saved
    changed = _reload(core, forum)
    assert (changed.theme_day, changed.country, changed.preview_days) == (2, "NO", 3)
    with core.db.transaction() as session:
        [entry] = [e for e in audit.recent(session) if e.action == "forum.update"]
        assert (entry.actor, entry.forum_id) == ("slack:T1:UORG", forum.id)
        assert entry.before == {"theme_day": 1, "country": "SE", "preview_days": None}
        assert entry.after == {"theme_day": 2, "country": "NO", "preview_days": 3}

    overview = _say(core, ORGANISER, "admin settings")
    assert "Country (public holidays): NO" in overview and "Change settings" in overview


def test_a_leader_can_neither_read_nor_change_settings_or_the_log(core: Core) -> None:
    forum = _forum(core)
    for text in ("admin settings", "admin settings timezone=Europe/Oslo", "admin log"):
        assert "organisers only" in _say(core, LEADER, text), text
    assert _reload(core, forum).timezone == "Europe/Stockholm"


def test_the_log_shows_the_forums_own_latest_changes_in_its_time_zone(core: Core) -> None:
    forum = _forum(core, zone="America/New_York")
    other = _forum(core, channel="C2")
    with core.db.transaction() as session:
        forum_settings.apply(session, other.id, {"reaction": "tada"}, actor="slack:T1:UORG")
        for minutes in range(20):
            changes = {"digest_time": f"14:{minutes:02d}"}
            forum_settings.apply(session, forum.id, changes, actor="slack:T1:UORG")
        newest = audit.recent(session, 1, forum_id=forum.id)[0].at

    log = _say(core, ORGANISER, "admin logg")

    lines = [line for line in log.splitlines() if line.startswith("  • ")]
    assert len(lines) == 15
    assert "Tid för sammanfattningen: 14:18 → 14:19" in lines[0]  # the newest first
    assert "tada" not in log  # another forum's change
    local = newest.astimezone(ZoneInfo("America/New_York"))
    assert f"kl. {local:%H.%M}" in lines[0] and " · UORG · ändrade inställningar" in lines[0]
    assert "15 ändringar visas" in log


def test_the_posting_day_moves_the_scheduler_and_the_current_theme_alike(core: Core) -> None:
    forum = _forum(core)
    december = datetime(2026, 12, 10, 12, tzinfo=STOCKHOLM)
    new_year = datetime(2027, 1, 1, 10, tzinfo=STOCKHOLM)
    monday = datetime(2027, 1, 4, 9, tzinfo=STOCKHOLM)

    assert jobs.next_due(jobs.THEME, forum, december) == monday
    with core.db.transaction() as session:
        assert cycles.current(session, forum, new_year).period == Period(2026, 12)
        assert cycles.current(session, forum, monday).period == Period(2027, 1)

    _say(core, ORGANISER, "admin settings theme_day=2")
    second = _reload(core, forum)
    tuesday = datetime(2027, 1, 5, 9, tzinfo=STOCKHOLM)
    assert jobs.next_due(jobs.THEME, second, december) == tuesday
    with core.db.transaction() as session:
        assert cycles.current(session, second, monday).period == Period(2026, 12)
        assert cycles.current(session, second, tuesday).period == Period(2027, 1)
    result = core.publisher.post_theme(second, monday)
    assert (result.key, result.status) != ("2027-01", "posted")
