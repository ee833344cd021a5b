"""The scheduler's jobs: *when* each kind is due for a forum, and *what* it does (one service call).

A job run at ``at`` does exactly what ``ledarforum post-theme|digest --at <at>`` does, plus the
catch-up limit for digests, so the in-process scheduler, cron and a backfill never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain import ForumInfo
from bot.services import reminders
from bot.services.forums import moments
from bot.services.publishing import CATCH_UP_DIGEST, Publisher, Result
from bot.timing import digest_moment_at_or_before, next_theme_moment, period_at, shift_digest_moment

THEME, DIGEST, REMINDER, PREVIEW = "theme", "digest", reminders.REMINDER, reminders.PREVIEW
KINDS = (THEME, DIGEST, REMINDER, PREVIEW)


def theme(publisher: Publisher, forum: ForumInfo, at: datetime) -> Result:
    """Post the theme current at *at*, if not yet posted."""
    return publisher.post_theme(forum, at)


def digest(publisher: Publisher, forum: ForumInfo, at: datetime) -> Result:
    """Post the digest of the latest digest moment at or before *at*, unless it is too late."""
    return publisher.post_digest(forum, at, max_late=CATCH_UP_DIGEST)


JOBS: dict[str, Callable[[Publisher, ForumInfo, datetime], Result]] = {
    THEME: theme,
    DIGEST: digest,
    REMINDER: reminders.remind_if_quiet,
    PREVIEW: reminders.preview_next_theme,
}


def next_due(kind: str, forum: ForumInfo, after: datetime) -> datetime | None:
    """The first moment strictly after *after* at which *kind* is due (None: off for the forum)."""
    when = moments(forum)
    if kind == THEME:
        return next_theme_moment(after, when)
    if kind == DIGEST:
        return shift_digest_moment(digest_moment_at_or_before(after, when), when, 1)
    current = period_at(after, when)
    candidates: list[datetime | None]
    if kind == REMINDER:
        if forum.reminder_threshold is None:
            return None
        candidates = [reminders.reminder_moment(forum, p) for p in (current, current.next())]
    elif kind == PREVIEW:
        # The next preview is for the coming period, or, once that one is past, the one after.
        coming = current.next()
        candidates = [reminders.preview_moment(forum, p) for p in (coming, coming.next())]
    else:
        raise ValueError(f"unknown job kind {kind!r}")
    return next((c for c in candidates if c is not None and c > after), None)
