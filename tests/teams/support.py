"""Activity JSON as Teams sends it, and a client that posts it to the bot's ``/api/messages``."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx

TENANT = "72f988bf-0000-4000-8000-00000000t001"
TEAM = "19:team-general@thread.tacv2"
GROUP = "0c7e5d4a-0000-4000-8000-00000000g001"
CHANNEL = "19:forum-channel@thread.tacv2"
BOT_ID = "28:ledarforum-bot"
ORGANISER = "aad-organiser"
LEADER = "aad-leader"

_ids = itertools.count(1_700_000_000_000)


def next_id() -> str:
    """A fresh activity id (Teams' ids are millisecond timestamps)."""
    return str(next(_ids))


def teams_id(aad: str) -> str:
    """The fake connector's Teams (MRI) id of a user known by Entra object id."""
    return f"29:{aad}"


def _base(
    service_url: str,
    kind: str,
    *,
    user: str,
    name: str,
    conversation: dict[str, Any],
    channel_data: dict[str, Any] | None,
    activity_id: str | None,
    timestamp: datetime | None,
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": kind,
        "id": activity_id or next_id(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": teams_id(user), "aadObjectId": user, "name": name},
        "recipient": {"id": BOT_ID, "name": "Ledarforum"},
        "conversation": conversation,
        "locale": "sv-SE",
    }
    if timestamp is not None:
        activity["timestamp"] = timestamp.isoformat()
    if channel_data is not None:
        activity["channelData"] = channel_data
    return activity


def _channel_data(channel: str = CHANNEL) -> dict[str, Any]:
    return {
        "tenant": {"id": TENANT},
        "team": {"id": TEAM, "name": "Skolledningen", "aadGroupId": GROUP},
        "channel": {"id": channel, "name": "Ledarforum"},
    }


def channel_message(
    service_url: str,
    text: str = "",
    *,
    user: str = LEADER,
    name: str = "Lea Ledare",
    root: str | None = None,
    mention: bool = True,
    activity_id: str | None = None,
    timestamp: datetime | None = None,
    value: dict[str, Any] | None = None,
    channel: str = CHANNEL,
) -> dict[str, Any]:
    """A message in the forum channel (in the thread under *root*, if given)."""
    conversation_id = f"{channel};messageid={root}" if root else channel
    activity = _base(
        service_url,
        "message",
        user=user,
        name=name,
        conversation={
            "id": conversation_id,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT,
        },
        channel_data=_channel_data(channel),
        activity_id=activity_id,
        timestamp=timestamp,
    )
    activity["text"] = f"<at>Ledarforum</at> {text}" if mention else text
    activity["textFormat"] = "plain"
    if mention:
        activity["entities"] = [
            {
                "type": "mention",
                "text": "<at>Ledarforum</at>",
                "mentioned": {"id": BOT_ID, "name": "Ledarforum"},
            }
        ]
    if root:
        activity["replyToId"] = root
    if value is not None:
        activity["value"] = value
        activity["text"] = ""
        activity.pop("entities", None)
    return activity


def personal_message(
    service_url: str,
    text: str = "",
    *,
    user: str = LEADER,
    name: str = "Lea Ledare",
    value: dict[str, Any] | None = None,
    activity_id: str | None = None,
) -> dict[str, Any]:
    """A message in the person's 1:1 chat with the bot."""
    activity = _base(
        service_url,
        "message",
        user=user,
        name=name,
        conversation={"id": f"a:chat-{user}", "conversationType": "personal", "tenantId": TENANT},
        channel_data={"tenant": {"id": TENANT}},
        activity_id=activity_id,
        timestamp=None,
    )
    activity["text"] = text
    if value is not None:
        activity["value"] = value
    return activity


def bot_added(
    service_url: str, *, user: str = ORGANISER, activity_id: str | None = None
) -> dict[str, Any]:
    """The bot added to the team (a ``conversationUpdate`` in the General channel)."""
    activity = _base(
        service_url,
        "conversationUpdate",
        user=user,
        name="Olle Organisatör",
        conversation={
            "id": TEAM,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT,
        },
        channel_data={**_channel_data(TEAM), "eventType": "teamMemberAdded"},
        activity_id=activity_id,
        timestamp=None,
    )
    activity["membersAdded"] = [{"id": BOT_ID}]
    return activity


def message_update(service_url: str, message_id: str, text: str, *, root: str) -> dict[str, Any]:
    """An edit of a channel message in the thread under *root*."""
    activity = channel_message(service_url, text, root=root, mention=False, activity_id=message_id)
    activity["type"] = "messageUpdate"
    activity["channelData"]["eventType"] = "editMessage"
    activity["timestamp"] = datetime.now().astimezone().isoformat()
    return activity


def message_delete(service_url: str, message_id: str, *, root: str) -> dict[str, Any]:
    """A deletion of a channel message in the thread under *root*."""
    activity = channel_message(service_url, "", root=root, mention=False, activity_id=message_id)
    activity["type"] = "messageDelete"
    activity["channelData"]["eventType"] = "softDeleteMessage"
    activity.pop("text", None)
    return activity


class BotClient:
    """Posts activities to the bot over HTTP, as the Teams service does."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def send(self, activity: dict[str, Any], **headers: str) -> httpx.Response:
        """POST *activity* to ``/api/messages``."""
        return self.http.post("/api/messages", json=activity, headers=headers)

    def close(self) -> None:
        """Release the connection pool."""
        self.http.close()
