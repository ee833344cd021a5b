"""The SDK's activity routes connected to :class:`~handlers.teams.activities.Activities`.

Each listener only hands the typed activity to a worker thread: the work is synchronous (database,
dialogue, paced sends) and must never block the SDK's event loop, which the sends themselves need.
An exception becomes an HTTP 500, so Teams delivers the activity again; the inbox makes that safe.

No ``from __future__ import annotations`` here: the SDK checks the handlers' annotations at
registration, which needs them evaluated.
"""

import asyncio

from microsoft_teams.api import ConversationUpdateActivity
from microsoft_teams.api.activities.install_update import InstalledActivity
from microsoft_teams.api.activities.message import (
    MessageActivity,
    MessageDeleteActivity,
    MessageUpdateActivity,
)
from microsoft_teams.apps import ActivityContext, App

from handlers.teams.activities import Activities


def register_listeners(app: App, activities: Activities) -> None:
    """Route messages, edits, deletions and installations to *activities*."""

    @app.on_message
    async def on_message(ctx: ActivityContext[MessageActivity]) -> None:
        await asyncio.to_thread(activities.message, ctx.activity)

    @app.on_message_update
    async def on_message_update(ctx: ActivityContext[MessageUpdateActivity]) -> None:
        await asyncio.to_thread(activities.message_update, ctx.activity)

    @app.on_message_delete
    async def on_message_delete(ctx: ActivityContext[MessageDeleteActivity]) -> None:
        await asyncio.to_thread(activities.message_delete, ctx.activity)

    @app.on_conversation_update
    async def on_conversation_update(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        await asyncio.to_thread(activities.conversation_update, ctx.activity)

    @app.on_install_add
    async def on_install_add(ctx: ActivityContext[InstalledActivity]) -> None:
        await asyncio.to_thread(activities.installed, ctx.activity)
