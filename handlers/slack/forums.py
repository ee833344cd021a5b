"""Which forum a Slack payload belongs to, adopting forums configured before their team was known.

Forums created from ``LEDARFORUM_CHANNELS`` have workspace ``""``: the team id is only learnt when
Slack first sends something. :func:`resolve` then moves the forum to that team, once.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from bot.domain import ForumInfo, Platform
from bot.services import forums
from bot.storage.db import Database

log = logging.getLogger(__name__)

UNKNOWN_TEAM = ""


def resolve(db: Database, team_id: str, channel_id: str) -> ForumInfo | None:
    """The active forum of (team, channel); a configured forum without a team is adopted."""
    if not channel_id:
        return None
    with db.transaction() as session:
        forum = forums.by_channel(session, Platform.SLACK, team_id, channel_id)
        if forum is not None or not team_id:
            return forum
        orphan = forums.by_channel(session, Platform.SLACK, UNKNOWN_TEAM, channel_id)
    if orphan is None:
        return None
    try:
        with db.transaction() as session:
            adopted = forums.update(
                session, orphan.id, actor=f"slack:{team_id}", workspace_id=team_id
            )
    except IntegrityError:  # another worker adopted it (or created the team's forum) meanwhile
        with db.transaction() as session:
            return forums.by_channel(session, Platform.SLACK, team_id, channel_id)
    log.info("forum %s adopted by workspace %s", adopted.id, team_id)
    return adopted


def adopt_all(db: Database, team_id: str) -> None:
    """Single-workspace mode: every configured forum without a team belongs to *team_id*."""
    if not team_id:
        return
    with db.transaction() as session:
        orphans = [
            forum
            for forum in forums.all_forums(session, Platform.SLACK)
            if forum.workspace_id == UNKNOWN_TEAM
        ]
    for orphan in orphans:
        resolve(db, team_id, orphan.channel_id)
