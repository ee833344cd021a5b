"""Optional nudges around the theme of the month, both off by default and set per forum.

- **Reminder**: ``reminder_after_days`` after a theme was posted (at the theme time, on the local
  calendar), a short nudge in the theme's thread when the period has fewer contributions than
  ``reminder_threshold``.
- **Preview**: ``preview_days`` before the next theme's posting moment, that theme sent privately
  to the forum's organisers, so they can still change it.

Each happens at most once per forum and period: a :class:`~bot.storage.models.Notice` row
(``kind`` ``reminder`` or ``preview``, ``key`` the period) is claimed with the rule of
:mod:`bot.services.claims` before anything is sent. A resumed reminder first asks the platform
whether the nudge went out (it carries a marker, like theme posts). Previews are private messages
the platform cannot search, so a preview interrupted by a crash may reach an organiser twice;
a duplicate private preview is the lesser harm than none.

Both take the :class:`~bot.services.publishing.Publisher` (database, posters, clock) and return its
:class:`~bot.services.publishing.Result`, with these statuses besides the publishing ones:
``off`` (not enabled for the forum), ``not_due`` (its moment has not come), ``enough`` (the
period has reached the threshold: no nudge needed); ``too_late`` for a reminder more than
``CATCH_UP_NUDGE`` past its moment.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.domain import ForumInfo, Language, ThemeContent
from bot.i18n import date_time, month_name, t
from bot.messages import Actions, Button, Element, Header, Message, Note, Paragraph
from bot.ports import PostRef
from bot.posts import SHARE_OPEN, invocation, theme_elements
from bot.services import claims, cohorts, contributions, cycles, notices, organisers, preferences
from bot.services.forums import moments
from bot.services.publishing import Publisher, Result
from bot.storage.models import Notice, ThemePost
from bot.timing import Period, local_moment, period_at, theme_moment

log = logging.getLogger(__name__)

REMINDER, PREVIEW = "reminder", "preview"
REMINDER_EVENT = "ledarforum_reminder"
# A nudge is about "now": after downtime it is caught up within this, later it is skipped.
CATCH_UP_NUDGE = timedelta(days=2)


def _days_from_theme(forum: ForumInfo, period: Period, days: int) -> datetime:
    # On the local calendar, at the theme time: "10 days later" stays 09:00 across DST.
    when = moments(forum)
    day = theme_moment(period, when).astimezone(when.zone).date() + timedelta(days=days)
    return local_moment(day, when.theme_time, when.zone)


def reminder_moment(forum: ForumInfo, period: Period) -> datetime:
    """When a period's reminder is due: ``reminder_after_days`` after its theme is posted."""
    return _days_from_theme(forum, period, forum.reminder_after_days)


def preview_moment(forum: ForumInfo, period: Period) -> datetime | None:
    """When a period's theme is previewed to organisers (None: previews are off)."""
    if forum.preview_days is None:
        return None
    return _days_from_theme(forum, period, -forum.preview_days)


def reminder_marker(forum_id: int, period: Period) -> str:
    """The tag that identifies a forum's reminder of a period on the platform."""
    return f"reminder:{forum_id}:{period.key}"


def reminder_post(
    forum: ForumInfo, period: Period, theme: ThemeContent | None, count: int
) -> Message:
    """The nudge posted in the theme's thread."""
    lang = forum.language
    title = theme.title.get(lang) if theme else month_name(lang, period.month)
    text = (
        t(lang, "reminder.none", title=title)
        if count == 0
        else t(lang, "reminder.text", title=title, count=count)
    )
    button = Button(SHARE_OPEN, t(lang, "theme.share_button"), period.key, primary=True)
    return Message(
        kind="reminder",
        fallback=text,
        elements=(Paragraph(text), Actions((button,))),
        metadata={
            "event_type": REMINDER_EVENT,
            "event_payload": {
                "forum_id": forum.id,
                "period": period.key,
                "marker": reminder_marker(forum.id, period),
            },
        },
    )


def preview_message(
    forum: ForumInfo, period: Period, theme: ThemeContent, moment: datetime, lang: Language
) -> Message:
    """The next theme as an organiser will see it, with when and where it will be posted."""
    month = month_name(lang, period.month)
    title = theme.title.get(lang)
    when = date_time(lang, moment, forum.timezone)
    elements: list[Element] = [
        Header(t(lang, "preview.header", month=month, title=title)),
        Note(t(lang, "preview.when", when=when, forum=forum.name or forum.channel_id)),
    ]
    elements += theme_elements(theme, lang)
    elements.append(Note(t(lang, "preview.edit", command=invocation(forum.platform))))
    return Message(
        kind="theme_preview",
        fallback=t(lang, "preview.fallback", month=month, title=title),
        elements=tuple(elements),
    )


def remind_if_quiet(publisher: Publisher, forum: ForumInfo, at: datetime) -> Result:
    """Nudge the theme thread of the period current at *at*, once, if it is quiet.

    Due from the period's reminder moment for ``CATCH_UP_NUDGE`` (a nudge after downtime, not
    days later); needs the period's theme post (the thread to reply in) and fewer contributions
    than the forum's threshold.
    """
    period = period_at(at, moments(forum))
    key = period.key
    if forum.reminder_threshold is None:
        return Result(forum.id, REMINDER, "off", key)
    due = reminder_moment(forum, period)
    if at < due:
        return Result(forum.id, REMINDER, "not_due", key)
    if at - due > CATCH_UP_NUDGE:
        return Result(forum.id, REMINDER, "too_late", key)
    poster = publisher.posters.get(forum.platform)
    if poster is None:
        return Result(forum.id, REMINDER, "no_adapter", key, error=forum.platform.value)
    with publisher.db.transaction() as session:
        post = session.scalars(
            select(ThemePost).where(ThemePost.forum_id == forum.id, ThemePost.period == key)
        ).first()
        thread = post.message_id if post is not None and post.status == "posted" else None
        count = contributions.count_in_period(session, forum.id, period)
        theme = cycles.theme_at(session, forum, period)
    if thread is None:
        return Result(forum.id, REMINDER, "no_theme", key)
    if count >= forum.reminder_threshold:
        return Result(forum.id, REMINDER, "enough", key)
    claim = notices.take(publisher, forum, REMINDER, key)
    if claim.outcome is not claims.Outcome.ACQUIRED:
        return notices.not_acquired(forum, REMINDER, key, claim)
    ref: PostRef | None = None
    try:
        if claim.resumed:
            ref = poster.find_post(
                forum, reminder_marker(forum.id, period), due - timedelta(days=1)
            )
        status = "found" if ref else "posted"
        message = reminder_post(forum, period, theme, count)
        ref = ref or poster.post(forum, message, thread_id=thread)
    except Exception as exc:
        return notices.failed(publisher, forum, REMINDER, key, claim, exc)
    with publisher.db.transaction() as session:
        claims.settle(session, Notice, claim, status="done", done_at=publisher.clock())
        session.execute(
            update(ThemePost)
            .where(ThemePost.forum_id == forum.id, ThemePost.period == key)
            .values(reminded_at=publisher.clock())
        )
    log.info("reminder posted", extra={"forum_id": forum.id, "period": key, "status": status})
    return Result(forum.id, REMINDER, status, key, ref.message_id)


def preview_next_theme(publisher: Publisher, forum: ForumInfo, at: datetime) -> Result:
    """Send the theme of the period after the one current at *at* to the forum's organisers, once.

    Due from ``preview_days`` before that theme's posting moment until it is posted; meant for
    previews shorter than a month (a longer one is sent when the previous theme is current).
    """
    when = moments(forum)
    period = period_at(at, when).next()
    key = period.key
    due = preview_moment(forum, period)
    if due is None:
        return Result(forum.id, PREVIEW, "off", key)
    if not cohorts.rhythm_allows(forum, period):  # an alumni cohort's quiet month posts nothing
        return Result(forum.id, PREVIEW, "not_in_rhythm", key)
    if at < due:
        return Result(forum.id, PREVIEW, "not_due", key)
    poster = publisher.posters.get(forum.platform)
    if poster is None:
        return Result(forum.id, PREVIEW, "no_adapter", key, error=forum.platform.value)
    with publisher.db.transaction() as session:
        theme = cycles.theme_at(session, forum, period)
        readers = [
            (
                user,
                preferences.language_of(session, forum.platform.value, forum.workspace_id, user)
                or forum.language,
            )
            for user in organisers.of_forum(
                session, forum.platform.value, forum.workspace_id, forum.id
            )
        ]
    if theme is None:
        return Result(forum.id, PREVIEW, "no_theme", key)
    if not readers:
        return Result(forum.id, PREVIEW, "empty", key)
    claim = notices.take(publisher, forum, PREVIEW, key)
    if claim.outcome is not claims.Outcome.ACQUIRED:
        return notices.not_acquired(forum, PREVIEW, key, claim)
    posting = theme_moment(period, when)
    try:
        for user, lang in readers:
            poster.send_direct(forum, user, preview_message(forum, period, theme, posting, lang))
    except Exception as exc:
        return notices.failed(publisher, forum, PREVIEW, key, claim, exc)
    notices.done(publisher, claim)
    log.info("theme preview sent", extra={"forum_id": forum.id, "period": key})
    return Result(forum.id, PREVIEW, "posted", key)
