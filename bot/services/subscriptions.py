"""Subscriptions: who gets a forum's weekly digest by direct message."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.services.sql import insert_ignore
from bot.storage.models import Subscription


def subscribe(session: Session, forum_id: int, user_id: str) -> bool:
    """Subscribe; True when the person was not subscribed before."""
    return insert_ignore(
        session, Subscription, {"forum_id": forum_id, "user_id": user_id}, ["forum_id", "user_id"]
    )


def unsubscribe(session: Session, forum_id: int, user_id: str) -> bool:
    """Unsubscribe; True when the person was subscribed."""
    result = session.execute(
        delete(Subscription).where(
            Subscription.forum_id == forum_id, Subscription.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def is_subscribed(session: Session, forum_id: int, user_id: str) -> bool:
    """True when the person gets this forum's digest by DM."""
    return (
        session.scalar(
            select(Subscription.id).where(
                Subscription.forum_id == forum_id, Subscription.user_id == user_id
            )
        )
        is not None
    )


def subscribers(session: Session, forum_id: int) -> list[str]:
    """Everyone subscribed to a forum, in a stable order (so an interrupted send can resume)."""
    return list(
        session.scalars(
            select(Subscription.user_id)
            .where(Subscription.forum_id == forum_id)
            .order_by(Subscription.user_id)
        )
    )
