"""Digest windows select by the moment an example was stored, on SQLite and PostgreSQL.

Consecutive digests partition everything stored: an example processed after the digest of its
message's week went out, or an old message saved today, is in the next digest, and in no other.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform, Source
from bot.i18n import long_date
from bot.messages import Entry
from bot.services import forums
from bot.storage.models import Contribution
from tests.support import FakeClock, RecordingPoster

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock fixture's start
FRIDAY = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # the digest moment, 14:00 in Stockholm
WEEK = timedelta(days=7)
SAVER = Actor(Platform.SLACK, "T1", "U1", "Kim Lind")


def _forum(core: Core) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _share(
    core: Core, forum: ForumInfo, text: str, written: datetime, author_id: str | None = None
) -> None:
    """What an adapter does with a message written at *written*, at the clock's moment.

    With *author_id*, the message is Alex's, saved by Kim with the reaction.
    """
    reply = core.dialogue.share(
        SAVER,
        forum,
        text,
        Source.REACTION if author_id else Source.THREAD_REPLY,
        message_id=text,
        created_at=written,
        author_id=author_id,
        author_name="Alex Berg" if author_id else None,
    )
    assert reply.private[0].kind == "confirmation", reply


def _entries(poster: RecordingPoster) -> list[list[Entry]]:
    """The entries of each digest posted, in order."""
    return [
        [element for element in sent.message.elements if isinstance(element, Entry)]
        for sent in poster.posts
        if sent.message.kind == "digest"
    ]


def test_digests_partition_what_was_stored_late_and_old_included(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = _forum(core)
    _share(core, forum, "måndag", MONDAY)
    clock.set(FRIDAY)
    _share(core, forum, "precis i tid", FRIDAY)  # stored at the moment itself: this digest
    assert core.publisher.post_digest(forum, FRIDAY).status == "posted"

    # The inbox worker processes a reply written a minute before the moment only now: it was
    # acknowledged in time, but the digest of its week is already out.
    clock.set(FRIDAY + timedelta(minutes=5))
    _share(core, forum, "sent behandlad", FRIDAY - timedelta(minutes=1))
    # Someone saves a colleague's message of two weeks ago.
    clock.set(FRIDAY + timedelta(days=1))
    old = FRIDAY - 2 * WEEK
    _share(core, forum, "gammalt meddelande", old, author_id="U2")
    preview = core.dialogue.preview_digest(forum, clock(), "sv")
    shown = [e.text for e in preview.elements if isinstance(e, Entry)]
    assert sorted(shown) == ["gammalt meddelande", "sent behandlad"]

    clock.set(FRIDAY + WEEK - timedelta(hours=1))
    _share(core, forum, "vanlig vecka", clock())
    for week in (1, 2):
        clock.set(FRIDAY + week * WEEK)
        core.publisher.post_digest(forum, clock())

    digests = _entries(poster)
    assert [sorted(entry.text for entry in entries) for entries in digests] == [
        ["måndag", "precis i tid"],
        ["gammalt meddelande", "sent behandlad", "vanlig vecka"],
    ]  # the third week's digest is empty: nothing posted
    with core.db.transaction() as session:
        stored = list(session.scalars(select(Contribution.text)))
    seen = Counter(entry.text for entries in digests for entry in entries)
    assert seen == Counter(stored)  # none lost, none twice
    saved = next(entry for entry in digests[1] if entry.text == "gammalt meddelande")
    assert saved.author == "Alex Berg"
    assert saved.when == long_date("sv", old.astimezone(ZoneInfo("Europe/Stockholm")))


def test_stored_at_is_the_clock_and_the_saver_is_recorded(core: Core, clock: FakeClock) -> None:
    forum = _forum(core)
    written = MONDAY - 3 * WEEK
    _share(core, forum, "sparat av Kim", written, author_id="U2")
    with core.db.transaction() as session:
        row = session.scalars(select(Contribution)).one()
    assert (row.created_at, row.recorded_at) == (written, MONDAY)
    assert (row.author_id, row.saved_by_id, row.saved_by_name) == ("U2", "U1", "Kim Lind")


def test_a_skipped_digest_moment_rolls_its_examples_into_the_next_digest(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    """The bot was down past the catch-up limit at one moment: nothing stored is lost."""
    forum = _forum(core)
    clock.set(FRIDAY)
    assert core.publisher.post_digest(forum, FRIDAY).status == "empty"
    clock.set(FRIDAY + timedelta(days=2))
    _share(core, forum, "under driftstoppet", clock())
    # The next moment passes while the bot is down; it starts three days late and skips it.
    clock.set(FRIDAY + WEEK + timedelta(days=3))
    late = core.publisher.post_digest(forum, clock(), max_late=timedelta(days=2))
    assert late.status == "too_late"
    preview = core.dialogue.preview_digest(forum, clock(), "sv")
    assert [e.text for e in preview.elements if isinstance(e, Entry)] == ["under driftstoppet"]
    clock.set(FRIDAY + 2 * WEEK)
    _share(core, forum, "efteråt", clock() - timedelta(hours=1))
    assert core.publisher.post_digest(forum, clock()).status == "posted"
    assert [sorted(e.text for e in entries) for entries in _entries(poster)] == [
        ["efteråt", "under driftstoppet"]
    ]
