"""Thread replies stored as a batch (bot.reply_batch): the single path's rows and replies, in one
transaction with one multi-row insert, exactly once; on SQLite and PostgreSQL.

Each test runs the same events through the single path (InboundHandler.handle, one by one) on a
twin database and through the batch on the test's database, and compares row by row.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.config import Settings
from bot.core import Core, open_core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Language, Platform
from bot.inbound import MessageRef, Place, ThreadReplied
from bot.inbound_handler import InboundHandler
from bot.messages import Button, Reply
from bot.reply_batch import store_replies
from bot.services import forums, preferences
from bot.services.contributions import MAX_TEXT_CHARS
from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution, ThemePost
from tests.support import FakeClock, RecordingPoster, scratch_postgres

WRITTEN = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
KIM = Actor(Platform.SLACK, "T1", "U1", "Kim", "sv-SE")
ALEX = Actor(Platform.SLACK, "T1", "U2", "Alex\x00 Berg", "en-US")
SAM = Actor(Platform.SLACK, "T1", "U3", "Sam", "sv-SE")  # chose English (språk)
RO = Actor(Platform.SLACK, "T2", "U1", "Ro", None)  # same id, another workspace
LANGUAGES: tuple[tuple[str, str, Language], ...] = (
    ("T1", "C1", "sv"),
    ("T1", "C2", "en"),
    ("T2", "C3", "sv"),
)


@pytest.fixture
def twin(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, clock: FakeClock
) -> Iterator[Core]:
    """A second core on a database of the same kind, for the single path."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "twin.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield _core(f"sqlite:///{path}", clock)
        return
    with scratch_postgres(database_url, "ledarforum_twin") as url:
        core = _core(url, clock)
        yield core
        core.db.dispose()


def _core(url: str, clock: FakeClock) -> Core:
    settings = Settings(database_url=url, organisers=("UORG",))
    core = open_core(settings, clock=clock, database=Database(make_engine(url)))
    core.posters[Platform.SLACK] = RecordingPoster()
    return core


def _setup(core: Core) -> dict[str, str]:
    """Three forums in two workspaces, each with the month's theme posted; Sam chose English.
    Returns each forum channel's theme thread."""
    threads = {}
    with core.db.transaction() as session:
        made = [
            forums.ensure_forum(
                session, Platform.SLACK, team, channel, language=lang, timezone="Europe/Stockholm"
            )[0]
            for team, channel, lang in LANGUAGES
        ]
        preferences.set_language(session, "slack", "T1", "U3", "en")
    for forum in made:
        assert core.publisher.post_theme(forum, core.dialogue.clock()).status == "posted"
        with core.db.transaction() as session:
            thread = session.scalar(
                select(ThemePost.message_id).where(ThemePost.forum_id == forum.id)
            )
        assert thread
        threads[forum.channel_id] = thread
    return threads


def _reply(
    actor: Actor, channel: str, thread: str, ts: str, text: str, **extra: Any
) -> ThreadReplied:
    place = Place(Platform.SLACK, actor.workspace_id, channel, thread)
    message = MessageRef(ts, thread, WRITTEN, f"https://chat.test/{channel}/{ts}")
    return ThreadReplied(actor, place, message, text, **extra)


def _events(threads: dict[str, str]) -> list[ThreadReplied]:
    c1, c2, c3 = threads["C1"], threads["C2"], threads["C3"]
    return [
        _reply(KIM, "C1", c1, "1.1", "Vi har gåmöten varje fredag"),
        _reply(ALEX, "C1", c1, "1.2", "We rotate who chairs the meeting"),
        _reply(SAM, "C1", c1, "1.3", "Korta  stand-ups\x07 med <@U9>\u2028varje dag "),
        _reply(KIM, "C2", c2, "2.1", "Feedback på fredagar"),
        _reply(ALEX, "C2", c2, "2.2", "Pair programming"),
        _reply(RO, "C3", c3, "3.1", "Gemensam lunch"),
        _reply(KIM, "C1", c1, "1.1", "Vi har gåmöten varje fredag"),  # twice in the batch
        _reply(KIM, "C1", c1, "1.4", "x" * (MAX_TEXT_CHARS + 1)),  # too long: an error
        _reply(KIM, "C1", c1, "1.5", " \x00 "),  # a sticker: nothing
        _reply(KIM, "C1", "9.9", "1.6", "Not under a theme"),
        _reply(KIM, "C9", c1, "1.7", "Not in a forum"),
        _reply(KIM, "C1", c1, "1.8", "hjälp", addressed=True),  # a command: the single path
        _reply(SAM, "C2", c2, "2.3", "Vi skriver veckobrev"),
    ]


def _rows(core: Core) -> list[dict[str, Any]]:
    """Every stored contribution's columns but its id, by source message."""
    with core.db.transaction() as session:
        rows = session.scalars(select(Contribution).order_by(Contribution.source_message_id))
        columns = [c.name for c in Contribution.__table__.columns if c.name != "id"]
        return [{name: getattr(row, name) for name in columns} for row in rows]


def _ids(core: Core) -> dict[str, str]:
    with core.db.transaction() as session:
        found = session.execute(select(Contribution.id, Contribution.source_message_id))
        return {str(row_id): message for row_id, message in found}


def _said(reply: Reply, ids: dict[str, str]) -> list[tuple[str, str, list[str]]]:
    """What a reply says: each message's kind, text and button values (a contribution id as
    its source message, since the two databases number rows independently)."""
    said = []
    for message in [*reply.private, *reply.public]:
        values = [
            ids.get(button.value, button.value)
            for element in message.elements
            for button in getattr(element, "buttons", ())
            if isinstance(button, Button)
        ]
        said.append((message.kind, message.fallback, values))
    return said


def _forum_channel(forum: ForumInfo | None) -> str | None:
    return forum.channel_id if forum else None


def test_a_batch_stores_what_the_single_path_stores_and_answers_the_same(
    core: Core, twin: Core
) -> None:
    threads, twin_threads = _setup(core), _setup(twin)
    assert threads == twin_threads  # the same posts: the events are the same on both
    events = _events(threads)

    single = [InboundHandler(twin.dialogue).handle(e) for e in events]
    batch = store_replies(InboundHandler(core.dialogue), events)

    assert len(_rows(core)) == 7  # 1.1 once, 1.2, 1.3, 2.1, 2.2, 2.3, 3.1
    assert _rows(core) == _rows(twin)
    ids, twin_ids = _ids(core), _ids(twin)
    assert [_said(r, ids) for r in batch] == [_said(r, twin_ids) for r in single]
    assert [_forum_channel(r.forum) for r in batch] == [_forum_channel(r.forum) for r in single]
    kinds = [[m.kind for m in r.private] for r in batch]
    assert kinds[:6] == [["confirmation"]] * 6 and kinds[6] == ["info"]  # the twin: stored
    assert kinds[7] == ["error"] and kinds[8:11] == [[], [], []] and kinds[11] == ["help"]
    # Each person's language: Kim's locale, Alex's locale, Sam's own choice over the locale.
    texts = [r.private[0].fallback for r in batch[:3]]
    assert texts[0].startswith("Tack") and texts[1].startswith("Thank")
    assert texts[2].startswith("Thank")


def test_a_redelivered_batch_stores_nothing_more(core: Core) -> None:
    events = _events(_setup(core))
    handler = InboundHandler(core.dialogue)
    store_replies(handler, events)
    stored = _rows(core)

    again = store_replies(handler, events)

    assert _rows(core) == stored
    assert [[m.kind for m in r.private] for r in again[:7]] == [["info"]] * 7  # stored already


def test_a_batch_is_one_transaction_with_one_multi_row_insert(core: Core) -> None:
    events = [e for e in _events(_setup(core)) if not e.addressed]
    statements: list[str] = []
    commits: list[int] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split())[:40].upper())

    engine = core.db.engine
    event.listen(engine, "before_cursor_execute", seen)
    event.listen(engine, "commit", lambda conn: commits.append(1))
    try:
        store_replies(InboundHandler(core.dialogue), events)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    inserts = [s for s in statements if s.startswith("INSERT INTO CONTRIBUTIONS")]
    assert len(inserts) == 1 and len(commits) == 1
    assert len(_rows(core)) == 7
