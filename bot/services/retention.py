"""Retention: good examples older than a forum's limit, and processed inbound payloads, go away.

Run daily by the scheduler. Inbound payloads hold message text, so they are kept only as long as
redeliveries and crash recovery need them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.domain import ForumInfo
from bot.services import audit
from bot.storage.models import Contribution, InboundEvent

INBOX_KEEP = timedelta(days=7)


def cutoff(now: datetime, years: int) -> datetime:
    """The moment *years* calendar years before *now* (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def purge_forum(session: Session, forum: ForumInfo, now: datetime) -> int:
    """Delete a forum's good examples older than its retention setting; how many went."""
    if not forum.retention_years:
        return 0
    result = session.execute(
        delete(Contribution).where(
            Contribution.forum_id == forum.id,
            Contribution.created_at < cutoff(now, forum.retention_years),
        )
    )
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        audit.record(
            session,
            actor="retention",
            action="contributions.expire",
            target=str(forum.id),
            after={"removed": removed, "years": forum.retention_years},
            forum_id=forum.id,
        )
    return removed


def purge_inbox(session: Session, now: datetime, keep: timedelta = INBOX_KEEP) -> int:
    """Delete processed inbound events older than *keep*; how many went."""
    result = session.execute(
        delete(InboundEvent).where(
            InboundEvent.status == "done", InboundEvent.received_at < now - keep
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
