"""SQLAlchemy 2 models. Unique constraints carry the "never twice" rules, not only the code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in code, UTC in the database (SQLite keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them on SQLite too)."""

    metadata = MetaData(naming_convention=NAMING)


class Cycle(Base):
    """A yearly cycle: the default one (key ``default``) or a forum's own (``forum:<id>``)."""

    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    themes: Mapped[list[Theme]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="Theme.month"
    )


class Theme(Base):
    """One month's theme in a cycle."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("cycle_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    month: Mapped[int] = mapped_column(Integer)
    title_sv: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    why_now_sv: Mapped[str] = mapped_column(Text)
    why_now_en: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    delivery_sv: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivery_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # A stable name for the theme across years; None means "the slug of the Swedish title".
    key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Keys of earlier themes this one continues (an organiser's explicit link).
    follows: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    cycle: Mapped[Cycle] = relationship(back_populates="themes")


class Forum(Base):
    """A channel on a platform where the dialogue happens."""

    __tablename__ = "forums"
    # One channel, one forum: a configured channel's forum learns its workspace later, so the
    # workspace is not part of the rule (Slack and Teams channel ids are unique on their own).
    __table_args__ = (
        UniqueConstraint("platform", "channel_id", name="uq_forums_platform_channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    channel_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(2), default="sv")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    country: Mapped[str] = mapped_column(String(2), default="SE")
    theme_day: Mapped[int] = mapped_column(Integer, default=1)
    theme_time: Mapped[str] = mapped_column(String(5), default="09:00")
    digest_weekday: Mapped[int] = mapped_column(Integer, default=4)
    digest_time: Mapped[str] = mapped_column(String(5), default="14:00")
    cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="SET NULL"), nullable=True
    )
    reaction: Mapped[str] = mapped_column(String(64), default="bulb")
    empty_digest_note: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reminder_after_days: Mapped[int] = mapped_column(Integer, default=10)
    preview_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retention_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The channel's member count when last asked (the share of members who took part).
    member_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    member_count_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Trends: the reaction that stores a shared link as a trend (None: the command and form only).
    trend_reaction: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A cohort of a leadership programme: after its end it goes on in the alumni rhythm.
    cohort_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cohort_start: Mapped[date | None] = mapped_column(Date(), nullable=True)
    cohort_end: Mapped[date | None] = mapped_column(Date(), nullable=True)
    alumni_rhythm: Mapped[str] = mapped_column(String(16), default="quarterly")
    reunion_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_month: Mapped[int] = mapped_column(Integer, default=6)  # the year in review's month
    conversation_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)


class Contribution(Base):
    """A good practice: stored once per source message, tied to the theme period it was made in."""

    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint("forum_id", "source_message_id"),
        Index("ix_contributions_forum_created", "forum_id", "created_at"),
        Index("ix_contributions_forum_recorded", "forum_id", "recorded_at"),
        Index("ix_contributions_author", "platform", "workspace_id", "author_id"),
        Index("ix_contributions_forum_theme", "forum_id", "theme_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    period: Mapped[str] = mapped_column(String(7))
    theme_title_sv: Mapped[str | None] = mapped_column(String(200), nullable=True)
    theme_title_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    theme_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    author_id: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str] = mapped_column(String(255))
    saved_by_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    saved_by_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(255))
    source_message_id: Mapped[str] = mapped_column(String(255))
    permalink: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    kind: Mapped[str] = mapped_column(String(16), default="practice")  # or "trend"
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)  # a trend's link
    url_title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    meeting_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a meeting's take-away
    reactions: Mapped[int] = mapped_column(Integer, default=0)  # how many people appreciated it


# -- REVIEW (issue 14): who reacted to a stored example, so a redelivered event counts once ---
class ContributionReaction(Base):
    """One person's reaction (an emoji, a Teams like) on a stored example's message.

    ``Contribution.reactions`` is the number of distinct people here; a person with two emojis
    counts once, and taking one back keeps them counted while the other stays.
    """

    __tablename__ = "contribution_reactions"
    __table_args__ = (UniqueConstraint("contribution_id", "user_id", "reaction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    reaction: Mapped[str] = mapped_column(String(64))


# -- end REVIEW --------------------------------------------------------------------------------


class ClaimColumns:
    """What every exactly-once claim row has (see ``bot.services.claims``)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    claim_token: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class ThemePost(ClaimColumns, Base):
    """The claim and record of one theme post per forum and period."""

    __tablename__ = "theme_posts"
    __table_args__ = (UniqueConstraint("forum_id", "period"),)

    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    permalink: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DigestRun(ClaimColumns, Base):
    """The claim and record of one digest per forum and digest moment (all of its parts)."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("forum_id", "moment"),)

    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    moment: Mapped[datetime] = mapped_column(UTCDateTime())
    parts_posted: Mapped[int] = mapped_column(Integer, default=0)
    dms_sent: Mapped[int] = mapped_column(Integer, default=0)
    contribution_count: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Notice(ClaimColumns, Base):
    """A once-only side job of a forum (a reminder, a theme preview, a retention run) by key."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("forum_id", "kind", "key"),)

    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InboundEvent(Base):
    """A platform event or submission, recorded durably before it is acknowledged."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "event_id"),
        Index("ix_inbound_events_status", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    event_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Worker(Base):
    """A running process that claims inbox rows; it renews ``renewed_at`` while it lives."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)


class Subscription(Base):
    """A person who wants a forum's weekly digest by direct message."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("forum_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    # Permanent delivery failures in a row; after too many the subscription is ended (not deleted,
    # so organisers can see it in the stats).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DigestDelivery(ClaimColumns, Base):
    """The claim and record of one digest DM to one subscriber for one digest moment."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("forum_id", "moment", "user_id"),)

    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    moment: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[str] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Organiser(Base):
    """Who may administer a forum (``scope`` is a forum id, or ``*`` for every forum)."""

    __tablename__ = "organisers"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "user_id", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(32), default="*")
    added_by: Mapped[str] = mapped_column(String(255), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)


class LogbookEntry(Base):
    """A private reflection: only its writer ever reads it (and their data export)."""

    __tablename__ = "logbook_entries"
    __table_args__ = (
        UniqueConstraint(
            "platform", "workspace_id", "source_id", name="uq_logbook_entries_platform"
        ),
        Index("ix_logbook_entries_owner", "platform", "workspace_id", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(255))
    forum_id: Mapped[int | None] = mapped_column(
        ForeignKey("forums.id", ondelete="SET NULL"), nullable=True
    )
    period: Mapped[str] = mapped_column(String(7))
    theme_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    theme_title_sv: Mapped[str | None] = mapped_column(String(200), nullable=True)
    theme_title_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    source_id: Mapped[str] = mapped_column(String(255))  # the command or form that wrote it, once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    shared_contribution_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class LogbookPrompt(ClaimColumns, Base):
    """The claim and record of one end-of-period reflection prompt to one person."""

    __tablename__ = "logbook_prompts"
    __table_args__ = (UniqueConstraint("forum_id", "period", "user_id"),)

    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    user_id: Mapped[str] = mapped_column(String(255))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Meeting(Base):
    """One of a forum's meetings; its reminder and follow-up are claimed as notices."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("forum_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(Integer, default=90)
    place: Mapped[str] = mapped_column(String(500), default="")
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    agenda: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    followup_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)


class UserPreference(Base):
    """A person's own choices (language for private answers)."""

    __tablename__ = "user_preferences"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    logbook_prompts: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)


class AuditEntry(Base):
    """Every change to a cycle or a forum: who, when, before, after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_forum_at", "forum_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    forum_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target: Mapped[str] = mapped_column(String(255), default="")
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


class AppSecret(Base):
    """A generated secret shared by every instance (the web key when none is configured)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)


class SigninLink(Base):
    """A one-time sign-in link: the hash of its token, whom it signs in, until when."""

    __tablename__ = "signin_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CalendarFeed(Base):
    """A forum's calendar feed URL token; renewing revokes the old one."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebIdentity(Base):
    """The id a person signs in to the web pages with, for their platform account."""

    __tablename__ = "web_identities"
    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "user_id", name="uq_web_identities_platform"),
        Index("ix_web_identities_signin", "platform", "workspace_id", "signin_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(255))
    signin_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)


# The tables of slack_sdk's SQLAlchemy OAuth stores (installs per workspace, install states),
# declared here with the same columns so our migrations create them and stay in step with them.
slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False, default=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, nullable=False, default=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
