"""Services on SQLite and PostgreSQL: current theme, contributions, digest, people and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.cycle_file import load_default_cycle
from bot.dialogue import Actor
from bot.domain import Bilingual, ForumInfo, Platform, Source, ThemeContent
from bot.services import (
    contributions,
    cycles,
    forums,
    organisers,
    preferences,
    privacy,
    subscriptions,
)
from bot.services import digest as digests
from bot.services.contributions import ContributionError, NewContribution
from bot.storage.db import Database, make_engine
from bot.storage.models import AuditEntry, Contribution
from bot.timing import Period

FRIDAY = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 14:00 in Stockholm


def make_forum(core: Core, channel: str = "C1", zone: str = "Europe/Stockholm") -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", channel, language="sv", timezone=zone
        )
    return forum


def share(
    core: Core,
    forum: ForumInfo,
    message_id: str,
    at: datetime,
    text: str = "Ett exempel",
    author: str = "U1",
    anonymous: bool = False,
) -> int:
    with core.db.transaction() as session:
        return contributions.record(
            session,
            forum,
            NewContribution(
                author,
                f"Person {author}",
                text,
                Source.THREAD_REPLY,
                forum.channel_id,
                message_id,
                at,
                permalink=f"https://chat.test/{message_id}",
                anonymous=anonymous,
            ),
            now=at,
        ).id


def test_current_theme_follows_the_shipped_cycle_and_july_has_none(core: Core) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        november = cycles.current(session, forum, datetime(2026, 11, 23, 9, tzinfo=UTC))
        july = cycles.current(session, forum, datetime(2027, 7, 15, 9, tzinfo=UTC))
    assert november.period == Period(2026, 11)
    assert november.theme == load_default_cycle().theme_for(11)
    assert july.period == Period(2027, 7) and july.theme is None


def test_contribution_is_tied_to_the_theme_it_was_made_under(core: Core) -> None:
    forum = make_forum(core)
    share(core, forum, "m1", datetime(2026, 11, 23, 9, tzinfo=UTC))
    with core.db.transaction() as session:
        row = session.scalars(select(Contribution)).one()
    assert row.period == "2026-11"
    assert row.theme_title_sv == load_default_cycle().themes[11].title.sv


def test_edit_and_delete_follow_the_source_message(core: Core) -> None:
    forum = make_forum(core)
    share(core, forum, "m1", datetime(2026, 11, 23, 9, tzinfo=UTC), text="Före")
    with core.db.transaction() as session:
        assert contributions.edit(session, forum.id, "m1", "Efter", datetime.now(UTC))
    with core.db.transaction() as session:
        assert session.scalars(select(Contribution.text)).one() == "Efter"
        assert contributions.delete_by_source(session, forum.id, "m1")
    with core.db.transaction() as session:
        assert session.scalars(select(Contribution)).first() is None
        assert not contributions.edit(session, forum.id, "m1", "x", datetime.now(UTC))


@pytest.mark.parametrize("text", ["", "   \n\t", "\x00\x01"])
def test_empty_text_is_refused(core: Core, text: str) -> None:
    forum = make_forum(core)
    with pytest.raises(ContributionError) as caught, core.db.transaction() as session:
        contributions.record(
            session,
            forum,
            NewContribution("U1", "Kim", text, Source.FORM, "C1", "m1", datetime.now(UTC)),
            now=datetime.now(UTC),
        )
    assert caught.value.key == "share.error.empty"


def test_too_long_text_is_refused_and_nothing_stored(core: Core) -> None:
    forum = make_forum(core)
    with pytest.raises(ContributionError), core.db.transaction() as session:
        contributions.record(
            session,
            forum,
            NewContribution("U1", "Kim", "x" * 10_001, Source.FORM, "C1", "m1", datetime.now(UTC)),
            now=datetime.now(UTC),
        )
    with core.db.transaction() as session:
        assert session.scalars(select(Contribution)).first() is None


def test_digest_covers_the_week_grouped_newest_theme_first(core: Core) -> None:
    forum = make_forum(core)
    share(core, forum, "old", FRIDAY - timedelta(days=8))  # previous week
    share(core, forum, "oct", datetime(2026, 11, 21, 10, tzinfo=UTC), text="Oktober-tråden")
    share(core, forum, "edge", FRIDAY)  # exactly at the moment: included
    share(core, forum, "late", FRIDAY + timedelta(seconds=1))  # next week
    share(core, forum, "anon", datetime(2026, 11, 24, 10, tzinfo=UTC), anonymous=True)
    # A reply in October's thread keeps October's theme.
    with core.db.transaction() as session:
        session.execute(
            Contribution.__table__.update()
            .where(Contribution.source_message_id == "oct")
            .values(period="2026-10", theme_title_sv="Budget", theme_title_en="Budget")
        )
    with core.db.transaction() as session:
        digest = digests.load(session, forum.id, FRIDAY - timedelta(days=7), FRIDAY)
    assert digest.total == 3
    assert [g.period for g in digest.groups] == [Period(2026, 11), Period(2026, 10)]
    november = digest.groups[0]
    assert [item.author for item in november.items] == [None, "Person U1"]
    assert november.items[1].link == "https://chat.test/edge"


def test_empty_week_is_a_distinct_result(core: Core) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        digest = digests.load(session, forum.id, FRIDAY - timedelta(days=7), FRIDAY)
    assert digest.is_empty and digest.total == 0


def test_excerpt_is_readable() -> None:
    text = "Vi  började\n\nmed gåmöten. " + "Det var bra. " * 60
    short = digests.excerpt(text)
    assert len(short) <= digests.EXCERPT_CHARS
    assert short.endswith("…") and "\n" not in short and "  " not in short


def test_builder_is_pure_over_rows() -> None:
    row = digests.DigestRow(
        1,
        "2026-11",
        "Tema",
        "Theme",
        "Kim",
        False,
        "Text",
        None,
        datetime(2026, 11, 24, tzinfo=UTC),
    )
    digest = digests.build(7, FRIDAY - timedelta(days=7), FRIDAY, [row, row])
    assert digest.total == 2 and digest.groups[0].title == Bilingual("Tema", "Theme")


def test_subscriptions_and_preferences(core: Core) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        assert subscriptions.subscribe(session, forum.id, "U1")
        assert not subscriptions.subscribe(session, forum.id, "U1")
        preferences.set_language(session, "slack", "T1", "U1", "en")
        preferences.set_language(session, "slack", "T1", "U1", "sv")
    with core.db.transaction() as session:
        assert subscriptions.subscribers(session, forum.id) == ["U1"]
        assert preferences.language_of(session, "slack", "T1", "U1") == "sv"
        assert subscriptions.unsubscribe(session, forum.id, "U1")
        assert not subscriptions.is_subscribed(session, forum.id, "U1")


def test_organisers_are_per_forum_or_configured(core: Core) -> None:
    forum = make_forum(core)
    other = make_forum(core, "C2")
    with core.db.transaction() as session:
        organisers.add(session, "slack", "T1", "U5", forum.id, actor="test")
    with core.db.transaction() as session:
        assert organisers.is_organiser(session, "slack", "T1", "U5", forum.id)
        assert not organisers.is_organiser(session, "slack", "T1", "U5", other.id)
        assert not organisers.is_organiser(session, "slack", "T2", "U5", forum.id)
        assert organisers.is_organiser(session, "slack", "T9", "UORG", other.id, ("UORG",))


def test_editing_a_theme_is_audited_and_visible_at_once(core: Core) -> None:
    forum = make_forum(core)
    theme = ThemeContent(
        month=12,
        title=Bilingual("Nytt tema", "New theme"),
        why_now=Bilingual("För att", "Because"),
        questions=(Bilingual("Fråga 1?", "Question 1?"), Bilingual("Fråga 2?", "Question 2?")),
    )
    with core.db.transaction() as session:
        cycles.set_theme(session, forum, theme, 12, actor="slack:T1:U5")
    with core.db.transaction() as session:
        stored = cycles.for_forum(session, forum).theme_for(12)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "theme.update")).one()
    # The new title, and the key the month's theme had: last year's examples are still found.
    assert stored is not None and stored.title == theme.title
    assert stored.key == load_default_cycle().themes[12].key != theme.key
    assert entry.actor == "slack:T1:U5"
    assert entry.before["title_sv"] == load_default_cycle().themes[12].title.sv
    assert entry.after["title_sv"] == "Nytt tema"


def test_replacing_a_cycle_is_atomic(core: Core) -> None:
    forum = make_forum(core)
    doc = load_default_cycle()

    def replace_then_fail() -> None:
        with core.db.transaction() as session:
            cycles.replace(session, cycles.forum_key(forum.id), doc, actor="test")
            raise RuntimeError("failure half-way")

    with pytest.raises(RuntimeError):
        replace_then_fail()
    with core.db.transaction() as session:
        assert cycles.key_for(session, forum) == cycles.DEFAULT_KEY
        cycles.replace(session, cycles.forum_key(forum.id), doc, actor="test")
    with core.db.transaction() as session:
        assert cycles.key_for(session, forum) == cycles.forum_key(forum.id)
        assert cycles.for_forum(session, forum) == doc


def test_forget_me_erases_a_persons_data_only(core: Core) -> None:
    forum = make_forum(core)
    share(core, forum, "m1", FRIDAY, author="U1")
    share(core, forum, "m2", FRIDAY, author="U2")
    with core.db.transaction() as session:
        subscriptions.subscribe(session, forum.id, "U1")
        data = privacy.collect(session, "slack", "T1", "U1")
        assert [c["text"] for c in data["contributions"]] == ["Ett exempel"]
        removed = privacy.forget(session, "slack", "T1", "U1")
    assert removed == {
        "contributions": 1,
        "subscriptions": 1,
        "preferences": 0,
        "inbound_events": 0,
        "logbook_entries": 0,
    }
    with core.db.transaction() as session:
        assert [c.author_id for c in session.scalars(select(Contribution))] == ["U2"]
        digest = digests.load(session, forum.id, FRIDAY - timedelta(days=7), FRIDAY)
    assert all(item.author != "Person U1" for g in digest.groups for item in g.items)


def test_a_theme_edited_by_another_process_is_read_at_once(core: Core, database_url: str) -> None:
    """Cycles are cached per process; an edit through another engine must still show at once."""
    forum = make_forum(core)
    with core.db.transaction() as session:
        before = cycles.for_forum(session, forum)
        before.themes.clear()  # a caller changing its copy must not change what others read
    with core.db.transaction() as session:
        assert cycles.for_forum(session, forum).theme_for(12) is not None
    other = Database(make_engine(database_url))
    try:
        with other.transaction() as session:
            cycles.set_theme(session, forum, None, 12, actor="test")
    finally:
        other.dispose()
    with core.db.transaction() as session:
        assert cycles.for_forum(session, forum).theme_for(12) is None
        assert cycles.for_forum(session, forum).theme_for(11) is not None


def test_from_outside_a_forum_a_person_gets_their_own_of_several_forums(core: Core) -> None:
    first, second, third = (make_forum(core, channel) for channel in ("C1", "C2", "C3"))
    dialogue = core.dialogue
    newcomer = Actor(Platform.SLACK, "T1", "U9", "Ny Person")
    sharer = Actor(Platform.SLACK, "T1", "U1", "Person U1")
    subscriber = Actor(Platform.SLACK, "T1", "U2", "Person U2")
    assert dialogue.forum_for(newcomer, "D123") == first  # no history: the workspace's first
    share(core, second, "1700000000.000001", FRIDAY, author="U1")
    assert dialogue.forum_for(sharer, "D123") == second
    with core.db.transaction() as session:
        subscriptions.subscribe(session, third.id, "U2")
    assert dialogue.forum_for(subscriber, "D123") == third
    assert dialogue.forum_for(sharer, "C3") == third  # in a forum's channel, always that forum
    other = Actor(Platform.SLACK, "T2", "U1", "Person U1")
    assert dialogue.forum_for(other, "D123") is None  # another workspace has no forum here
