"""The SDK's activity routes connected to :class:`~handlers.teams.activities.Activities`.

Each listener only hands the typed activity to a worker thread: the work is synchronous (database,
dialogue, paced sends) and must never block the SDK's event loop, which the sends themselves need.
An exception becomes an HTTP 500, so Teams delivers the activity again; the inbox makes that safe.
An activity another live process is working on gets a 503: Teams delivers it again later, when it
is done or its process is taken for gone, rather than take it for handled now.

No ``from __future__ import annotations`` here: the SDK checks the handlers' annotations at
registration, which needs them evaluated.
"""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from microsoft_teams.api import ConversationUpdateActivity, InvokeResponse
from microsoft_teams.api.activities.install_update import InstalledActivity
from microsoft_teams.api.activities.message import (
    MessageActivity,
    MessageDeleteActivity,
    MessageReactionActivity,
    MessageUpdateActivity,
)
from microsoft_teams.apps import ActivityContext, App

from bot.services.inbox import Busy
from handlers.teams.activities import Activities

A = TypeVar("A")
Answer = InvokeResponse[Any] | None  # None: the SDK's 200
BUSY = InvokeResponse[Any](status=503, body={"error": "being worked on; deliver it again"})


async def _work(handle: Callable[[A], None], activity: A) -> Answer:
    """Run *handle* off the event loop; a 503 when another live process has the activity."""
    try:
        await asyncio.to_thread(handle, activity)
    except Busy:
        return BUSY
    return None


def register_listeners(app: App, activities: Activities) -> None:
    """Route messages, edits, deletions and installations to *activities*."""

    @app.on_message
    async def on_message(ctx: ActivityContext[MessageActivity]) -> Answer:
        return await _work(activities.message, ctx.activity)

    @app.on_message_update
    async def on_message_update(ctx: ActivityContext[MessageUpdateActivity]) -> Answer:
        return await _work(activities.message_update, ctx.activity)

    @app.on_message_delete
    async def on_message_delete(ctx: ActivityContext[MessageDeleteActivity]) -> Answer:
        return await _work(activities.message_delete, ctx.activity)

    @app.on_message_reaction
    async def on_message_reaction(ctx: ActivityContext[MessageReactionActivity]) -> Answer:
        return await _work(activities.message_reaction, ctx.activity)

    @app.on_conversation_update
    async def on_conversation_update(ctx: ActivityContext[ConversationUpdateActivity]) -> Answer:
        return await _work(activities.conversation_update, ctx.activity)

    @app.on_install_add
    async def on_install_add(ctx: ActivityContext[InstalledActivity]) -> Answer:
        return await _work(activities.installed, ctx.activity)
