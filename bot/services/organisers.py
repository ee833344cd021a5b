"""Organisers: who may administer which forum. Checked on the server for every admin action."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.services import audit
from bot.services.sql import insert_ignore
from bot.storage.models import Organiser

EVERYWHERE = "*"


def is_organiser(
    session: Session,
    platform: str,
    workspace_id: str,
    user_id: str,
    forum_id: int | None,
    configured: Iterable[str] = (),
) -> bool:
    """True when the person may administer the forum (or any forum, for ``forum_id=None``).

    ``configured`` are the ids of ``LEDARFORUM_ORGANISERS``, organisers everywhere.
    """
    if user_id in set(configured):
        return True
    scopes = [EVERYWHERE] if forum_id is None else [EVERYWHERE, str(forum_id)]
    return (
        session.scalar(
            select(Organiser.id).where(
                Organiser.platform == platform,
                Organiser.workspace_id == workspace_id,
                Organiser.user_id == user_id,
                Organiser.scope.in_(scopes),
            )
        )
        is not None
    )


def add(
    session: Session,
    platform: str,
    workspace_id: str,
    user_id: str,
    forum_id: int,
    *,
    actor: str,
    configured: Iterable[str] = (),
) -> bool:
    """Make someone an organiser of a forum; True when they were not one before.

    Someone who already is one, of this forum or of every forum (stored with scope ``*``, or
    among the *configured*), is left as they are: nothing changed.
    """
    if is_organiser(session, platform, workspace_id, user_id, forum_id, configured):
        return False
    return _store(session, platform, workspace_id, user_id, str(forum_id), actor=actor)


def add_everywhere(session: Session, platform: str, workspace_id: str, user_id: str) -> bool:
    """Make someone an organiser of every forum of one workspace (whoever installed the app)."""
    return _store(session, platform, workspace_id, user_id, EVERYWHERE, actor="install")


def _store(
    session: Session, platform: str, workspace_id: str, user_id: str, scope: str, *, actor: str
) -> bool:
    added = insert_ignore(
        session,
        Organiser,
        {
            "platform": platform,
            "workspace_id": workspace_id,
            "user_id": user_id,
            "scope": scope,
            "added_by": actor,
        },
        ["platform", "workspace_id", "user_id", "scope"],
    )
    if added:
        forum_id = None if scope == EVERYWHERE else int(scope)
        audit.record(
            session, actor=actor, action="organiser.add", target=user_id, forum_id=forum_id
        )
    return added


def remove(
    session: Session, platform: str, workspace_id: str, user_id: str, forum_id: int, *, actor: str
) -> bool:
    """Remove someone as organiser of a forum; True when they were one."""
    result = session.execute(
        delete(Organiser).where(
            Organiser.platform == platform,
            Organiser.workspace_id == workspace_id,
            Organiser.user_id == user_id,
            Organiser.scope == str(forum_id),
        )
    )
    removed = bool(getattr(result, "rowcount", 0))
    if removed:
        audit.record(
            session, actor=actor, action="organiser.remove", target=user_id, forum_id=forum_id
        )
    return removed


def of_forum(session: Session, platform: str, workspace_id: str, forum_id: int) -> list[str]:
    """The organisers stored for a forum (including those of every forum in the workspace)."""
    return sorted(
        set(
            session.scalars(
                select(Organiser.user_id).where(
                    Organiser.platform == platform,
                    Organiser.workspace_id == workspace_id,
                    Organiser.scope.in_([EVERYWHERE, str(forum_id)]),
                )
            )
        )
    )


def is_last(
    session: Session, platform: str, workspace_id: str, user_id: str, forum_id: int
) -> bool:
    """True when *user_id* is the only organiser stored for the forum."""
    return of_forum(session, platform, workspace_id, forum_id) == [user_id]
