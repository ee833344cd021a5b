"""Subscriptions: who gets a forum's weekly digest by direct message.

A subscription whose digests cannot reach the person (the platform says so for good) for
:data:`MAX_FAILURES` digest moments in a row is ended, not deleted: the digest stops going there
and organisers see it in the stats. Subscribing again reopens it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.services.sql import insert_ignore
from bot.storage.models import Subscription

# Digest moments in a row that could not reach a person before their subscription is ended.
MAX_FAILURES = 3


def subscribe(session: Session, forum_id: int, user_id: str) -> bool:
    """Subscribe (or reopen an ended subscription); True when the person was not subscribed."""
    if insert_ignore(
        session, Subscription, {"forum_id": forum_id, "user_id": user_id}, ["forum_id", "user_id"]
    ):
        return True
    reopened = session.execute(
        update(Subscription)
        .where(
            Subscription.forum_id == forum_id,
            Subscription.user_id == user_id,
            Subscription.ended_at.is_not(None),
        )
        .values(ended_at=None, end_reason=None, failures=0)
    )
    return bool(getattr(reopened, "rowcount", 0))


def unsubscribe(session: Session, forum_id: int, user_id: str) -> bool:
    """Unsubscribe; True when the person was subscribed (an ended subscription goes too)."""
    was = is_subscribed(session, forum_id, user_id)
    session.execute(
        delete(Subscription).where(
            Subscription.forum_id == forum_id, Subscription.user_id == user_id
        )
    )
    return was


def is_subscribed(session: Session, forum_id: int, user_id: str) -> bool:
    """True when the person gets this forum's digest by DM."""
    return (
        session.scalar(
            select(Subscription.id).where(
                Subscription.forum_id == forum_id,
                Subscription.user_id == user_id,
                Subscription.ended_at.is_(None),
            )
        )
        is not None
    )


def subscribers(session: Session, forum_id: int) -> list[str]:
    """Everyone subscribed to a forum, in a stable order (so an interrupted send can resume)."""
    return list(
        session.scalars(
            select(Subscription.user_id)
            .where(Subscription.forum_id == forum_id, Subscription.ended_at.is_(None))
            .order_by(Subscription.user_id)
        )
    )


def counts(session: Session, forum_id: int) -> tuple[int, int]:
    """How many subscriptions of a forum are active, and how many were ended by failures."""
    total, ended = session.execute(
        select(func.count(Subscription.id), func.count(Subscription.ended_at)).where(
            Subscription.forum_id == forum_id
        )
    ).one()
    return int(total) - int(ended), int(ended)


def delivered(session: Session, forum_id: int, user_id: str) -> None:
    """A digest reached the person: their count of failures in a row starts again."""
    session.execute(
        update(Subscription)
        .where(
            Subscription.forum_id == forum_id,
            Subscription.user_id == user_id,
            Subscription.failures != 0,
        )
        .values(failures=0)
    )


def unreachable(session: Session, forum_id: int, user_id: str, reason: str, now: datetime) -> bool:
    """A digest could not reach the person, for good; True when that ended the subscription.

    Called once per digest moment (the delivery claim sees to that), so ``failures`` counts
    moments in a row.
    """
    session.execute(
        update(Subscription)
        .where(
            Subscription.forum_id == forum_id,
            Subscription.user_id == user_id,
            Subscription.ended_at.is_(None),
        )
        .values(failures=Subscription.failures + 1)
    )
    ended = session.execute(
        update(Subscription)
        .where(
            Subscription.forum_id == forum_id,
            Subscription.user_id == user_id,
            Subscription.ended_at.is_(None),
            Subscription.failures >= MAX_FAILURES,
        )
        .values(ended_at=now, end_reason=reason[:64])
    )
    return bool(getattr(ended, "rowcount", 0))
