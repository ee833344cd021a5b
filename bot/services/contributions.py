"""Good practices: recorded once per source message, following edits and deletions.

A contribution has an author (who wrote the message) and, when someone saved an existing message
with the reaction or the message shortcut, a saver. Both may take it out again. It is dated by
its message (``created_at``, what people see) and by the moment it was stored (``recorded_at``,
what decides which digest it is in).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Source, ThemeContent
from bot.services import cycles
from bot.services.forums import moments
from bot.services.sql import insert_ignore_statement, insert_new
from bot.storage.models import Contribution
from bot.timing import Period, period_at

MAX_TEXT_CHARS = 10_000
MAX_NAME_CHARS = 200
# What makes a contribution the same one again (a retry or redelivery stores nothing).
_UNIQUE = ("forum_id", "source_message_id")


class ContributionError(ValueError):
    """A contribution cannot be stored; ``key`` is the translated message to show."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class NewContribution:
    """A good practice as it arrives from an adapter."""

    author_id: str
    author_name: str
    text: str
    source: Source
    channel_id: str
    source_message_id: str
    created_at: datetime
    permalink: str | None = None
    anonymous: bool = False
    period: Period | None = None  # the theme post's period for thread replies
    saved_by_id: str | None = None  # who saved an existing message (reaction, shortcut)
    saved_by_name: str | None = None


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording: the row id, and whether this call created it."""

    id: int
    created: bool
    period: Period
    theme: ThemeContent | None = None


def clean_text(text: str) -> str:
    """Normalised text without control characters (newlines and tabs kept), trimmed."""
    text = unicodedata.normalize("NFC", text or "")
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return kept.replace("\u2028", "\n").strip()


def validate_text(text: str) -> str:
    """The cleaned text, or :class:`ContributionError` when it is empty or too long."""
    cleaned = clean_text(text)
    if not cleaned:
        raise ContributionError("share.error.empty")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise ContributionError("share.error.too_long", limit=MAX_TEXT_CHARS)
    return cleaned


def record(session: Session, forum: ForumInfo, new: NewContribution, *, now: datetime) -> Recorded:
    """Store a good practice unless its source message is already stored (retries are no-ops).

    *now* (the caller's clock) becomes ``recorded_at``: the digest of the first digest moment
    after it shows the example, however old its message is.
    """
    return store(session, forum, new, now=now, text=validate_text(new.text))


def store(
    session: Session,
    forum: ForumInfo,
    new: NewContribution,
    *,
    now: datetime,
    text: str,
    extra: Mapping[str, Any] | None = None,
) -> Recorded:
    """Insert *new* with its checked *text* (and *extra* columns: a trend's kind and link) under
    its period's theme, unless its source message is stored already; good practices and trends
    are stored by this one rule."""
    period = new.period or period_at(new.created_at, moments(forum))
    theme = cycles.theme_at(session, forum, period)
    inserted = insert_new(
        session, Contribution, _row(forum, new, period, theme, now, text, extra), list(_UNIQUE)
    )
    if inserted is not None:
        return Recorded(inserted, True, period, theme)
    row_id = session.scalars(
        select(Contribution.id).where(
            Contribution.forum_id == forum.id,
            Contribution.source_message_id == new.source_message_id,
        )
    ).one()
    return Recorded(row_id, False, period, theme)


def _name(name: str, user_id: str) -> str:
    return clean_text(name)[:MAX_NAME_CHARS] or user_id


def _row(
    forum: ForumInfo,
    new: NewContribution,
    period: Period,
    theme: ThemeContent | None,
    now: datetime,
    text: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of *new* as stored (one rule for :func:`store` and :func:`store_many`)."""
    return {
        "forum_id": forum.id,
        "platform": forum.platform.value,
        "workspace_id": forum.workspace_id,
        "period": period.key,
        "theme_title_sv": theme.title.sv if theme else None,
        "theme_title_en": theme.title.en if theme else None,
        # Kept with the example, so next year's theme of the same key finds it (comeback).
        "theme_key": (theme.key or None) if theme else None,
        "author_id": new.author_id,
        "author_name": _name(new.author_name, new.author_id),
        "saved_by_id": new.saved_by_id,
        "saved_by_name": (
            _name(new.saved_by_name or "", new.saved_by_id) if new.saved_by_id else None
        ),
        "text": text,
        "source": new.source.value,
        "channel_id": new.channel_id,
        "source_message_id": new.source_message_id,
        "permalink": new.permalink,
        "anonymous": new.anonymous,
        "created_at": new.created_at,
        "recorded_at": now,
        **(extra or {}),
    }


def _insert_many(dialect: str) -> Any:
    """The multi-row insert of new contributions, returning what each inserted row is."""
    table: Any = Contribution.__table__
    return insert_ignore_statement(
        dialect, table, tuple(_UNIQUE), ("id", "forum_id", "source_message_id")
    )


def store_many(
    session: Session, entries: Sequence[tuple[ForumInfo, NewContribution, str]], *, now: datetime
) -> list[Recorded]:
    """:func:`store` for many (forum, new, checked text) entries at once, in *session*.

    Each (forum, period) theme is read once and every new row goes in one multi-row insert;
    the unique source message makes an entry stored before (a redelivered batch), or twice in
    *entries*, a no-op that reports the stored row (``created`` False), as :func:`store` does.
    The outcomes are in the order of *entries*.
    """
    themes: dict[tuple[int, str], ThemeContent | None] = {}
    planned: list[tuple[tuple[int, str], Period, ThemeContent | None]] = []
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for forum, new, text in entries:
        period = new.period or period_at(new.created_at, moments(forum))
        if (forum.id, period.key) not in themes:
            themes[forum.id, period.key] = cycles.theme_at(session, forum, period)
        theme = themes[forum.id, period.key]
        key = (forum.id, new.source_message_id)
        rows.setdefault(key, _row(forum, new, period, theme, now, text))  # the first one counts
        planned.append((key, period, theme))
    created: dict[tuple[int, str], int] = {}
    if rows:
        statement = _insert_many(session.get_bind().dialect.name)
        # In key order: two transactions inserting the same keys then wait, never deadlock.
        ordered = [rows[key] for key in sorted(rows)]
        for row in session.execute(statement, ordered):
            created[int(row.forum_id), str(row.source_message_id)] = int(row.id)
    found = _stored_ids(session, [key for key in rows if key not in created])
    recorded: list[Recorded] = []
    for key, period, theme in planned:
        if key in created:  # only its first entry created the row; a later twin is a repeat
            recorded.append(Recorded(created.pop(key), True, period, theme))
            found[key] = recorded[-1].id
        else:
            recorded.append(Recorded(found[key], False, period, theme))
    return recorded


def _stored_ids(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The ids of stored contributions by (forum id, source message id), one query per forum."""
    by_forum: dict[int, list[str]] = {}
    for forum_id, message_id in keys:
        by_forum.setdefault(forum_id, []).append(message_id)
    found: dict[tuple[int, str], int] = {}
    for forum_id, message_ids in by_forum.items():
        rows = session.execute(
            select(Contribution.id, Contribution.source_message_id).where(
                Contribution.forum_id == forum_id, Contribution.source_message_id.in_(message_ids)
            )
        )
        for row in rows:
            found[forum_id, str(row.source_message_id)] = int(row.id)
    return found


def edit(
    session: Session, forum_id: int, source_message_id: str, text: str, edited_at: datetime
) -> bool:
    """Follow an edit of the source message; True when a stored contribution changed."""
    cleaned = clean_text(text)
    if not cleaned:
        return delete_by_source(session, forum_id, source_message_id)
    result = session.execute(
        update(Contribution)
        .where(
            Contribution.forum_id == forum_id,
            Contribution.source_message_id == source_message_id,
        )
        .values(text=cleaned[:MAX_TEXT_CHARS], edited_at=edited_at)
    )
    return bool(getattr(result, "rowcount", 0))


def delete_by_source(session: Session, forum_id: int, source_message_id: str) -> bool:
    """Follow a deletion of the source message; True when something was removed."""
    result = session.execute(
        delete(Contribution).where(
            Contribution.forum_id == forum_id,
            Contribution.source_message_id == source_message_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def undo(
    session: Session, contribution_id: int, platform: str, workspace_id: str, user_id: str
) -> str | None:
    """Remove a contribution on its author's or its saver's request; the author's id, or None.

    None when there is no such contribution or *user_id* neither wrote nor saved it.
    """
    return session.scalars(
        delete(Contribution)
        .where(
            Contribution.id == contribution_id,
            Contribution.platform == platform,
            Contribution.workspace_id == workspace_id,
            or_(Contribution.author_id == user_id, Contribution.saved_by_id == user_id),
        )
        .returning(Contribution.author_id)
    ).first()


def recent_by_author(
    session: Session, platform: str, workspace_id: str, author_id: str, limit: int = 5
) -> list[Contribution]:
    """A person's latest contributions, newest first."""
    return list(
        session.scalars(
            select(Contribution)
            .where(
                Contribution.platform == platform,
                Contribution.workspace_id == workspace_id,
                Contribution.author_id == author_id,
            )
            .order_by(Contribution.created_at.desc())
            .limit(limit)
        )
    )


def count_in_period(session: Session, forum_id: int, period: Period) -> int:
    """How many good practices a theme period has collected."""
    return int(
        session.scalar(
            select(func.count(Contribution.id)).where(
                Contribution.forum_id == forum_id, Contribution.period == period.key
            )
        )
        or 0
    )
