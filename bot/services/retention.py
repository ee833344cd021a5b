"""Retention: good examples older than a forum's limit, and inbound payloads, go away.

Run daily by the scheduler. Inbound payloads hold message text and user ids, so they are kept only
as long as redeliveries and crash recovery need them, whatever became of them: a row still pending
or failed after :data:`INBOX_KEEP` will not be retried any more, and its text must not stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.domain import ForumInfo
from bot.services import audit
from bot.storage.models import Contribution, DigestDelivery, InboundEvent

INBOX_KEEP = timedelta(days=7)
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


def purge_inbox(session: Session, now: datetime, keep: timedelta = INBOX_KEEP) -> int:
    """Delete inbound events received more than *keep* ago, of any status; how many went."""
    result = session.execute(delete(InboundEvent).where(InboundEvent.received_at < now - keep))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_deliveries(session: Session, now: datetime, keep: timedelta = DELIVERY_KEEP) -> int:
    """Delete the records of digest DMs for moments more than *keep* ago; how many went."""
    result = session.execute(delete(DigestDelivery).where(DigestDelivery.moment < now - keep))
    return int(getattr(result, "rowcount", 0) or 0)
