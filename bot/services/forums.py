"""Forums: channels on a platform, each with its language, time zone, moments and cycle."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy import update as update_rows
from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Language, Platform
from bot.services import audit
from bot.services.sql import insert_ignore
from bot.storage.models import Forum
from bot.timing import Moments, parse_clock

# The settings organisers change (admin settings, ``ledarforum forum set``), in form order.
SETTINGS: tuple[str, ...] = (
    "language",
    "timezone",
    "country",
    "theme_day",
    "theme_time",
    "digest_weekday",
    "digest_time",
    "reaction",
    "trend_reaction",  # stores a message's link as a trend (bot.services.trends)
    "empty_digest_note",
    "reminder_threshold",
    "reminder_after_days",
    "preview_days",
    "retention_years",
    "review_month",  # the year in review (bot.services.review)
    # A cohort of a programme and its alumni rhythm after the end (bot.services.cohorts).
    "cohort_name",
    "cohort_start",
    "cohort_end",
    "alumni_rhythm",
    "reunion_month",
)
EDITABLE = ("name", *SETTINGS, "conversation_ref", "active")


# The workspace of a forum configured by channel id before any event told its team.
UNKNOWN_WORKSPACE = ""


def to_info(row: Forum) -> ForumInfo:
    """A detached snapshot of a forum row."""
    return ForumInfo(
        id=row.id,
        platform=Platform(row.platform),
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        name=row.name,
        language=cast(Language, row.language),
        timezone=row.timezone,
        theme_time=row.theme_time,
        digest_weekday=row.digest_weekday,
        digest_time=row.digest_time,
        reaction=row.reaction,
        empty_digest_note=row.empty_digest_note,
        reminder_threshold=row.reminder_threshold,
        reminder_after_days=row.reminder_after_days,
        preview_days=row.preview_days,
        retention_years=row.retention_years,
        conversation_ref=row.conversation_ref,
        country=row.country,
        theme_day=row.theme_day,
        trend_reaction=row.trend_reaction,
        cohort_name=row.cohort_name,
        cohort_start=row.cohort_start,
        cohort_end=row.cohort_end,
        alumni_rhythm=row.alumni_rhythm,
        reunion_month=row.reunion_month,
        review_month=row.review_month,
    )


def moments(forum: ForumInfo) -> Moments:
    """The forum's posting moments."""
    return Moments(
        timezone=forum.timezone,
        theme_time=parse_clock(forum.theme_time),
        digest_weekday=forum.digest_weekday,
        digest_time=parse_clock(forum.digest_time),
        country=forum.country,
        theme_day=forum.theme_day,
    )


def ensure_forum(
    session: Session,
    platform: Platform,
    workspace_id: str,
    channel_id: str,
    *,
    language: Language,
    timezone: str,
    name: str = "",
    actor: str = "system",
) -> tuple[ForumInfo, bool]:
    """The forum of a channel, created with the given defaults if the channel has none yet.

    A channel has one forum whatever workspace id the caller knows: a configured channel's forum
    is created with workspace ``""`` and keeps its row when it later learns its workspace, so a
    restart (or a cron command) finds it instead of creating a twin. The database holds the rule
    (one forum per platform and channel), so two processes starting at once cannot both create.
    """
    created = insert_ignore(
        session,
        Forum,
        {
            "platform": platform.value,
            "workspace_id": workspace_id,
            "channel_id": channel_id,
            "name": name,
            "language": language,
            "timezone": timezone,
        },
        ["platform", "channel_id"],
    )
    row = session.scalars(
        select(Forum).where(Forum.platform == platform.value, Forum.channel_id == channel_id)
    ).one()
    if created:
        audit.record(
            session,
            actor=actor,
            action="forum.create",
            target=f"{platform.value}:{workspace_id}:{channel_id}",
            after={"language": language, "timezone": timezone},
            forum_id=row.id,
        )
        return to_info(row), True
    if workspace_id and row.workspace_id == UNKNOWN_WORKSPACE:
        adopt(session, row.id, workspace_id, actor=actor)
        session.refresh(row)
    if not row.active:
        row.active = True
    return to_info(row), False


def adopt(session: Session, forum_id: int, workspace_id: str, *, actor: str) -> bool:
    """Give a configured forum (created before its workspace was known) its workspace, once.

    A compare-and-set: only a forum still without a workspace changes, so two workers adopting
    at once both end with the same forum. True when this call adopted it.
    """
    result = session.execute(
        update_rows(Forum)
        .where(Forum.id == forum_id, Forum.workspace_id == UNKNOWN_WORKSPACE)
        .values(workspace_id=workspace_id)
    )
    changed = getattr(result, "rowcount", 0)
    if changed:
        audit.record(
            session,
            actor=actor,
            action="forum.adopt",
            target=str(forum_id),
            before={"workspace_id": UNKNOWN_WORKSPACE},
            after={"workspace_id": workspace_id},
            forum_id=forum_id,
        )
    return bool(changed)


def by_channel(
    session: Session, platform: Platform, workspace_id: str, channel_id: str
) -> ForumInfo | None:
    """The active forum of a channel, if the channel is one."""
    row = session.scalars(
        select(Forum).where(
            Forum.platform == platform.value,
            Forum.workspace_id == workspace_id,
            Forum.channel_id == channel_id,
            Forum.active.is_(True),
        )
    ).first()
    return to_info(row) if row else None


def get(session: Session, forum_id: int) -> ForumInfo | None:
    """A forum by its own id."""
    row = session.get(Forum, forum_id)
    return to_info(row) if row else None


def find(session: Session, ref: str) -> ForumInfo | None:
    """A forum by its channel id, or by its own id (what ``--forum`` takes)."""
    row = session.scalars(
        select(Forum).where(Forum.channel_id == ref, Forum.active.is_(True)).order_by(Forum.id)
    ).first()
    if row is None and ref.isdigit():
        row = session.get(Forum, int(ref))
    return to_info(row) if row else None


def all_forums(session: Session, platform: Platform | None = None) -> list[ForumInfo]:
    """Every active forum, optionally of one platform."""
    query = select(Forum).where(Forum.active.is_(True)).order_by(Forum.id)
    if platform is not None:
        query = query.where(Forum.platform == platform.value)
    return [to_info(row) for row in session.scalars(query)]


def _as_json(values: dict[str, Any]) -> dict[str, Any]:
    # The audit log stores JSON: a cohort's dates go in as ISO 8601 text.
    return {key: v.isoformat() if isinstance(v, date) else v for key, v in values.items()}


def update(session: Session, forum_id: int, *, actor: str, **changes: Any) -> ForumInfo:
    """Change a forum's settings, audit-logged with before and after."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    row = session.get(Forum, forum_id)
    if row is None:
        raise LookupError(forum_id)
    before = {key: getattr(row, key) for key in changes}
    for key, value in changes.items():
        setattr(row, key, value)
    audit.record(
        session,
        actor=actor,
        action="forum.update",
        target=str(forum_id),
        before=_as_json(before),
        after=_as_json(changes),
        forum_id=forum_id,
    )
    session.flush()
    return to_info(row)
