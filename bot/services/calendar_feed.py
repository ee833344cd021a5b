"""A forum's calendar feed: an unguessable, revocable URL token and the cycle as iCalendar.

One live token per forum: made on the first ask, replaced (the old one revoked at once) when an
organiser renews it, both audit-logged. The token is the only key to the public feed and to the
public wheel picture for chat cards, so it carries 256 bits from :mod:`secrets`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import CycleDocument, ForumInfo, Language
from bot.services import audit, cycles, forums, meetings
from bot.services.export import cycle_calendar
from bot.storage.models import CalendarFeed
from bot.timing import utcnow

TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters; anything else cannot be a token and skips the query.
TOKEN_LENGTH = len(secrets.token_urlsafe(TOKEN_BYTES))


def _live(session: Session, forum_id: int) -> CalendarFeed | None:
    return session.scalars(
        select(CalendarFeed)
        .where(CalendarFeed.forum_id == forum_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    ).first()


def _create(session: Session, forum_id: int, actor: str) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(CalendarFeed(forum_id=forum_id, token=token, created_by=actor))
    session.flush()
    return token


def feed_token(session: Session, forum_id: int, *, actor: str) -> str:
    """The forum's live feed token, made (and audit-logged) on the first ask."""
    live = _live(session, forum_id)
    if live is not None:
        return live.token
    token = _create(session, forum_id, actor)
    audit.record(
        session,
        actor=actor,
        action="calendar_feed.create",
        target=f"forum:{forum_id}",
        forum_id=forum_id,
    )
    return token


def renew(session: Session, forum_id: int, *, actor: str) -> str:
    """A new token for the forum; the old one stops working at once (audit-logged)."""
    now = utcnow()
    revoked = 0
    for feed in session.scalars(
        select(CalendarFeed).where(
            CalendarFeed.forum_id == forum_id, CalendarFeed.revoked_at.is_(None)
        )
    ):
        feed.revoked_at = now
        revoked += 1
    token = _create(session, forum_id, actor)
    # The log names no token: it is a credential, and the entry is readable by organisers.
    audit.record(
        session,
        actor=actor,
        action="calendar_feed.renew",
        target=f"forum:{forum_id}",
        before={"live_tokens": revoked},
        after={"live_tokens": 1},
        forum_id=forum_id,
    )
    return token


def forum_for_token(session: Session, token: str) -> ForumInfo | None:
    """The forum of a live token; None for an unknown or revoked one, or a gone forum."""
    if len(token) != TOKEN_LENGTH:
        return None
    feed = session.scalars(
        select(CalendarFeed).where(CalendarFeed.token == token, CalendarFeed.revoked_at.is_(None))
    ).first()
    if feed is None:
        return None
    forum = forums.get(session, feed.forum_id)
    return forum


def feed_ics(
    session: Session,
    forum: ForumInfo,
    *,
    digests: bool,
    now: datetime,
    lang: Language | None = None,
) -> bytes:
    """The forum's cycle for this month and the eleven after it, as iCalendar bytes."""
    doc = cycles.for_forum(session, forum)

    def doc_for_year(year: int) -> CycleDocument:
        return cycles.for_forum(session, forum, year)

    # The hour, not the second: the same feed within an hour is the same bytes (and ETag).
    stamp = now.replace(minute=0, second=0, microsecond=0)
    # The meetings of the feed's months, and those of the last month (still in people's view).
    booked = meetings.upcoming(
        session, forum.id, after=now - timedelta(days=31), until=now + timedelta(days=366)
    )
    text = cycle_calendar(
        doc,
        forum,
        stamp,
        lang or forum.language,
        digests=digests,
        doc_for_year=doc_for_year,
        meetings=booked,
    )
    return text.encode("utf-8")
