"""The weekly digest: the good practices stored in a window, grouped by theme.

A window selects by the moment an example was stored (``recorded_at``), not by its message's
date: consecutive windows then partition everything stored, so an example processed late or an
old message saved today is in exactly one digest, the first after it was stored. Entries still
show their message's own date.

:func:`build` is a pure function over rows read by :func:`load_rows` in one indexed query, so its
cost follows the week, not the whole history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import Bilingual
from bot.services import trends
from bot.services.trends import KIND as TREND
from bot.services.trends import TrendInfo
from bot.storage.models import Contribution, DigestRun
from bot.timing import Moments, Period, shift_digest_moment

EXCERPT_CHARS = 300


@dataclass(frozen=True)
class DigestRow:
    """The columns a digest needs of one contribution."""

    id: int
    period: str
    theme_title_sv: str | None
    theme_title_en: str | None
    author_name: str
    anonymous: bool
    text: str
    permalink: str | None
    created_at: datetime


@dataclass(frozen=True)
class DigestItem:
    """One good practice in a digest."""

    author: str | None  # None: shared anonymously
    excerpt: str
    link: str | None
    created_at: datetime


@dataclass(frozen=True)
class DigestGroup:
    """The good practices of one theme period."""

    period: Period
    title: Bilingual | None
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Digest:
    """A digest: contributions stored after ``start`` up to ``end``, newest theme first."""

    forum_id: int
    start: datetime
    end: datetime
    groups: tuple[DigestGroup, ...]
    trends: tuple[TrendInfo, ...] = ()  # links shared from environmental scanning, their section

    @property
    def total(self) -> int:
        """How many good practices in all."""
        return sum(len(group.items) for group in self.groups)

    @property
    def is_empty(self) -> bool:
        """True when nothing was stored in the window (a valid, distinct result)."""
        return not self.groups and not self.trends


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A readable excerpt: whitespace collapsed, cut at a word boundary with an ellipsis."""
    # Same as re.sub(r"\s+", " ", text).strip(): str.split() breaks on exactly what \s matches
    # (a test checks it), and it is several times faster in a digest of thousands.
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


# Digest runs whose window counts as covered: posted (or being finished), or found empty.
COVERED = ("sent", "done", "empty")


def window(
    session: Session, forum_id: int, moment: datetime, moments: Moments
) -> tuple[datetime, datetime]:
    """The stored-time window the digest of *moment* covers: (start, moment].

    It starts at the previous digest moment, or earlier when moments before it were skipped
    (the bot was down past the catch-up limit) or failed: then it starts at the last moment
    whose digest went out, so what was stored meanwhile is in this digest, not lost.
    """
    previous = shift_digest_moment(moment, moments, -1)
    covered = session.scalar(
        select(func.max(DigestRun.moment)).where(
            DigestRun.forum_id == forum_id,
            DigestRun.moment < moment,
            DigestRun.status.in_(COVERED),
        )
    )
    return (min(previous, covered) if covered is not None else previous), moment


def load_rows(session: Session, forum_id: int, start: datetime, end: datetime) -> list[DigestRow]:
    """A forum's contributions stored in (start, end], in one query on its (forum, stored) index."""
    query = (
        select(
            Contribution.id,
            Contribution.period,
            Contribution.theme_title_sv,
            Contribution.theme_title_en,
            Contribution.author_name,
            Contribution.anonymous,
            Contribution.text,
            Contribution.permalink,
            Contribution.created_at,
        )
        .where(
            Contribution.forum_id == forum_id,
            Contribution.recorded_at > start,
            Contribution.recorded_at <= end,
            Contribution.kind != TREND,  # trends have their own section
        )
        .order_by(Contribution.created_at, Contribution.id)
    )
    return [DigestRow(*row) for row in session.execute(query)]


def build(forum_id: int, start: datetime, end: datetime, rows: Sequence[DigestRow]) -> Digest:
    """Group rows by theme period (newest first), items in the order they were made."""
    by_period: dict[str, list[DigestRow]] = {}
    for row in sorted(rows, key=lambda r: (r.created_at, r.id)):
        by_period.setdefault(row.period, []).append(row)
    groups = []
    for key in sorted(by_period, reverse=True):
        members = by_period[key]
        first = members[0]
        title = None
        if first.theme_title_sv or first.theme_title_en:
            title = Bilingual(first.theme_title_sv or "", first.theme_title_en or "")
        items = tuple(
            DigestItem(
                author=None if row.anonymous else row.author_name,
                excerpt=excerpt(row.text),
                link=row.permalink,
                created_at=row.created_at,
            )
            for row in members
        )
        groups.append(DigestGroup(Period.parse(key), title, items))
    return Digest(forum_id, start, end, tuple(groups))


def load(session: Session, forum_id: int, start: datetime, end: datetime) -> Digest:
    """Read and build the digest of a window."""
    digest = build(forum_id, start, end, load_rows(session, forum_id, start, end))
    found = trends.of_period(session, forum_id, since=start, until=end)
    return replace(digest, trends=tuple(found)) if found else digest
