"""Retention removes what is older than the forum's limit and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.core import Core
from bot.services import forums, retention
from bot.storage.models import Contribution, InboundEvent
from tests.test_services import make_forum, share

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_contributions_older_than_the_limit_are_deleted(core: Core) -> None:
    forum = make_forum(core)
    share(core, forum, "old", NOW - timedelta(days=3 * 366))
    share(core, forum, "new", NOW - timedelta(days=30))
    with core.db.transaction() as session:
        assert retention.purge_forum(session, forum, NOW) == 0  # no limit set: keep all
        forum = forums.update(session, forum.id, actor="test", retention_years=2)
        assert retention.purge_forum(session, forum, NOW) == 1
    with core.db.transaction() as session:
        kept = list(session.scalars(select(Contribution.source_message_id)))
    assert kept == ["new"]


def test_processed_inbound_payloads_are_not_kept(core: Core) -> None:
    with core.db.transaction() as session:
        for event_id, status, age in [("a", "done", 8), ("b", "done", 1), ("c", "pending", 30)]:
            session.add(
                InboundEvent(
                    platform="slack",
                    workspace_id="T1",
                    event_id=event_id,
                    kind="message",
                    payload={"text": "x"},
                    status=status,
                    received_at=NOW - timedelta(days=age),
                )
            )
    with core.db.transaction() as session:
        assert retention.purge_inbox(session, NOW) == 1
        left = sorted(session.scalars(select(InboundEvent.event_id)))
    assert left == ["b", "c"]


def test_cutoff_on_a_leap_day() -> None:
    assert retention.cutoff(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(
        2027, 2, 28, tzinfo=UTC
    )


def test_the_scheduler_applies_retention(core: Core) -> None:
    from schedules.scheduler import SchedulerService

    forum = make_forum(core)
    share(core, forum, "old", NOW - timedelta(days=3 * 366))
    with core.db.transaction() as session:
        forums.update(session, forum.id, actor="test", retention_years=1)
    assert SchedulerService(core, clock=lambda: NOW).housekeeping() == 1
