"""Retention: good examples older than a forum's limit, and old digest DM records, go away.

Run daily by the scheduler, beside the inbox's own (:func:`bot.services.inbox.payloads.purge`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.domain import ForumInfo
from bot.services import audit
from bot.storage.models import Contribution, DigestDelivery

# A delivery record only stops a re-run of the same digest moment from sending twice; a moment
# that old is never run again (the scheduler catches up two days at most).
DELIVERY_KEEP = timedelta(days=90)


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


def purge_deliveries(session: Session, now: datetime, keep: timedelta = DELIVERY_KEEP) -> int:
    """Delete the records of digest DMs for moments more than *keep* ago; how many went."""
    result = session.execute(delete(DigestDelivery).where(DigestDelivery.moment < now - keep))
    return int(getattr(result, "rowcount", 0) or 0)
