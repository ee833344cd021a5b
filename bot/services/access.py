"""Who may see a forum on the web pages.

A person sees the forums of their own platform and workspace (Slack team, Teams tenant, the
console's one workspace); a configured organiser (``LEDARFORUM_ORGANISERS``) sees every forum.
A forum whose workspace is not known yet (``""``: a channel from ``LEDARFORUM_CHANNELS`` before
its first event) belongs to its platform's workspace, the same rule chat uses for organisers.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.domain import ForumInfo
from bot.services import forums

if TYPE_CHECKING:  # the dialogue imports the services; the services need only the type
    from bot.dialogue import Actor


def may_see(actor: Actor, forum: ForumInfo, configured_organisers: Collection[str]) -> bool:
    """True when *actor* may read *forum*'s pages."""
    if actor.user_id in configured_organisers:
        return True
    return forum.platform is actor.platform and forum.workspace_id in ("", actor.workspace_id)


def visible_forums(
    session: Session, actor: Actor, configured_organisers: Collection[str]
) -> list[ForumInfo]:
    """Every forum *actor* may read, in the order of their ids."""
    shown = [
        forum
        for forum in forums.all_forums(session)
        if may_see(actor, forum, configured_organisers)
    ]
    return sorted(shown, key=lambda forum: forum.id)
