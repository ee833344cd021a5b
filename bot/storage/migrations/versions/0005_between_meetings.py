"""between the meetings: logbooks, meetings, trends, cohorts and the year in review

- ``logbook_entries``: a person's private reflections, tied to a forum's theme period; nobody
  else reads them (not organisers, pages, stats or exports). ``logbook_prompts`` claims the
  end-of-period prompt per person, like every other once-only send.
- ``user_preferences.logbook_prompts``: a person's choice to get that prompt (off by default).
- ``meetings``: a forum's meetings (date, time, place or video link, agenda note); reminders and
  follow-ups are claimed as notices, and a reply in a follow-up thread becomes a good example
  marked with its meeting (``contributions.meeting_id``).
- Contributions get a ``kind`` (``practice`` or ``trend``), the link and its title for trends,
  and a count of the reactions people gave them (the year in review's most appreciated).
- Forums get a trend reaction, a cohort's name, start and end, the alumni rhythm after the end,
  the reunion month, and the month of the year in review.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "logbook_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("theme_key", sa.String(length=64), nullable=True),
        sa.Column("theme_title_sv", sa.String(length=200), nullable=True),
        sa.Column("theme_title_en", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("shared_contribution_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["forum_id"],
            ["forums.id"],
            name=op.f("fk_logbook_entries_forum_id_forums"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logbook_entries")),
        sa.UniqueConstraint(
            "platform", "workspace_id", "source_id", name=op.f("uq_logbook_entries_platform")
        ),
        sa.Index("ix_logbook_entries_owner", "platform", "workspace_id", "user_id", "created_at"),
    )
    op.create_table(
        "logbook_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_token", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["forum_id"],
            ["forums.id"],
            name=op.f("fk_logbook_prompts_forum_id_forums"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logbook_prompts")),
        sa.UniqueConstraint(
            "forum_id", "period", "user_id", name=op.f("uq_logbook_prompts_forum_id")
        ),
    )
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("logbook_prompts", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("followup_message_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["forum_id"],
            ["forums.id"],
            name=op.f("fk_meetings_forum_id_forums"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("forum_id", "starts_at", name=op.f("uq_meetings_forum_id")),
    )
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="practice")
        )
        batch_op.add_column(sa.Column("url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("url_title", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reactions", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("forums", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trend_reaction", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("cohort_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("cohort_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("cohort_end", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "alumni_rhythm", sa.String(length=16), nullable=False, server_default="quarterly"
            )
        )
        batch_op.add_column(sa.Column("reunion_month", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("review_month", sa.Integer(), nullable=False, server_default="6")
        )
    # -- REVIEW: who reacted to which stored example (a redelivered reaction counts once) --
    op.create_table(
        "contribution_reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("reaction", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_reactions_contribution_id_contributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_reactions")),
        sa.UniqueConstraint(
            "contribution_id",
            "user_id",
            "reaction",
            name=op.f("uq_contribution_reactions_contribution_id"),
        ),
    )
    # -- end REVIEW --


def downgrade() -> None:
    op.drop_table("contribution_reactions")  # REVIEW
    with op.batch_alter_table("forums", schema=None) as batch_op:
        for column in (
            "review_month",
            "reunion_month",
            "alumni_rhythm",
            "cohort_end",
            "cohort_start",
            "cohort_name",
            "trend_reaction",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        for column in ("reactions", "meeting_id", "url_title", "url", "kind"):
            batch_op.drop_column(column)
    op.drop_table("meetings")
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.drop_column("logbook_prompts")
    op.drop_table("logbook_prompts")
    op.drop_table("logbook_entries")
