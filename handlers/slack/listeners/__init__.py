"""Bolt listeners: each only records, opens a form or refuses, then acknowledges.

The slow work happens later in :mod:`handlers.slack.process`, from the durable inbox.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from handlers.slack.listeners import commands, events, interactions
from handlers.slack.listeners.context import Deps
from handlers.slack.listeners.middleware import organiser_gate

__all__ = ["Deps", "register"]


def register(app: App, deps: Deps) -> None:
    """Connect every listener and the organiser check to *app*."""

    def note_arrival(next: Callable[[], None]) -> None:
        deps.arrived()  # first, for both transports: the inbox worker gives way to acks
        next()

    app.middleware(note_arrival)
    app.middleware(organiser_gate(deps))
    events.register(app, deps)
    commands.register(app, deps)
    interactions.register(app, deps)
