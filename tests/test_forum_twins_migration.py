"""Migration 0003 repairs databases that already hold twin forums of one channel.

Before it, a configured channel's forum was created again (workspace ``""``) at every restart
once the first had learnt its workspace. The database is built at revision 0002 with twins as
the bug made them, then upgraded: one forum is left, the older, owning the union of both.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError

from bot.domain import Platform
from bot.services import forums
from bot.storage.db import Database, alembic_config, make_engine, upgrade
from bot.storage.models import (
    AuditEntry,
    Contribution,
    Cycle,
    DigestRun,
    Forum,
    Notice,
    Organiser,
    Subscription,
    Theme,
    ThemePost,
)

KEEPER, TWIN, OTHER = 1, 2, 3
T0 = datetime(2026, 11, 2, 8, 0)


def _insert(connection: Connection, table: str, **values: Any) -> None:
    columns = ", ".join(f'"{column}"' for column in values)
    params = ", ".join(f":{column}" for column in values)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)  # noqa: S608


def _forum(connection: Connection, forum_id: int, workspace: str, channel: str, day: int) -> None:
    created = T0.replace(day=day)
    _insert(
        connection,
        "forums",
        id=forum_id,
        platform="slack",
        workspace_id=workspace,
        channel_id=channel,
        name="",
        language="sv",
        timezone="Europe/Stockholm",
        theme_time="09:00",
        digest_weekday=4,
        digest_time="14:00",
        reaction="bulb",
        empty_digest_note=False,
        reminder_after_days=10,
        active=True,
        created_at=created,
        updated_at=created,
    )


def _claim(**values: Any) -> dict[str, Any]:
    return {"status": "done", "claim_token": "t", "claimed_at": T0, "attempts": 1, **values}


def _run(parts: int) -> dict[str, Any]:
    return {"parts_posted": parts, "dms_sent": 0, "contribution_count": 0}


def _theme_post(connection: Connection, forum_id: int, period: str, message_id: str) -> None:
    _insert(
        connection,
        "theme_posts",
        **_claim(forum_id=forum_id, period=period, message_id=message_id, posted_at=T0),
    )


def _contribution(
    connection: Connection, forum_id: int, workspace: str, message_id: str, words: str
) -> None:
    _insert(
        connection,
        "contributions",
        forum_id=forum_id,
        platform="slack",
        workspace_id=workspace,
        period="2026-11",
        author_id="U1",
        author_name="Kim Lind",
        text=words,
        source="thread_reply",
        channel_id="C1",
        source_message_id=message_id,
        anonymous=False,
        created_at=T0,
        recorded_at=T0,
    )


def _organiser(connection: Connection, user: str, scope: int) -> None:
    _insert(
        connection,
        "organisers",
        platform="slack",
        workspace_id="T1",
        user_id=user,
        scope=str(scope),
        added_by="",
        added_at=T0,
    )


def _twins_as_the_bug_made_them(connection: Connection) -> None:
    """Forum 1 (adopted by T1) and its twin 2 ("" , created at a restart) on C1; 3 elsewhere."""
    _forum(connection, KEEPER, "T1", "C1", 2)
    _forum(connection, TWIN, "", "C1", 20)
    _forum(connection, OTHER, "T1", "C2", 3)
    _theme_post(connection, KEEPER, "2026-11", "m-keeper-nov")
    _theme_post(connection, TWIN, "2026-11", "m-twin-nov")  # the second post of one period
    _theme_post(connection, TWIN, "2026-12", "m-twin-dec")
    _contribution(connection, KEEPER, "T1", "s1", "the keeper's copy")
    _contribution(connection, TWIN, "", "s1", "the twin's copy")
    _contribution(connection, TWIN, "", "s2", "a reply under the twin's post")
    for forum_id, user in ((KEEPER, "U1"), (TWIN, "U1"), (TWIN, "U2"), (OTHER, "U9")):
        _insert(connection, "subscriptions", forum_id=forum_id, user_id=user, created_at=T0)
    for user, scope in (("UORG", KEEPER), ("UORG", TWIN), ("U3", TWIN)):
        _organiser(connection, user, scope)
    for forum_id, moment, parts in ((TWIN, T0, 1), (KEEPER, T0.replace(day=9), 0)):
        _insert(
            connection, "digest_runs", **_claim(forum_id=forum_id, moment=moment, **_run(parts))
        )
    for forum_id in (KEEPER, TWIN):
        _insert(connection, "notices", **_claim(forum_id=forum_id, kind="reminder", key="2026-11"))
    _insert(connection, "cycles", id=7, key=f"forum:{TWIN}", name="twin's own", updated_at=T0)
    _insert(
        connection,
        "themes",
        cycle_id=7,
        month=12,
        title_sv="Avslut",
        title_en="Closing",
        why_now_sv="",
        why_now_en="",
        questions="[]",
        links="[]",
    )
    _insert(
        connection,
        "audit_log",
        at=T0,
        actor="config:LEDARFORUM_CHANNELS",
        action="forum.create",
        forum_id=TWIN,
        target="slack::C1",
    )


def test_upgrade_merges_twin_forums_onto_the_older_one(unmigrated_url: str) -> None:
    engine = make_engine(unmigrated_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0002")
        with engine.begin() as connection:
            _twins_as_the_bug_made_them(connection)

        upgrade(engine)

        db = Database(engine)
        with db.transaction() as session:
            on_c1 = session.scalars(select(Forum).where(Forum.channel_id == "C1")).all()
            assert [(f.id, f.workspace_id, f.active) for f in on_c1] == [(KEEPER, "T1", True)]

            posts = session.execute(
                select(ThemePost.forum_id, ThemePost.period, ThemePost.message_id)
            ).all()
            assert sorted(posts) == [
                (KEEPER, "2026-11", "m-keeper-nov"),
                (KEEPER, "2026-12", "m-twin-dec"),
            ]
            kept = session.execute(
                select(
                    Contribution.forum_id,
                    Contribution.source_message_id,
                    Contribution.text,
                    Contribution.workspace_id,
                )
            ).all()
            assert sorted(kept) == [
                (KEEPER, "s1", "the keeper's copy", "T1"),
                (KEEPER, "s2", "a reply under the twin's post", "T1"),
            ]
            subscribers = session.execute(select(Subscription.forum_id, Subscription.user_id))
            assert sorted(subscribers) == [(KEEPER, "U1"), (KEEPER, "U2"), (OTHER, "U9")]
            organisers = session.execute(select(Organiser.user_id, Organiser.scope))
            assert sorted(organisers) == [("U3", str(KEEPER)), ("UORG", str(KEEPER))]
            runs = session.execute(select(DigestRun.forum_id, DigestRun.parts_posted)).all()
            assert sorted(runs) == [(KEEPER, 0), (KEEPER, 1)]
            notices = session.execute(select(Notice.forum_id, Notice.kind, Notice.key)).all()
            assert notices == [(KEEPER, "reminder", "2026-11")]

            # The twin's own cycle is now the merged forum's, under the key a forum follows.
            own = session.scalars(select(Cycle).where(Cycle.key.like("forum:%"))).one()
            assert own.key == f"forum:{KEEPER}"
            assert session.get(Forum, KEEPER).cycle_id == own.id  # type: ignore[union-attr]
            assert session.scalars(select(Theme.title_en)).all() == ["Closing"]

            audit = session.execute(select(AuditEntry.forum_id, AuditEntry.action)).all()
            assert (TWIN, "forum.create") not in audit
            assert (KEEPER, "forum.create") in audit and (KEEPER, "forum.merge") in audit

        # The rule now holds in the database: the configured channel finds its one forum ...
        with db.transaction() as session:
            forum, created = forums.ensure_forum(
                session, Platform.SLACK, "", "C1", language="sv", timezone="Europe/Stockholm"
            )
        assert (forum.id, forum.workspace_id, created) == (KEEPER, "T1", False)
        # ... and no second one can be stored, whatever its workspace.
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.add(Forum(platform="slack", workspace_id="T9", channel_id="C1"))
    finally:
        engine.dispose()


def test_upgrade_keeps_every_row_of_a_database_without_twins(unmigrated_url: str) -> None:
    """Rebuilding the forums table must not cascade-delete what refers to it (SQLite)."""
    engine = make_engine(unmigrated_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0002")
        with engine.begin() as connection:
            _forum(connection, KEEPER, "T1", "C1", 2)
            _theme_post(connection, KEEPER, "2026-11", "m1")
            _contribution(connection, KEEPER, "T1", "s1", "kept")
            _insert(connection, "subscriptions", forum_id=KEEPER, user_id="U1", created_at=T0)

        upgrade(engine)

        with Database(engine).transaction() as session:
            assert session.scalars(select(ThemePost.message_id)).all() == ["m1"]
            assert session.scalars(select(Contribution.text)).all() == ["kept"]
            assert session.scalars(select(Subscription.user_id)).all() == ["U1"]
    finally:
        engine.dispose()
