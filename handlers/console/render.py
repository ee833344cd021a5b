"""Terminal rendering of neutral messages (buttons are not clickable, so they are left out)."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Actions, Message, plain_text


def render(message: Message) -> str:
    """A message as terminal text."""
    kept = tuple(element for element in message.elements if not isinstance(element, Actions))
    return plain_text(replace(message, elements=kept))
