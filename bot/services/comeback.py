"""When a theme comes back: last year's good examples on the theme being posted now.

An example belongs to the theme it was saved under, named by that theme's key
(:attr:`bot.domain.ThemeContent.key`: given in the cycle file, else the slug of the Swedish
title), stored as ``Contribution.theme_key``. A theme posted in March 2027 finds

- the examples of March 2026 with the same key (the same theme in the same month), and
- the examples of any month of 2026 whose key it ``follows`` (an organiser's explicit link,
  which also survives a theme moved to another month).

Examples saved before keys were stored have none: they count by the slug of the Swedish title
they were saved under (migration 0004 fills those in; this covers rows written since by older
code during an upgrade).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.domain import Bilingual, ForumInfo, ThemeContent, theme_slug
from bot.services.library import Found
from bot.storage.models import Contribution
from bot.timing import Period


@dataclass(frozen=True)
class LastYear:
    """What a theme post says about last year: how many examples, and under which key the
    library lists them (the most common key among them: a followed theme's old key)."""

    count: int
    key: str

    def library_url(self, public_url: str, forum_id: int) -> str:
        """The library page filtered to these examples' theme."""
        base = public_url.rstrip("/")
        return f"{base}/forums/{forum_id}/library?theme={quote(self.key, safe='')}"


def _key_of(row: Contribution) -> str:
    """The key an example was saved under (stored, or made from the title it was saved with)."""
    return row.theme_key or theme_slug(row.theme_title_sv or "")


def _found(row: Contribution) -> Found:
    title = (
        Bilingual(row.theme_title_sv or "", row.theme_title_en or "")
        if row.theme_title_sv or row.theme_title_en
        else None
    )
    return Found(
        id=row.id,
        forum_id=row.forum_id,
        period=Period.parse(row.period),
        theme_key=_key_of(row) or None,
        theme_title=title,
        author_name=None if row.anonymous else row.author_name,
        text=row.text,
        permalink=row.permalink,
        created_at=row.created_at,
    )


def last_year(
    session: Session,
    forum: ForumInfo,
    period: Period,
    theme: ThemeContent,
    *,
    limit: int | None = None,
) -> list[Found]:
    """Last year's examples of *forum* on *theme* (posted in *period*), oldest first.

    The same month with the same key, or any month with a key the theme follows.
    """
    same_month = f"{period.year - 1:04d}-{period.month:02d}"
    followed = {key for key in theme.follows if key}
    own = theme.key
    wanted = Contribution.period == same_month
    if followed:
        last_year_periods = Contribution.period.between(
            f"{period.year - 1:04d}-01", f"{period.year - 1:04d}-12"
        )
        # Rows without a key may match a followed key by their title: they are read too.
        wanted = or_(
            wanted,
            last_year_periods
            & or_(Contribution.theme_key.in_(sorted(followed)), Contribution.theme_key.is_(None)),
        )
    query = (
        select(Contribution)
        .where(Contribution.forum_id == forum.id, Contribution.kind == "practice", wanted)
        .order_by(Contribution.created_at, Contribution.id)
    )
    found: list[Found] = []
    for row in session.scalars(query):
        key = _key_of(row)
        if not key:
            continue
        if (row.period == same_month and key == own) or key in followed:
            found.append(_found(row))
            if limit is not None and len(found) >= limit:
                break
    return found


def summary(
    session: Session, forum: ForumInfo, period: Period, theme: ThemeContent
) -> LastYear | None:
    """How many examples last year had on *theme*, and their key; None when there were none."""
    found = last_year(session, forum, period, theme)
    if not found:
        return None
    counts: dict[str, int] = {}
    for item in found:
        if item.theme_key:
            counts[item.theme_key] = counts.get(item.theme_key, 0) + 1
    # The most common key; on a tie this theme's own key, else the first in order.
    key = max(counts, key=lambda k: (counts[k], k == theme.key))
    return LastYear(len(found), key)
