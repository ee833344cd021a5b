"""Participation at group level: counts per theme period, never who wrote what."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from bot.services import subscriptions
from bot.storage.models import Contribution


@dataclass(frozen=True)
class PeriodStats:
    """One theme period's participation."""

    period: str
    contributions: int
    contributors: int


@dataclass(frozen=True)
class ForumStats:
    """A forum's participation overview."""

    periods: tuple[PeriodStats, ...]
    subscribers: int
    ended: int = 0  # subscriptions ended because the digest could not reach the person

    @property
    def total(self) -> int:
        """All contributions."""
        return sum(p.contributions for p in self.periods)


def forum_stats(session: Session, forum_id: int, last: int = 12) -> ForumStats:
    """Counts for the latest *last* periods with contributions."""
    rows = session.execute(
        select(
            Contribution.period,
            func.count(Contribution.id),
            func.count(distinct(Contribution.author_id)),
        )
        .where(Contribution.forum_id == forum_id)
        .group_by(Contribution.period)
        .order_by(Contribution.period.desc())
        .limit(last)
    )
    subscribers, ended = subscriptions.counts(session, forum_id)
    return ForumStats(
        tuple(PeriodStats(period, int(count), int(people)) for period, count, people in rows),
        subscribers,
        ended,
    )
