"""Which forum a Slack payload belongs to, adopting forums configured before their team was known.

Forums created from ``LEDARFORUM_CHANNELS`` have workspace ``""``: the team id is only learnt when
Slack first sends something. :func:`resolve` then moves the forum to that team, once.
"""

from __future__ import annotations

import logging

from bot.domain import ForumInfo, Platform
from bot.services import forums
from bot.storage.db import Database

log = logging.getLogger(__name__)


def resolve(db: Database, team_id: str, channel_id: str) -> ForumInfo | None:
    """The active forum of (team, channel); a configured forum without a team is adopted."""
    if not channel_id:
        return None
    with db.transaction() as session:
        forum = forums.by_channel(session, Platform.SLACK, team_id, channel_id)
        if forum is not None or not team_id:
            return forum
        orphan = forums.by_channel(session, Platform.SLACK, forums.UNKNOWN_WORKSPACE, channel_id)
        if orphan is None:
            return None
        if forums.adopt(session, orphan.id, team_id, actor=f"slack:{team_id}"):
            log.info("forum %s adopted by workspace %s", orphan.id, team_id)
        # Adopted by this call or by another worker meanwhile: either way it is the team's now.
        return forums.by_channel(session, Platform.SLACK, team_id, channel_id)


def adopt_all(db: Database, team_id: str) -> None:
    """Single-workspace mode: every configured forum without a team belongs to *team_id*."""
    if not team_id:
        return
    with db.transaction() as session:
        orphans = [
            forum
            for forum in forums.all_forums(session, Platform.SLACK)
            if forum.workspace_id == forums.UNKNOWN_WORKSPACE
        ]
    for orphan in orphans:
        resolve(db, team_id, orphan.channel_id)
