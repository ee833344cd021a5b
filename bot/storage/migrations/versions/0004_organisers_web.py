"""the organisers' web pages: sign-in, calendar feeds, theme keys, search

- ``app_secrets`` keeps a generated key (cookies, sign-in links) shared by every instance.
- ``signin_links`` are one-time sign-in links (a hash of the token, never the token).
- ``calendar_feeds`` are a forum's unguessable, revocable iCalendar URLs.
- ``web_identities`` ties a platform account to the account a browser signs in with where the two
  differ (Teams: the bot sees ``29:…`` ids, Entra ID signs in the directory object id).
- Themes get a stable ``key`` and the keys they ``follow`` (an organiser's explicit link to an
  earlier theme); contributions record the key of their theme, so a theme that comes back finds
  last year's examples.
- Forums remember the channel's member count (for the share of members who took part).
- Full-text search over contributions: a GIN index of the Swedish and English vectors on
  PostgreSQL, an FTS5 table kept by triggers on SQLite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The search vector: Swedish and English stems of the text (a leader writes either language).
PG_VECTOR = "(to_tsvector('swedish', text) || to_tsvector('english', text))"

# SQLite: an external-content FTS5 table; å, ä and ö stay letters of their own (no folding).
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS contributions_fts USING fts5("
    "text, content='contributions', content_rowid='id', "
    'tokenize="unicode61 remove_diacritics 0")',
    "CREATE TRIGGER IF NOT EXISTS contributions_fts_insert AFTER INSERT ON contributions BEGIN "
    "INSERT INTO contributions_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS contributions_fts_delete AFTER DELETE ON contributions BEGIN "
    "INSERT INTO contributions_fts(contributions_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS contributions_fts_update AFTER UPDATE OF text ON contributions "
    "BEGIN INSERT INTO contributions_fts(contributions_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO contributions_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO contributions_fts(contributions_fts) VALUES ('rebuild')",
)
_SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS contributions_fts_insert",
    "DROP TRIGGER IF EXISTS contributions_fts_delete",
    "DROP TRIGGER IF EXISTS contributions_fts_update",
    "DROP TABLE IF EXISTS contributions_fts",
)


def create_search(bind: sa.engine.Connection) -> None:
    """The full-text index of contributions for this backend."""
    if bind.dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_contributions_search ON contributions "
            f"USING gin ({PG_VECTOR})"
        )
    elif bind.dialect.name == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)


def drop_search(bind: sa.engine.Connection) -> None:
    """Remove what :func:`create_search` made."""
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_contributions_search")
    elif bind.dialect.name == "sqlite":
        for statement in _SQLITE_FTS_DROP:
            op.execute(statement)


# THEMES helper's block: examples saved before theme keys existed get the key made from the
# Swedish title they were saved under, so the library's filter by key finds them too. The slug
# rule is bot.domain.theme_slug as of this revision, copied so that later changes to it do not
# change what this migration did.
_SLUG_RUN = re.compile(r"[^a-z0-9]+")


def _slug(title: str) -> str:
    decomposed = unicodedata.normalize("NFKD", title.lower())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SLUG_RUN.sub("-", folded).strip("-")[:64].rstrip("-")


def _backfill_theme_keys(bind: sa.engine.Connection) -> None:
    contributions = sa.table(
        "contributions", sa.column("theme_title_sv", sa.String), sa.column("theme_key", sa.String)
    )
    unkeyed = contributions.c.theme_key.is_(None)
    titles = bind.scalars(
        sa.select(contributions.c.theme_title_sv)
        .where(unkeyed, contributions.c.theme_title_sv.is_not(None))
        .distinct()
    ).all()
    for title in titles:
        if key := _slug(title or ""):
            bind.execute(
                sa.update(contributions)
                .where(unkeyed, contributions.c.theme_title_sv == title)
                .values(theme_key=key)
            )


def upgrade() -> None:
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_secrets")),
    )
    op.create_table(
        "signin_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signin_links_token_hash")),
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["forum_id"],
            ["forums.id"],
            name=op.f("fk_calendar_feeds_forum_id_forums"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feeds_token")),
    )
    op.create_table(
        "web_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("signin_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_identities")),
        sa.UniqueConstraint(
            "platform", "workspace_id", "user_id", name=op.f("uq_web_identities_platform")
        ),
        sa.Index("ix_web_identities_signin", "platform", "workspace_id", "signin_id"),
    )
    with op.batch_alter_table("themes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("follows", sa.JSON(), nullable=True))
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_contributions_forum_theme", ["forum_id", "theme_key"])
    _backfill_theme_keys(op.get_bind())
    with op.batch_alter_table("forums", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("member_count_at", sa.DateTime(), nullable=True))
    create_search(op.get_bind())


def downgrade() -> None:
    drop_search(op.get_bind())
    with op.batch_alter_table("forums", schema=None) as batch_op:
        batch_op.drop_column("member_count_at")
        batch_op.drop_column("member_count")
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index("ix_contributions_forum_theme")
        batch_op.drop_column("theme_key")
    with op.batch_alter_table("themes", schema=None) as batch_op:
        batch_op.drop_column("follows")
        batch_op.drop_column("key")
    op.drop_table("web_identities")
    op.drop_table("calendar_feeds")
    op.drop_table("signin_links")
    op.drop_table("app_secrets")
