"""The scheduler's jobs: *when* each kind is due for a forum, and *what* it does (one service call).

A job run at ``at`` does exactly what ``ledarforum post-theme|digest --at <at>`` does, plus the
catch-up limit for digests, so the in-process scheduler, cron and a backfill never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain import ForumInfo
from bot.services import cohorts, logbook, meetings, reminders, review
from bot.services.forums import moments
from bot.services.publishing import CATCH_UP_DIGEST, Publisher, Result
from bot.timing import digest_moment_at_or_before, next_theme_moment, period_at, shift_digest_moment

THEME, DIGEST, REMINDER, PREVIEW = "theme", "digest", reminders.REMINDER, reminders.PREVIEW
REUNION = cohorts.REUNION
LOGBOOK_PROMPT = logbook.PROMPT  # the private reflection prompt, for those who asked
# A forum's meeting reminders and follow-ups: planned from the meetings table (the scheduler
# asks meetings.next_due), so next_due below has no moment for it.
MEETING = "meeting"
YEAR_REVIEW = review.KIND  # the year in review, in the forum's review_month
KINDS = (THEME, DIGEST, REMINDER, PREVIEW, YEAR_REVIEW, LOGBOOK_PROMPT, MEETING, REUNION)
# An alumni cohort's next posting month is at most a year away (a yearly rhythm).
_RHYTHM_SEARCH = 60


def kinds_for(forum: ForumInfo) -> tuple[str, ...]:
    """The kinds a catch-up runs for *forum*: the reunion only for a cohort that has one."""
    if cohorts.reunion_month(forum) is not None:
        return KINDS
    return tuple(kind for kind in KINDS if kind != REUNION)


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
    LOGBOOK_PROMPT: logbook.send_prompts,
    REUNION: cohorts.remind_reunion,
    MEETING: meetings.run_due,
    YEAR_REVIEW: review.post_if_due,
}


def next_due(kind: str, forum: ForumInfo, after: datetime) -> datetime | None:
    """The first moment strictly after *after* at which *kind* is due (None: off for the forum)."""
    when = moments(forum)
    if kind == THEME:
        # An alumni cohort's quiet months are skipped, so the plan shows its real next post.
        due = next_theme_moment(after, when)
        for _ in range(_RHYTHM_SEARCH):
            if cohorts.rhythm_allows(forum, period_at(due, when)):
                break
            due = next_theme_moment(due, when)
        return due
    if kind == DIGEST:
        due = shift_digest_moment(digest_moment_at_or_before(after, when), when, 1)
        for _ in range(_RHYTHM_SEARCH):
            if cohorts.rhythm_allows(forum, period_at(due, when)):
                break
            due = shift_digest_moment(due, when, 1)
        return due
    if kind == REUNION:
        return cohorts.next_reunion(forum, after)
    if kind == YEAR_REVIEW:
        return review.next_due(forum, after)
    if kind == LOGBOOK_PROMPT:
        return logbook.next_prompt(forum, after)
    if kind == MEETING:
        return None  # needs the database: the scheduler arms it with meetings.next_due
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
