"""Which forum a place belongs to, for every adapter.

Forums configured by ``LEDARFORUM_CHANNELS`` have workspace ``""``: their team is only learnt
when the platform first sends something from there, and :func:`forum_at` then moves the forum to
that workspace, once. A place's channel reference and name (Teams' service URLs move) are kept
up to date on the forum as they arrive.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Platform
from bot.inbound import Place
from bot.services import forums
from bot.storage.db import Database

log = logging.getLogger(__name__)

MAX_ROW_ID = 2**31 - 1  # ids a button or form may name (forums, contributions): an INTEGER


def forum_at(db: Database, place: Place) -> ForumInfo | None:
    """The active forum of the place's channel; a configured one without a workspace is adopted."""
    if not place.channel_id:
        return None
    with db.transaction() as session:
        return forum_in(session, place)


def forum_in(session: Session, place: Place) -> ForumInfo | None:
    """:func:`forum_at` within the caller's transaction (a batch resolves its places in one)."""
    if not place.channel_id:
        return None
    forum = forums.by_channel(session, place.platform, place.workspace_id, place.channel_id)
    if forum is None and place.workspace_id:
        orphan = forums.by_channel(
            session, place.platform, forums.UNKNOWN_WORKSPACE, place.channel_id
        )
        if orphan is None:
            return None
        actor = f"{place.platform.value}:{place.workspace_id}"
        if forums.adopt(session, orphan.id, place.workspace_id, actor=actor):
            log.info("forum %s adopted by workspace %s", orphan.id, place.workspace_id)
        # Adopted by this call or by another worker meanwhile: the workspace's now either way.
        forum = forums.by_channel(session, place.platform, place.workspace_id, place.channel_id)
    if forum is None:
        return None
    changes: dict[str, Any] = {}
    if place.ref is not None and forum.conversation_ref != dict(place.ref):
        changes["conversation_ref"] = dict(place.ref)
    if not forum.name and place.channel_name:
        changes["name"] = place.channel_name[:200]
    if changes:
        actor = f"{place.platform.value}:conversation"
        forum = forums.update(session, forum.id, actor=actor, **changes)
    return forum


def forum_by_id(db: Database, raw: object) -> ForumInfo | None:
    """The forum a button or form names by id (anyone's: an organiser check decides)."""
    forum_id = row_id(raw)
    if forum_id is None:
        return None
    with db.transaction() as session:
        return forums.get(session, forum_id)


def forum_named(db: Database, place: Place, raw: object) -> ForumInfo | None:
    """The forum a button or form names by id, when it belongs to the place's workspace."""
    forum = forum_by_id(db, raw)
    if forum is None or forum.platform is not place.platform:
        return None
    return forum if forum.workspace_id in (place.workspace_id, forums.UNKNOWN_WORKSPACE) else None


def adopt_all(db: Database, platform: Platform, workspace_id: str) -> None:
    """One workspace installed: every configured forum without a workspace is *workspace_id*'s."""
    if not workspace_id:
        return
    with db.transaction() as session:
        orphans = [
            forum
            for forum in forums.all_forums(session, platform)
            if forum.workspace_id == forums.UNKNOWN_WORKSPACE
        ]
    for orphan in orphans:
        forum_at(db, Place(platform, workspace_id, orphan.channel_id))


def row_id(raw: object) -> int | None:
    """A database id named by a button or form (a number or its ASCII digits); else None."""
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= MAX_ROW_ID:
        return raw
    return None
