"""The organisers' and leaders' web pages, served by the same HTTP server as the bot.

:func:`site_routes` gathers every page's routes; each module owns one part of the site:
``auth`` (sign-in, sessions, CSRF, who may see what), ``pages`` (a forum's year, library,
downloads, participation), ``editor`` (the cycle editor), ``feeds`` (the calendar feed and the
year wheel as a picture). Templates are in ``templates/``, the one stylesheet in ``static/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.core import Core

STATIC_DIR = Path(__file__).parent / "static"
# Machines read these answers; a person never sees them in a browser.
_NOT_PAGES = ("/slack/", "/api/", "/healthz", "/readyz", "/metrics", "/calendar/", "/static/")
ErrorPage = Callable[[Request, Exception], Awaitable[Response]]


def site_routes(core: Core) -> list[BaseRoute]:
    """Every route of the web pages (imported here: a process without pages never loads Jinja2)."""
    from handlers.site import auth, editor, feeds, pages
    from handlers.site.templating import Pages

    view = Pages(core)
    routes: list[BaseRoute] = [Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")]
    for module in (auth, pages, editor, feeds):
        routes += module.routes(core, view)
    return routes


def error_page(core: Core) -> ErrorPage:
    """An ``HTTPException`` handler: a translated page for people, plain text for machines.

    Redirects (a sign-in that is needed) keep their status and ``Location``.
    """
    from handlers.site.templating import Pages

    view = Pages(core)

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if 300 <= exc.status_code < 400 or request.url.path.startswith(_NOT_PAGES):
            return PlainTextResponse(exc.detail, exc.status_code, headers=headers)
        response = view.render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status=exc.status_code,
        )
        response.headers.update(headers)
        return response

    return handle
