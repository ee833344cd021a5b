"""A forum's cycle for one calendar year (``forum:{id}@{year}``) changes only that year's themes:
posts, reminders' theme, the year overview; copying a year forward; editing a month of a year; the
cycle cache across two cores. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.commands import parse
from bot.config import Settings
from bot.core import Core, open_core
from bot.dialogue import Actor
from bot.domain import Bilingual, CycleDocument, ForumInfo, Platform, Source, ThemeContent
from bot.services import contributions, cycles
from bot.services.contributions import NewContribution
from bot.storage.db import Database, make_engine
from bot.storage.models import AuditEntry, Contribution, Cycle
from bot.timing import Period
from tests.support import FakeClock, RecordingPoster
from tests.test_services import make_forum

ORGANISER = Actor(Platform.SLACK, "T1", "UORG", "Org")  # configured organiser (core fixture)


def _theme(title: str, month: int) -> ThemeContent:
    return ThemeContent(
        month=month,
        title=Bilingual(f"{title} sv", f"{title} en"),
        why_now=Bilingual("För att det är dags", "Because it is time"),
        questions=(Bilingual("Vad gör ni?", "What do you do?"), Bilingual("Hur?", "How?")),
    )


def _year_cycle(core: Core, forum: ForumInfo, year: int, title: str) -> None:
    doc = CycleDocument("Year", {m: _theme(f"{title} {m}", m) for m in (1, 2, 11, 12)})
    with core.db.transaction() as session:
        cycles.replace(session, cycles.year_key(forum.id, year), doc, actor="test")


def _title(core: Core, forum: ForumInfo, period: Period) -> str | None:
    with core.db.transaction() as session:
        theme = cycles.theme_at(session, forum, period)
    return theme.title.en if theme else None


def _posted_title(poster: RecordingPoster) -> str:
    return poster.theme_posts()[-1].message.fallback


def test_a_2027_cycle_changes_only_2027s_posts(core: Core, poster: RecordingPoster) -> None:
    forum, other = make_forum(core, "C1"), make_forum(core, "C2")
    shipped_january = _title(core, forum, Period(2026, 1))
    _year_cycle(core, forum, 2027, "Plan")
    assert _title(core, forum, Period(2027, 1)) == "Plan 1 en"
    assert _title(core, forum, Period(2027, 3)) is None  # the year's cycle has no March
    assert _title(core, forum, Period(2026, 1)) == shipped_january  # another year: unchanged
    assert _title(core, forum, Period(2028, 1)) == "Plan 1 en"  # holds until a later year's
    assert _title(core, other, Period(2027, 1)) == shipped_january  # another forum: unchanged
    # The publisher's post follows the year: December 2026 from the default, January 2027 ours.
    assert core.publisher.post_theme(forum, datetime(2026, 12, 2, 9, tzinfo=UTC)).status == "posted"
    assert "Plan" not in _posted_title(poster)
    assert core.publisher.post_theme(forum, datetime(2027, 1, 5, 9, tzinfo=UTC)).status == "posted"
    assert "Plan 1 sv" in _posted_title(poster)
    # Exactly once still holds, and the other forum's January is the shared one.
    assert core.publisher.post_theme(forum, datetime(2027, 1, 6, 9, tzinfo=UTC)).status == "already"
    core.publisher.post_theme(other, datetime(2027, 1, 5, 9, tzinfo=UTC))
    assert "Plan" not in _posted_title(poster)
    # A contribution of January 2027 is stored under that year's theme.
    with core.db.transaction() as session:
        contributions.record(
            session,
            forum,
            NewContribution(
                author_id="U1",
                author_name="Lea",
                text="Vi provade en ny mötesform",
                source=Source.SHARE_COMMAND,
                channel_id=forum.channel_id,
                source_message_id="m-2027",
                created_at=datetime(2027, 1, 10, 9, tzinfo=UTC),
            ),
            now=datetime(2027, 1, 10, 9, tzinfo=UTC),
        )
        stored = session.scalars(select(Contribution)).one()
    assert stored.theme_title_sv == "Plan 1 sv"


def test_year_overview_and_theme_answer_use_the_current_year(core: Core, clock: FakeClock) -> None:
    forum = make_forum(core)
    _year_cycle(core, forum, 2027, "Plan")
    clock.set(datetime(2027, 1, 12, 9, tzinfo=UTC))
    reply = core.dialogue.handle(ORGANISER, forum.channel_id, parse("årscykel"))
    text = str(reply.private[0].elements)
    assert "Plan 1 en" in text or "Plan 1 sv" in text
    clock.set(datetime(2026, 12, 12, 9, tzinfo=UTC))
    reply = core.dialogue.handle(ORGANISER, forum.channel_id, parse("årscykel"))
    assert "Plan" not in str(reply.private[0].elements)


def test_copy_to_next_year(core: Core) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        cycles.set_theme(session, forum, _theme("Ours", 3), 3, actor="t")  # the forum's own cycle
        copied = cycles.copy_to_next_year(session, forum, 2026, actor="slack:T1:UORG")
    ours = copied.theme_for(3)
    assert ours is not None and ours.title == _theme("Ours", 3).title
    with core.db.transaction() as session:
        assert cycles.has_year(session, forum, 2027) and not cycles.has_year(session, forum, 2026)
        # The copy is independent: changing the forum's own cycle leaves 2027 as copied.
        cycles.set_theme(session, forum, _theme("Later", 3), 3, actor="t")
    assert _title(core, forum, Period(2027, 3)) == "Ours en"
    assert _title(core, forum, Period(2026, 3)) == "Later en"
    with core.db.transaction() as session, pytest.raises(cycles.CycleError) as refused:
        cycles.copy_to_next_year(session, forum, 2026, actor="t")
    assert "2027" in refused.value.message("sv") and "2027" in refused.value.message("en")
    assert refused.value.message("sv") != refused.value.message("en")
    assert _title(core, forum, Period(2027, 3)) == "Ours en"  # refused: nothing changed
    with core.db.transaction() as session:
        cycles.copy_to_next_year(session, forum, 2026, actor="t", replace=True)
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "cycle.copy_year"))
        )
    assert _title(core, forum, Period(2027, 3)) == "Later en"
    assert [e.target for e in entries] == [cycles.year_key(forum.id, 2027)] * 2
    assert entries[0].actor == "slack:T1:UORG" and entries[0].forum_id == forum.id


def test_editing_next_month_edits_that_years_cycle(core: Core, clock: FakeClock) -> None:
    forum = make_forum(core)
    clock.set(datetime(2026, 12, 10, 9, tzinfo=UTC))  # December 2026: next month is January 2027
    shipped = {m: _title(core, forum, Period(2026, m)) for m in (1, 2)}
    with core.db.transaction() as session:
        assert cycles.edit_source(session, forum, 2027, 2026) == ("future", None)
        assert cycles.edit_source(session, forum, 2026, 2026) == ("default", None)
    # The chat editor's default year for January is 2027, and saving gives 2027 its own cycle
    # (a copy of what it showed), so this year's posts and pages stay as they were.
    editor = core.dialogue.theme_editor(ORGANISER, forum, 1)
    assert editor is not None and editor.own.key == cycles.year_key(forum.id, 2027)
    assert not editor.own.exists
    assert "2027" in editor.describe("en")
    target = core.dialogue.edit_theme(ORGANISER, forum, 1, _theme("Next", 1))
    assert target is not None and target.key == cycles.year_key(forum.id, 2027) and target.exists
    assert _title(core, forum, Period(2027, 1)) == "Next en"
    assert _title(core, forum, Period(2027, 2)) == shipped[2]  # copied with the rest of the year
    assert _title(core, forum, Period(2026, 1)) == shipped[1]  # this year: untouched
    assert _title(core, forum, Period(2028, 1)) == "Next en"  # and it holds on into later years
    # An edit of this year goes to the forum's own cycle; 2027 keeps its own.
    core.dialogue.edit_theme(ORGANISER, forum, 1, _theme("Back", 1), year=2026)
    assert (_title(core, forum, Period(2026, 1)), _title(core, forum, Period(2027, 1))) == (
        "Back en",
        "Next en",
    )
    with core.db.transaction() as session:
        forum_cycles = set(session.scalars(select(Cycle.key).where(Cycle.key.like("forum:%"))))
        assert cycles.edit_source(session, forum, 2028, 2026) == ("future", 2027)
        assert cycles.edit_source(session, forum, 2027, 2026) == ("year", 2027)
    assert forum_cycles == {cycles.forum_key(forum.id), cycles.year_key(forum.id, 2027)}
    # A year that shows an earlier year's cycle gets its own on its first edit, too.
    clock.set(datetime(2028, 3, 10, 9, tzinfo=UTC))
    core.dialogue.edit_theme(ORGANISER, forum, 1, _theme("Later", 1), year=2028)
    assert (_title(core, forum, Period(2027, 1)), _title(core, forum, Period(2028, 1))) == (
        "Next en",
        "Later en",
    )


def test_a_renamed_theme_keeps_its_key(core: Core) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        before = cycles.theme_at(session, forum, Period(2026, 2))
    assert before is not None
    renamed = ThemeContent(
        month=2,
        title=Bilingual("Samtal som gör skillnad", "Talks that make a difference"),
        why_now=before.why_now,
        questions=before.questions,
    )
    core.dialogue.edit_theme(ORGANISER, forum, 2, renamed, year=2026)
    with core.db.transaction() as session:
        after = cycles.theme_at(session, forum, Period(2026, 2))
    assert after is not None and after.title.sv == "Samtal som gör skillnad"
    assert after.key == before.key  # last year's examples on the theme are still found


def test_the_cache_sees_a_change_made_by_another_core(
    core: Core, database_url: str, clock: FakeClock
) -> None:
    forum = make_forum(core)
    second_db = Database(make_engine(database_url))
    second = open_core(
        Settings(database_url=database_url, organisers=("UORG",)), clock=clock, database=second_db
    )
    try:
        assert _title(core, forum, Period(2027, 1)) == _title(second, forum, Period(2027, 1))
        _year_cycle(second, forum, 2027, "Plan")  # a year cycle made elsewhere
        assert _title(core, forum, Period(2027, 1)) == "Plan 1 en"
        with second.db.transaction() as session:
            cycles.set_theme(session, forum, _theme("Edited", 1), 1, actor="t", year=2027)
        assert _title(core, forum, Period(2027, 1)) == "Edited en"
        with second.db.transaction() as session:
            cycles.copy_to_next_year(session, forum, 2026, actor="t", replace=True)
        assert _title(core, forum, Period(2027, 1)) == _title(core, forum, Period(2026, 1))
    finally:
        second.close()


def test_scheduler_stamp_counts_a_years_cycle() -> None:
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    stamps = {cycles.DEFAULT_KEY: early, cycles.year_key(7, 2027): late}
    assert cycles.cycle_stamp(stamps, 7, range(2026, 2028)) == late
    # An earlier year's cycle still holds in these years; a later one does not yet.
    assert (
        cycles.cycle_stamp({**stamps, cycles.year_key(7, 2020): late}, 7, range(2026, 2027)) == late
    )
    assert cycles.cycle_stamp(stamps, 7, range(2025, 2027)) == early
    assert cycles.cycle_stamp(stamps, 8, range(2026, 2028)) == early
    assert cycles.cycle_stamp({}, 7, range(2026, 2028)) is None


def test_the_coming_twelve_months_are_what_chat_edits_change(core: Core) -> None:
    forum = make_forum(core)
    _year_cycle(core, forum, 2027, "Plan")  # January, February, November and December of 2027
    at = datetime(2026, 12, 10, 9, tzinfo=UTC)  # December 2026
    with core.db.transaction() as session:
        coming = cycles.coming_twelve(session, forum, at)
        this_december = cycles.theme_at(session, forum, Period(2026, 12))
    assert this_december is not None
    assert coming.theme_for(12) == this_december  # December is this year's, still current
    assert coming.theme_for(1) is not None and coming.theme_for(1).title.en == "Plan 1 en"
    assert coming.theme_for(3) is None  # 2027's cycle has no March
