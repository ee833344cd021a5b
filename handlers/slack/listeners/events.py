"""Events API listeners: thread replies, edits, deletions, reactions, direct messages (the app's
messages tab, where a person writes commands) and the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.slack.listeners.context import Deps, team_of

# Human messages that can carry a good practice; every other subtype is noise for us.
_CONTENT_SUBTYPES = {None, "thread_broadcast", "file_share"}
_FOLLOWED_SUBTYPES = {"message_changed", "message_deleted"}
_CHANNEL_TYPES = {"channel", "group"}


def wanted_message(event: dict[str, Any]) -> bool:
    """True for a person's thread reply in a channel, an edit or deletion there, or a person's
    new message to the bot in its messages tab (a command)."""
    subtype = event.get("subtype")
    if event.get("bot_id") or subtype == "bot_message":
        return False
    if event.get("channel_type") == "im":
        return subtype is None and bool(event.get("user"))
    if event.get("channel_type", "channel") not in _CHANNEL_TYPES:
        return False
    if subtype in _FOLLOWED_SUBTYPES:
        return not (event.get("message") or {}).get("bot_id")
    thread_ts = event.get("thread_ts")
    return subtype in _CONTENT_SUBTYPES and bool(thread_ts) and thread_ts != event.get("ts")


def register(app: AsyncApp, deps: Deps) -> None:
    """Connect the event listeners (Bolt acknowledges events when the listener returns)."""

    async def record_event(body: dict[str, Any]) -> None:
        await deps.record(team_of(body), str(body.get("event_id")), "event", body)

    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if wanted_message(event):
            await record_event(body)

    @app.event("reaction_added")
    async def on_reaction(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (event.get("item") or {}).get("type") == "message":
            await record_event(body)

    @app.event("reaction_removed")  # a stored example counts the people who appreciate it
    async def on_reaction_removed(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (event.get("item") or {}).get("type") == "message":
            await record_event(body)

    @app.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any]) -> None:
        await record_event(body)
