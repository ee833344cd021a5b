"""The organisers' and leaders' web pages, served by the same HTTP server as the bot.

:func:`site_routes` gathers every page's routes; each module owns one part of the site:
``auth`` (sign-in, sessions, CSRF, who may see what), ``pages`` (a forum's year, library,
downloads, participation), ``editor`` (the cycle editor), ``feeds`` (the calendar feed and the
year wheel as a picture). Templates are in ``templates/``, the one stylesheet in ``static/``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.core import Core

STATIC_DIR = Path(__file__).parent / "static"


def site_routes(core: Core) -> list[BaseRoute]:
    """Every route of the web pages (imported here: a process without pages never loads Jinja2)."""
    from handlers.site import auth, editor, feeds, pages
    from handlers.site.templating import Pages

    view = Pages(core)
    routes: list[BaseRoute] = [Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")]
    for module in (auth, pages, editor, feeds):
        routes += module.routes(core, view)
    return routes
