"""Bolt listeners: each only records, opens a form or refuses, then acknowledges.

The slow work happens later in :mod:`handlers.slack.process`, from the durable inbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp

from handlers.slack.listeners import commands, events, interactions
from handlers.slack.listeners.context import Deps
from handlers.slack.listeners.middleware import organiser_gate

__all__ = ["Deps", "register"]


def register(app: AsyncApp, deps: Deps) -> None:
    """Connect every listener and the organiser check to *app*."""

    arrived = deps.arrived
    if arrived is not None:

        async def note_arrival(next: Callable[[], Awaitable[None]]) -> None:
            arrived()  # first, for both transports: the worker in this process gives way
            await next()

        app.middleware(note_arrival)
    app.middleware(organiser_gate(deps))
    events.register(app, deps)
    commands.register(app, deps)
    interactions.register(app, deps)
