"""The audit log: every change to a cycle or a forum, with who, when, before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
    forum_id: int | None = None,
) -> None:
    """Write one audit entry in the caller's transaction (so it commits with the change)."""
    session.add(
        AuditEntry(
            actor=actor, action=action, target=target, before=before, after=after, forum_id=forum_id
        )
    )


def recent(session: Session, limit: int = 50, *, forum_id: int | None = None) -> list[AuditEntry]:
    """The latest entries (of one forum, when *forum_id* is given), newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if forum_id is not None:
        query = query.where(AuditEntry.forum_id == forum_id)
    return list(session.scalars(query))


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    """One entry as plain data (what ``ledarforum audit --format json`` prints)."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "forum_id": entry.forum_id,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    }
