"""A person's private logbook: reflections tied to the forum's theme, read only by their writer.

Nothing else reads :class:`~bot.storage.models.LogbookEntry`: not stats, exports, pages, reviews or
digests. The only readers are :func:`mine` (the writer's own recent entries), :func:`own` (one of
the writer's entries, to share it) and the writer's own data export (:func:`export`), and
:func:`erase` removes it all for forget-me.

An entry is written once per source (the command or form that wrote it), so a retried command
stores it once. Sharing an entry stores its text as a good example through the normal
contribution path (then the forum's rules apply to that copy); the entry stays private and keeps
the id of the example it became.

The optional reflection prompt (off by default, ``UserPreference.logbook_prompts``) is a DM at the
end of each theme period: on the last working day of the calendar month the period is named after,
at the forum's digest time. Each person is claimed once per forum and period with a
:class:`~bot.storage.models.LogbookPrompt` row (the rule of :mod:`bot.services.claims`), so two
processes and restarts send it once; after downtime it is caught up for ``CATCH_UP_PROMPT``, an
older prompt is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.domain import Bilingual, ForumInfo, Language
from bot.i18n import t
from bot.messages import Element, Message, Note, Paragraph
from bot.ports import RecipientGone
from bot.posts import invocation
from bot.services import claims, contributions, cycles, forums, preferences, subscriptions
from bot.services.contributions import validate_text
from bot.services.publishing import Publisher, Result
from bot.services.sql import insert_ignore, insert_new
from bot.storage.models import Forum, LogbookEntry, LogbookPrompt, UserPreference
from bot.timing import Period, is_working_day, local_moment, period_at

log = logging.getLogger(__name__)

LOGBOOK_SHARE = "logbook_share"  # the button that shares an entry; value: the entry's id
PROMPT = "logbook_prompt"  # the scheduler's job kind
RECENT = 5  # entries ``logg`` shows
# A reflection prompt is about the month just ending: caught up after downtime within this.
CATCH_UP_PROMPT = timedelta(days=3)


@dataclass(frozen=True)
class Written:
    """The outcome of writing: the entry's id, whether this call stored it, and its theme."""

    id: int
    created: bool
    period: Period
    theme: Bilingual | None


def write(
    session: Session,
    *,
    platform: str,
    workspace_id: str,
    user_id: str,
    forum: ForumInfo | None,
    text: str,
    source_id: str,
    now: datetime,
) -> Written:
    """Store a private entry once per *source_id*; ContributionError for empty or too long text.

    Tied to the forum's current theme period and theme; without a forum (nobody's forum yet) to
    the calendar month in UTC, without a theme.
    """
    cleaned = validate_text(text)  # the same rules as a good example: it may become one
    if forum is not None:
        period = period_at(now, forums.moments(forum))
        theme = cycles.theme_at(session, forum, period)
    else:
        moment = now.astimezone(UTC)
        period, theme = Period(moment.year, moment.month), None
    inserted = insert_new(
        session,
        LogbookEntry,
        {
            "platform": platform,
            "workspace_id": workspace_id,
            "user_id": user_id,
            "forum_id": forum.id if forum else None,
            "period": period.key,
            "theme_key": (theme.key or None) if theme else None,
            "theme_title_sv": theme.title.sv[:200] if theme else None,
            "theme_title_en": theme.title.en[:200] if theme else None,
            "text": cleaned,
            "source_id": source_id[:255],
            "created_at": now,
        },
        ["platform", "workspace_id", "source_id"],
    )
    if inserted is not None:
        return Written(inserted, True, period, theme.title if theme else None)
    row = session.scalars(
        select(LogbookEntry).where(
            LogbookEntry.platform == platform,
            LogbookEntry.workspace_id == workspace_id,
            LogbookEntry.source_id == source_id[:255],
        )
    ).one()
    return Written(row.id, False, Period.parse(row.period), _title(row))


def _title(entry: LogbookEntry) -> Bilingual | None:
    if entry.theme_title_sv is None and entry.theme_title_en is None:
        return None
    return Bilingual(entry.theme_title_sv or "", entry.theme_title_en or "")


def _owner(platform: str, workspace_id: str, user_id: str) -> tuple[Any, ...]:
    return (
        LogbookEntry.platform == platform,
        LogbookEntry.workspace_id == workspace_id,
        LogbookEntry.user_id == user_id,
    )


def mine(
    session: Session, platform: str, workspace_id: str, user_id: str, *, limit: int = RECENT
) -> list[LogbookEntry]:
    """A person's own latest entries, newest first (the only listing of entries there is)."""
    return list(
        session.scalars(
            select(LogbookEntry)
            .where(*_owner(platform, workspace_id, user_id))
            .order_by(LogbookEntry.created_at.desc(), LogbookEntry.id.desc())
            .limit(limit)
        )
    )


def own(
    session: Session, entry_id: int, platform: str, workspace_id: str, user_id: str
) -> LogbookEntry | None:
    """One of the person's own entries; None for anyone else's (or none at all)."""
    return session.scalars(
        select(LogbookEntry).where(
            LogbookEntry.id == entry_id, *_owner(platform, workspace_id, user_id)
        )
    ).first()


def mark_shared(session: Session, entry_id: int, contribution_id: int) -> None:
    """Remember the good example an entry became (the entry itself stays private)."""
    session.execute(
        update(LogbookEntry)
        .where(LogbookEntry.id == entry_id)
        .values(shared_contribution_id=contribution_id)
    )


def share_source(entry_id: int) -> str:
    """The source id of the good example an entry becomes: sharing twice stores it once."""
    return f"logbook:{entry_id}"


# -- the prompt preference ---------------------------------------------------------------------


def prompts_on(session: Session, platform: str, workspace_id: str, user_id: str) -> bool:
    """Whether the person asked for the end-of-period reflection prompt."""
    return bool(
        session.scalar(
            select(UserPreference.logbook_prompts).where(
                UserPreference.platform == platform,
                UserPreference.workspace_id == workspace_id,
                UserPreference.user_id == user_id,
            )
        )
    )


def set_prompts(session: Session, platform: str, workspace_id: str, user_id: str, on: bool) -> None:
    """Switch the person's reflection prompt on or off."""
    keys = {"platform": platform, "workspace_id": workspace_id, "user_id": user_id}
    if not insert_ignore(session, UserPreference, {**keys, "logbook_prompts": on}, list(keys)):
        row = session.scalars(select(UserPreference).filter_by(**keys)).one()
        row.logbook_prompts = on


# -- the person's own data ---------------------------------------------------------------------


def export(
    session: Session, platform: str, workspace_id: str, user_id: str
) -> list[dict[str, Any]]:
    """The person's entries for their own data export, oldest first (times in UTC)."""
    rows = session.scalars(
        select(LogbookEntry)
        .where(*_owner(platform, workspace_id, user_id))
        .order_by(LogbookEntry.created_at, LogbookEntry.id)
    )
    return [
        {
            "id": entry.id,
            "forum_id": entry.forum_id,
            "period": entry.period,
            "theme_sv": entry.theme_title_sv,
            "theme_en": entry.theme_title_en,
            "text": entry.text,
            "created_at": entry.created_at.astimezone(UTC).isoformat(timespec="minutes"),
            "shared_contribution_id": entry.shared_contribution_id,
        }
        for entry in rows
    ]


def texts(session: Session, platform: str, workspace_id: str, user_id: str) -> set[str]:
    """The person's entry texts (forget-me erases them wherever else they were kept)."""
    return set(
        session.scalars(select(LogbookEntry.text).where(*_owner(platform, workspace_id, user_id)))
    )


def erase(session: Session, platform: str, workspace_id: str, user_id: str) -> int:
    """Delete the person's entries and their prompt records; how many entries went."""
    result = session.execute(delete(LogbookEntry).where(*_owner(platform, workspace_id, user_id)))
    forum_ids = select(Forum.id).where(
        Forum.platform == platform, Forum.workspace_id == workspace_id
    )
    session.execute(
        delete(LogbookPrompt).where(
            LogbookPrompt.user_id == user_id, LogbookPrompt.forum_id.in_(forum_ids)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- the reflection prompt ---------------------------------------------------------------------


def prompt_moment(forum: ForumInfo, period: Period) -> datetime:
    """When a period's prompt is due: the month's last working day at the forum's digest time."""
    when = forums.moments(forum)
    day = date(period.next().year, period.next().month, 1) - timedelta(days=1)
    while not is_working_day(day, when.country):
        day -= timedelta(days=1)
    return local_moment(day, when.digest_time, when.zone)


def prompt_period(forum: ForumInfo, at: datetime) -> Period:
    """The period whose prompt is the latest one due at or before *at*."""
    period = period_at(at, forums.moments(forum))
    return period if prompt_moment(forum, period) <= at else period.previous()


def next_prompt(forum: ForumInfo, after: datetime) -> datetime:
    """The first prompt moment strictly after *after*."""
    period = period_at(after, forums.moments(forum))
    for candidate in (period, period.next(), period.next().next()):
        moment = prompt_moment(forum, candidate)
        if moment > after:
            return moment
    raise AssertionError("a prompt is due every month")  # pragma: no cover


def prompt_message(forum: ForumInfo, lang: Language, title: str | None) -> Message:
    """The private reflection prompt of a theme period."""
    question = t(lang, "logbook.prompt.text")
    lead = t(lang, "logbook.prompt.theme", title=title) if title else None
    how = t(lang, "logbook.prompt.how", command=invocation(forum.platform))
    stop = t(lang, "logbook.prompt.stop", command=invocation(forum.platform))
    elements: list[Element] = [Paragraph(lead)] if lead else []
    elements += [Paragraph(question), Note(how), Note(stop)]
    return Message("logbook_prompt", question, tuple(elements))


def _home_forum(session: Session, forum: ForumInfo, user_id: str, candidates: list[int]) -> int:
    """The one forum of a workspace whose period ends a person's prompt (one DM a month).

    The forum of their latest entry, else of their latest good example, else one they subscribe
    to, else the workspace's first: the same choice the chat makes for "my forum".
    """
    if len(candidates) == 1:
        return candidates[0]
    latest = session.scalar(
        select(LogbookEntry.forum_id)
        .where(
            *_owner(forum.platform.value, forum.workspace_id, user_id),
            LogbookEntry.forum_id.in_(candidates),
        )
        .order_by(LogbookEntry.created_at.desc(), LogbookEntry.id.desc())
        .limit(1)
    )
    if latest is not None:
        return latest
    for row in contributions.recent_by_author(
        session, forum.platform.value, forum.workspace_id, user_id
    ):
        if row.forum_id in candidates:
            return row.forum_id
    for candidate in candidates:
        if subscriptions.is_subscribed(session, candidate, user_id):
            return candidate
    return candidates[0]


def _recipients(session: Session, forum: ForumInfo) -> list[tuple[str, Language]]:
    """Who gets *forum*'s prompt: people of its workspace who switched it on and call it home."""
    platform = forum.platform.value
    users = session.scalars(
        select(UserPreference.user_id)
        .where(
            UserPreference.platform == platform,
            UserPreference.workspace_id == forum.workspace_id,
            UserPreference.logbook_prompts.is_(True),
        )
        .order_by(UserPreference.user_id)
    ).all()
    if not users:
        return []
    candidates = [
        other.id
        for other in forums.all_forums(session, forum.platform)
        if other.workspace_id == forum.workspace_id
    ]
    return [
        (
            user,
            preferences.language_of(session, platform, forum.workspace_id, user) or forum.language,
        )
        for user in users
        if _home_forum(session, forum, user, candidates) == forum.id
    ]


def send_prompts(publisher: Publisher, forum: ForumInfo, at: datetime) -> Result:
    """DM the reflection prompt of the period ending at *at* to each person who asked, once.

    The period is the one whose prompt moment is the latest at or before *at*. Statuses:
    ``too_late`` (more than ``CATCH_UP_PROMPT`` past), ``empty`` (nobody asked), ``posted``,
    ``already`` (everyone has it), ``busy`` (another worker holds someone's claim), ``failed``
    (retried later, only to those left), ``no_adapter``.
    """
    period = prompt_period(forum, at)
    key = period.key
    due = prompt_moment(forum, period)
    if at - due > CATCH_UP_PROMPT:
        return Result(forum.id, PROMPT, "too_late", key)
    with publisher.db.transaction() as session:
        readers = _recipients(session, forum)
        theme = cycles.theme_at(session, forum, period) if readers else None
    if not readers:
        return Result(forum.id, PROMPT, "empty", key)
    poster = publisher.posters.get(forum.platform)
    if poster is None:
        return Result(forum.id, PROMPT, "no_adapter", key, error=forum.platform.value)
    sent, held = 0, False
    for user, lang in readers:
        with publisher.db.transaction() as session:
            claim = claims.take(
                session,
                LogbookPrompt,
                {"forum_id": forum.id, "period": key, "user_id": user},
                now=publisher.clock(),
            )
        if claim.outcome is not claims.Outcome.ACQUIRED:
            held = held or claim.outcome is claims.Outcome.BUSY
            continue
        title = theme.title.get(lang) if theme else None
        try:
            poster.send_direct(forum, user, prompt_message(forum, lang, title))
        except RecipientGone as gone:
            log.warning("logbook prompt of forum %s not delivered (%s)", forum.id, gone.reason)
        except Exception as exc:
            log.error("logbook prompt of forum %s failed: %s", forum.id, type(exc).__name__)
            with publisher.db.transaction() as session:
                claims.settle(session, LogbookPrompt, claim, status="failed")
            return Result(forum.id, PROMPT, "failed", key, error=type(exc).__name__)
        else:
            sent += 1
        with publisher.db.transaction() as session:
            claims.settle(session, LogbookPrompt, claim, status="done", done_at=publisher.clock())
    if held:
        return Result(forum.id, PROMPT, "busy", key)
    return Result(forum.id, PROMPT, "posted" if sent else "already", key)
