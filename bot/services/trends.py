"""Trends: links from environmental scanning (an article, a report, a policy), kept apart.

A trend is a :class:`bot.storage.models.Contribution` with ``kind="trend"``: its ``url``, the
link's ``url_title`` (from the platform's unfurl, else fetched by :mod:`bot.linkfetch`) and the
comment of whoever shared it as ``text``. Stored once per source message like every contribution,
so a retried event stores nothing twice; edits, deletions, retention and forget-me follow it as
they follow a practice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Source
from bot.services import contributions
from bot.services.contributions import (
    MAX_TEXT_CHARS,
    ContributionError,
    NewContribution,
    clean_text,
)
from bot.storage.models import Contribution
from bot.timing import Period

KIND = "trend"
PRACTICE = "practice"
MAX_URL_CHARS = 2000  # Contribution.url
MAX_TITLE_CHARS = 300  # what linkfetch keeps; Contribution.url_title holds 500
# A link in chat text: Slack writes it as <https://…|label> (unescaped to the bare URL by then).
_LINK = re.compile(r"https?://[^\s<>\"'|]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»”’"


class TrendError(ContributionError):
    """A trend that cannot be stored; ``key`` is the translated message to show."""


@dataclass(frozen=True)
class NewTrend:
    """A shared link as it arrives: who shared it, where from, and what they said."""

    author_id: str
    author_name: str
    url: str
    comment: str
    source: Source
    channel_id: str
    source_message_id: str
    created_at: datetime
    title: str | None = None  # the platform's unfurl, if it had one
    permalink: str | None = None
    saved_by_id: str | None = None
    saved_by_name: str | None = None


@dataclass(frozen=True)
class TrendInfo:
    """A stored trend as the digest, the library and the year in review show it."""

    id: int
    url: str
    title: str | None
    comment: str
    author: str
    period: Period
    created_at: datetime


def check_url(raw: str) -> str:
    """The link as stored: an absolute http(s) URL with a host, without spaces or controls.

    :class:`TrendError` ``trend.error.url`` for anything else (the command answers with it).
    """
    url = unicodedata.normalize("NFC", (raw or "").strip()).strip("<>")
    if not url or len(url) > MAX_URL_CHARS or any(ch.isspace() for ch in url):
        raise TrendError("trend.error.url")
    if any(unicodedata.category(ch).startswith("C") for ch in url):
        raise TrendError("trend.error.url")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise TrendError("trend.error.url") from exc
    if parts.scheme.casefold() not in ("http", "https") or not parts.hostname:
        raise TrendError("trend.error.url")
    if parts.username or parts.password or port == 0:
        raise TrendError("trend.error.url")
    return url


def split_command(rest: str) -> tuple[str, str]:
    """``<url> [comment]`` → (url, comment); the URL unchecked."""
    parts = rest.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def first_link(text: str) -> str | None:
    """The first http(s) link in a message's text (trailing punctuation left out), if any."""
    found = _LINK.search(text or "")
    return found.group(0).rstrip(_TRAILING) if found else None


def clean_title(title: str | None) -> str | None:
    """A title from an unfurl or a page: whitespace collapsed, length-limited; None if empty."""
    flat = " ".join(clean_text(title or "").split())
    if not flat:
        return None
    return flat if len(flat) <= MAX_TITLE_CHARS else flat[: MAX_TITLE_CHARS - 1] + "…"


def stored(session: Session, forum_id: int, source_message_id: str) -> bool:
    """True when the source message is stored already (a retry: no fetch, no second row)."""
    found = session.scalar(
        select(Contribution.id).where(
            Contribution.forum_id == forum_id,
            Contribution.source_message_id == source_message_id,
        )
    )
    return found is not None


def record(session: Session, forum: ForumInfo, new: NewTrend, *, now: datetime) -> tuple[int, bool]:
    """Store a trend unless its source message is stored already: (row id, created)."""
    url = check_url(new.url)
    comment = clean_text(new.comment)
    if len(comment) > MAX_TEXT_CHARS:
        raise TrendError("share.error.too_long", limit=MAX_TEXT_CHARS)
    shared = NewContribution(
        author_id=new.author_id,
        author_name=new.author_name,
        text=comment,
        source=new.source,
        channel_id=new.channel_id,
        source_message_id=new.source_message_id,
        created_at=new.created_at,
        permalink=new.permalink,
        saved_by_id=new.saved_by_id,
        saved_by_name=new.saved_by_name,
    )
    # A trend's comment may be empty (the link says it), so it skips the practice's text check.
    extra = {"kind": KIND, "url": url, "url_title": clean_title(new.title)}
    stored = contributions.store(session, forum, shared, now=now, text=comment, extra=extra)
    return stored.id, stored.created


def fill_title(session: Session, trend_id: int, title: str) -> bool:
    """Give trend *trend_id* its link's title, only while it has none (a later fetch's answer).

    False when the row is gone (deleted, forgotten) or has a title already.
    """
    found = clean_title(title)
    if found is None:
        return False
    filled = session.execute(
        update(Contribution)
        .where(Contribution.id == trend_id, Contribution.kind == KIND)
        .where(Contribution.url_title.is_(None))
        .values(url_title=found)
    )
    return bool(getattr(filled, "rowcount", 0))


def _info(row: Contribution) -> TrendInfo:
    return TrendInfo(
        id=row.id,
        url=row.url or "",
        title=row.url_title,
        comment=row.text,
        author=row.author_name,
        period=Period.parse(row.period),
        created_at=row.created_at,
    )


def of_period(
    session: Session, forum_id: int, *, since: datetime, until: datetime
) -> list[TrendInfo]:
    """The trends stored in (since, until] (by ``recorded_at``, as the digest), oldest first."""
    rows = session.scalars(
        select(Contribution)
        .where(
            Contribution.forum_id == forum_id,
            Contribution.kind == KIND,
            Contribution.recorded_at > since,
            Contribution.recorded_at <= until,
        )
        .order_by(Contribution.created_at, Contribution.id)
    )
    return [_info(row) for row in rows]


def of_year(session: Session, forum_id: int, year: int) -> list[TrendInfo]:
    """The trends shared in calendar year *year* (by their message's date), oldest first."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    rows = session.scalars(
        select(Contribution)
        .where(
            Contribution.forum_id == forum_id,
            Contribution.kind == KIND,
            Contribution.created_at >= start,
            Contribution.created_at < end,
        )
        .order_by(Contribution.created_at, Contribution.id)
    )
    return [_info(row) for row in rows]


def of_forum(session: Session, forum_id: int, *, limit: int = 200) -> list[TrendInfo]:
    """A forum's latest trends, newest first (the library page)."""
    rows = session.scalars(
        select(Contribution)
        .where(Contribution.forum_id == forum_id, Contribution.kind == KIND)
        .order_by(Contribution.created_at.desc(), Contribution.id.desc())
        .limit(limit)
    )
    return [_info(row) for row in rows]


def comment_of(text: str, url: str) -> str:
    """A message's text as a trend's comment: the link itself (and Slack's markup) taken out."""
    pattern = re.compile(r"<\s*" + re.escape(url) + r"[^>]*>|" + re.escape(url))
    return " ".join(pattern.sub(" ", text or "", count=1).split())


def unfurled_title(links: Sequence[tuple[str, str]], url: str) -> str | None:
    """The title the platform's preview gave *url* (else the only preview's), if any."""
    for link, title in links:
        if link.rstrip("/") == url.rstrip("/") and clean_title(title):
            return clean_title(title)
    if len(links) == 1:
        return clean_title(links[0][1])
    return None


_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def quiet(text: str) -> str:
    """*text* with broadcast words (``@here``) that cannot notify, for a link's label.

    A label is escaped by every renderer but, unlike an entry's text, not defused; a page's
    title is someone else's text.
    """
    return _BROADCAST.sub(lambda match: "@\u2060" + match.group(1), text)
