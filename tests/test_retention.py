"""Retention removes what is older than the forum's limit and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.core import Core
from bot.services import forums, retention
from bot.services.inbox import payloads
from bot.storage.models import Contribution, DigestDelivery, InboundEvent
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


def test_inbound_payloads_of_any_status_are_not_kept_past_the_window(core: Core) -> None:
    """A pending, processing or failed row older than the window is not retried: its text goes."""
    rows = [
        ("a", "done", 8),
        ("b", "done", 1),
        ("c", "pending", 30),
        ("d", "failed", 8),
        ("e", "processing", 9),
        ("f", "failed", 2),
    ]
    with core.db.transaction() as session:
        for event_id, status, age in rows:
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
        assert payloads.purge(session, NOW) == 4
        left = sorted(session.scalars(select(InboundEvent.event_id)))
    assert left == ["b", "f"]


def test_digest_dm_records_go_after_their_window(core: Core) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        for user, days in (("U1", 91), ("U2", 89)):
            session.add(
                DigestDelivery(
                    forum_id=forum.id,
                    moment=NOW - timedelta(days=days),
                    user_id=user,
                    status="done",
                    claim_token="t",
                )
            )
    with core.db.transaction() as session:
        assert retention.purge_deliveries(session, NOW) == 1
        assert list(session.scalars(select(DigestDelivery.user_id))) == ["U2"]


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
