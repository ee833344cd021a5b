"""Placeholder until its owner writes it (see handlers/site/__init__.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bot.core import Core
from handlers.site.templating import Pages


def routes(core: Core, view: Pages) -> list[BaseRoute]:
    """No routes yet."""
    return []


def viewer(request: object) -> None:
    """Nobody is signed in yet."""
    return None


def csrf_token(request: object) -> str:
    """No token yet."""
    return ""
