"""Where things are in Teams: conversation references, thread ids and links to messages.

A forum's ``conversation_ref`` (stored on the forum row) is what proactive posts need after a
restart: the connector's service URL, the tenant, the team and the channel's conversation id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlencode

from bot.domain import ForumInfo

THREAD_MARK = ";messageid="
TEAMS_WEB = "https://teams.microsoft.com"


class NotConnected(LookupError):
    """A forum has no stored Teams conversation reference (it was not set up from Teams)."""


@dataclass(frozen=True)
class ConversationRef:
    """A Teams channel as proactive calls address it."""

    service_url: str
    tenant_id: str
    channel_id: str
    team_id: str | None = None
    group_id: str | None = None  # the team's Entra group id: deep links need it

    def as_dict(self) -> dict[str, Any]:
        """What is stored in ``forums.conversation_ref``."""
        return asdict(self)

    @classmethod
    def of(cls, forum: ForumInfo) -> ConversationRef:
        """The stored reference of *forum*; :class:`NotConnected` when it has none."""
        ref = forum.conversation_ref or {}
        service_url, tenant = ref.get("service_url"), ref.get("tenant_id")
        if not isinstance(service_url, str) or not isinstance(tenant, str) or not service_url:
            raise NotConnected(f"forum {forum.id} has no Teams conversation reference")
        team, group = ref.get("team_id"), ref.get("group_id")
        return cls(
            service_url=service_url,
            tenant_id=tenant,
            channel_id=str(ref.get("channel_id") or forum.channel_id),
            team_id=team if isinstance(team, str) else None,
            group_id=group if isinstance(group, str) else None,
        )


def split_thread(conversation_id: str) -> tuple[str, str | None]:
    """A conversation id as (channel, thread root): ``"19:x;messageid=1"`` → ``("19:x", "1")``."""
    channel, _, root = conversation_id.partition(THREAD_MARK)
    return channel, root or None


def in_thread(channel_id: str, root_id: str) -> str:
    """The conversation id of the thread under *root_id* in a channel."""
    return f"{channel_id}{THREAD_MARK}{root_id}"


def message_link(ref: ConversationRef, message_id: str, root_id: str | None = None) -> str:
    """A deep link that opens a channel message (a reply: within its thread) in Teams."""
    params = {"tenantId": ref.tenant_id, "parentMessageId": root_id or message_id}
    if ref.group_id:
        params["groupId"] = ref.group_id
    return f"{TEAMS_WEB}/l/message/{quote(ref.channel_id, safe='')}/{message_id}?" + urlencode(
        params
    )
