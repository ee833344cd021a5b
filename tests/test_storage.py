"""Storage on SQLite and PostgreSQL: migrations, uniqueness enforced by the database, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.core import Core
from bot.domain import Platform, Source
from bot.services import contributions, forums
from bot.services.contributions import NewContribution
from bot.storage.db import Database
from bot.storage.models import Base, Contribution, DigestRun, InboundEvent, ThemePost


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_name": _not_search}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def _not_search(name: str | None, kind: str, _parents: object) -> bool:
    # The full-text index lives outside the models: SQLite's FTS5 tables, PostgreSQL's GIN index.
    return not (name or "").startswith(("contributions_fts", "ix_contributions_search"))


RECORDED = datetime(2026, 11, 23, 9, 31, tzinfo=UTC)  # when the tests store an example


def _forum(core: Core) -> forums.ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _reply(
    message_id: str = "1732351200.000100", text: str = "Vi testade gåmöten"
) -> NewContribution:
    return NewContribution(
        author_id="U1",
        author_name="Kim Lind",
        text=text,
        source=Source.THREAD_REPLY,
        channel_id="C1",
        source_message_id=message_id,
        created_at=datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    )


def test_recording_the_same_source_message_twice_stores_one(core: Core) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        first = contributions.record(session, forum, _reply(), now=RECORDED)
    with core.db.transaction() as session:  # a retried delivery
        second = contributions.record(session, forum, _reply(), now=RECORDED)
    assert first.created and not second.created
    assert first.id == second.id
    with core.db.transaction() as session:
        assert session.scalar(select(func.count(Contribution.id))) == 1


def test_database_refuses_a_second_contribution_for_one_message(core: Core) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        contributions.record(session, forum, _reply(), now=RECORDED)
    row = {
        "forum_id": forum.id,
        "platform": "slack",
        "workspace_id": "T1",
        "period": "2026-11",
        "author_id": "U2",
        "author_name": "x",
        "text": "y",
        "source": "form",
        "channel_id": "C1",
        "source_message_id": "1732351200.000100",
        "created_at": datetime.now(UTC),
    }
    with pytest.raises(IntegrityError), core.db.transaction() as session:
        session.add(Contribution(**row))


@pytest.mark.parametrize(
    ("model", "keys"),
    [
        (ThemePost, {"period": "2026-11"}),
        (DigestRun, {"moment": datetime(2026, 11, 27, 13, tzinfo=UTC)}),
    ],
)
def test_one_post_per_forum_and_period_is_enforced(core: Core, model: type, keys: dict) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        session.add(model(forum_id=forum.id, claim_token="a", **keys))
    with pytest.raises(IntegrityError), core.db.transaction() as session:
        session.add(model(forum_id=forum.id, claim_token="b", **keys))


def test_inbound_event_id_is_unique_per_workspace(core: Core) -> None:
    with core.db.transaction() as session:
        session.add(
            InboundEvent(platform="slack", workspace_id="T1", event_id="Ev1", kind="x", payload={})
        )
        session.add(
            InboundEvent(platform="slack", workspace_id="T2", event_id="Ev1", kind="x", payload={})
        )
    with pytest.raises(IntegrityError), core.db.transaction() as session:
        session.add(
            InboundEvent(platform="slack", workspace_id="T1", event_id="Ev1", kind="x", payload={})
        )


def test_times_come_back_aware_in_utc(core: Core) -> None:
    forum = _forum(core)
    stockholm_time = datetime(2026, 11, 23, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    with core.db.transaction() as session:
        contributions.record(
            session,
            forum,
            NewContribution("U1", "Kim", "text", Source.FORM, "C1", "m1", stockholm_time),
            now=RECORDED,
        )
    with core.db.transaction() as session:
        stored = session.scalars(select(Contribution)).one()
    assert stored.created_at.tzinfo is not None
    assert stored.created_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_naive_datetimes_are_refused(core: Core) -> None:
    forum = _forum(core)
    naive = NewContribution("U1", "Kim", "t", Source.FORM, "C1", "m2", datetime(2026, 11, 23))
    with pytest.raises(Exception, match="naive"), core.db.transaction() as session:
        contributions.record(session, forum, naive, now=RECORDED)


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    database = Database.connect(database_url)
    database.dispose()
    assert Database.connect(database_url).is_ready()
