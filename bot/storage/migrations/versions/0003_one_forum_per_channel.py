"""one forum per channel, and what a year of use needs

- Twin forums of one channel (a configured channel's forum created again at every restart, once
  the first had learnt its workspace) are merged onto the older one: its posts, digests,
  contributions, subscriptions, organisers, own yearly cycle and audit entries; then one channel
  may have only one forum (``uq_forums_platform_channel``).
- Forums get a country (public holidays) and a posting day (the month's n-th working day).
- Contributions record who saved a message written by someone else; digests select by the moment
  an example was stored (index on ``recorded_at``).
- Inbox rows name the process that claimed them; processes renew a row in ``workers``.
- Digest DMs are claimed per recipient (``digest_deliveries``); subscriptions count permanent
  delivery failures and end after too many.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables keyed by forum, with the columns that must stay unique within one forum.
_PER_FORUM: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("theme_posts", ("period",)),
    ("digest_runs", ("moment",)),
    ("notices", ("kind", "key")),
    ("contributions", ("source_message_id",)),
    ("subscriptions", ("user_id",)),
)


def _move_rows(conn: Connection, table: str, keys: tuple[str, ...], keeper: int, twin: int) -> None:
    """Move *twin*'s rows onto *keeper*, keeping *keeper*'s where both have the same key."""
    same = " AND ".join(f"k.{key} = {table}.{key}" for key in keys)
    conn.execute(
        sa.text(
            f"UPDATE {table} SET forum_id = :keeper WHERE forum_id = :twin AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {table} k WHERE k.forum_id = :keeper AND {same})"
        ),
        {"keeper": keeper, "twin": twin},
    )
    conn.execute(
        sa.text(f"DELETE FROM {table} WHERE forum_id = :twin"),  # noqa: S608
        {"twin": twin},
    )


def _move_organisers(conn: Connection, keeper: int, twin: int) -> None:
    conn.execute(
        sa.text(
            "UPDATE organisers SET scope = :keeper WHERE scope = :twin AND NOT EXISTS "
            "(SELECT 1 FROM organisers k WHERE k.scope = :keeper AND k.platform = "
            "organisers.platform AND k.workspace_id = organisers.workspace_id "
            "AND k.user_id = organisers.user_id)"
        ),
        {"keeper": str(keeper), "twin": str(twin)},
    )
    conn.execute(sa.text("DELETE FROM organisers WHERE scope = :twin"), {"twin": str(twin)})


def _keep_own_cycle(conn: Connection, keeper: int, twins: list[int]) -> int | None:
    """The merged forum's own cycle: the keeper's, else the oldest twin's; the others go.

    A forum follows the cycle keyed ``forum:<id>``, so a twin's is re-keyed to the keeper; one
    left behind would be followed by whichever forum later gets the twin's id (SQLite reuses
    the highest free id).
    """
    order = [keeper, *twins]
    found = conn.execute(
        sa.text("SELECT id, key FROM cycles WHERE key IN :keys").bindparams(
            sa.bindparam("keys", expanding=True)
        ),
        {"keys": [f"forum:{forum_id}" for forum_id in order]},
    ).all()
    by_forum = {int(row.key.removeprefix("forum:")): int(row.id) for row in found}
    kept = next((by_forum[forum_id] for forum_id in order if forum_id in by_forum), None)
    for cycle_id in by_forum.values():
        if cycle_id != kept:
            # Foreign keys are off while migrating (see bot.storage.db.upgrade): no cascade.
            conn.execute(sa.text("DELETE FROM themes WHERE cycle_id = :id"), {"id": cycle_id})
            conn.execute(sa.text("DELETE FROM cycles WHERE id = :id"), {"id": cycle_id})
    if kept is not None:
        conn.execute(
            sa.text("UPDATE cycles SET key = :key WHERE id = :id"),
            {"key": f"forum:{keeper}", "id": kept},
        )
    return kept


def merge_twins(conn: Connection) -> int:
    """Merge every channel's forums onto its oldest; returns how many twins were merged.

    The oldest keeps its settings and, where both have a row of the same key (a period's theme
    post, a message, a subscriber), its own row. It takes the workspace a twin learnt if it had
    none, and stays active if any of them was.
    """
    rows = conn.execute(
        sa.text("SELECT id, platform, workspace_id, channel_id, active FROM forums ORDER BY id")
    ).all()
    groups: dict[tuple[str, str], list[sa.Row[tuple[int, str, str, str, bool]]]] = {}
    for row in rows:
        groups.setdefault((row.platform, row.channel_id), []).append(row)
    merged = 0
    for group in groups.values():
        if len(group) < 2:
            continue
        keeper, twins = group[0], group[1:]
        workspace = keeper.workspace_id or next(
            (t.workspace_id for t in twins if t.workspace_id), ""
        )
        for twin in twins:
            for table, keys in _PER_FORUM:
                _move_rows(conn, table, keys, keeper.id, twin.id)
            _move_organisers(conn, keeper.id, twin.id)
            conn.execute(
                sa.text("UPDATE audit_log SET forum_id = :keeper WHERE forum_id = :twin"),
                {"keeper": keeper.id, "twin": twin.id},
            )
            conn.execute(sa.text("DELETE FROM forums WHERE id = :twin"), {"twin": twin.id})
            merged += 1
        cycle_id = _keep_own_cycle(conn, keeper.id, [t.id for t in twins])
        conn.execute(
            sa.text(
                "UPDATE forums SET workspace_id = :ws, cycle_id = :cycle, active = :active "
                "WHERE id = :keeper"
            ),
            {
                "ws": workspace,
                "cycle": cycle_id,
                "active": any(bool(row.active) for row in group),
                "keeper": keeper.id,
            },
        )
        # A contribution carries its forum's workspace (forget-me and the export look it up by
        # that); one stored while its forum knew none gets the workspace learnt since.
        conn.execute(
            sa.text(
                "UPDATE contributions SET workspace_id = :ws "
                "WHERE forum_id = :keeper AND workspace_id = ''"
            ),
            {"ws": workspace, "keeper": keeper.id},
        )
        conn.execute(
            sa.text(
                'INSERT INTO audit_log (at, actor, action, forum_id, target, "before", "after") '
                "VALUES (:at, 'migration:0003', 'forum.merge', :keeper, :target, NULL, NULL)"
            ),
            {
                # Naive UTC, as the application stores every moment.
                "at": datetime.now(UTC).replace(tzinfo=None),
                "keeper": keeper.id,
                "target": ",".join(str(t.id) for t in twins),
            },
        )
    return merged


def upgrade() -> None:
    merge_twins(op.get_bind())
    with op.batch_alter_table("forums", schema=None) as batch_op:
        batch_op.drop_constraint("uq_forums_platform", type_="unique")
        batch_op.create_unique_constraint("uq_forums_platform_channel", ["platform", "channel_id"])
        batch_op.add_column(
            sa.Column("country", sa.String(length=2), nullable=False, server_default="SE")
        )
        batch_op.add_column(
            sa.Column("theme_day", sa.Integer(), nullable=False, server_default="1")
        )

    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("saved_by_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("saved_by_name", sa.String(length=255), nullable=True))
        batch_op.create_index(
            "ix_contributions_forum_recorded", ["forum_id", "recorded_at"], unique=False
        )

    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))

    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )

    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.String(length=64), nullable=True))

    op.create_table(
        "digest_deliveries",
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("moment", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_token", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["forum_id"],
            ["forums.id"],
            name=op.f("fk_digest_deliveries_forum_id_forums"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_deliveries")),
        sa.UniqueConstraint(
            "forum_id", "moment", "user_id", name=op.f("uq_digest_deliveries_forum_id")
        ),
    )

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_forum_at", ["forum_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_forum_at")
    op.drop_table("digest_deliveries")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
        batch_op.drop_column("ended_at")
        batch_op.drop_column("failures")
    op.drop_table("workers")
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index("ix_contributions_forum_recorded")
        batch_op.drop_column("saved_by_name")
        batch_op.drop_column("saved_by_id")
    with op.batch_alter_table("forums", schema=None) as batch_op:
        batch_op.drop_column("theme_day")
        batch_op.drop_column("country")
        batch_op.drop_constraint("uq_forums_platform_channel", type_="unique")
        batch_op.create_unique_constraint(
            "uq_forums_platform", ["platform", "workspace_id", "channel_id"]
        )
