"""Signing in and out: the sign-in page, one-time links, Slack's and Microsoft's round trips.

The sessions these start, the CSRF check and the access rule are in :mod:`handlers.site.sessions`.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import Platform
from bot.services import signin
from bot.timing import utcnow
from handlers.site import signin_entra, signin_slack
from handlers.site.sessions import (
    SESSION_COOKIE,
    Site,
    SiteRoute,
    complete_signin,
    form,
    keep_presession,
    safe_next,
    signin_page,
)
from handlers.site.templating import Pages


def routes(core: Core, view: Pages) -> list[BaseRoute]:
    """The sign-in pages, the provider round trips, login links and sign-out."""
    providers = {
        name
        for name, module in (("slack", signin_slack), ("microsoft", signin_entra))
        if module.enabled(core.settings)
    }
    site = Site(core, view, frozenset(providers))

    async def signin_form(request: Request) -> Response:
        return signin_page(site, request)

    async def link_page(request: Request) -> Response:
        token = request.path_params["token"]

        def peek() -> signin.Person | None:
            with core.db.transaction() as session:
                return signin.peek_link(session, token, now=utcnow())

        person = await run_in_threadpool(peek)
        response = view.render(
            request,
            "signin_link.html",
            {
                "token": token,
                "valid": person is not None,
                "next": safe_next(request.query_params.get("next")),
            },
            status=200 if person is not None else 410,
        )
        response.headers["Cache-Control"] = "no-store"
        return keep_presession(request, response)

    async def link_use(request: Request) -> Response:
        data = await form(request)
        token = request.path_params["token"]

        def use() -> tuple[str, str, str, str] | None:
            with core.db.transaction() as session:
                found = signin.use_link(session, token, now=utcnow())
                if found is None:
                    return None
                platform, workspace, user = found
                name = signin.name_of(session, Platform(platform), workspace, user)
                return platform, workspace, user, name or user

        found = await run_in_threadpool(use)
        if found is None:
            response = view.render(
                request, "signin_link.html", {"token": token, "valid": False}, status=410
            )
            return keep_presession(request, response)
        platform, workspace, user, name = found
        actor = Actor(Platform(platform), workspace, user, name)
        next_value = data.get("next")
        target = next_value if isinstance(next_value, str) else "/"
        return complete_signin(site, request, actor, target)

    async def signout(request: Request) -> Response:
        await form(request)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    served = [
        SiteRoute("/signin", signin_form, site, ["GET"]),
        SiteRoute("/signin/link/{token}", link_page, site, ["GET"]),
        SiteRoute("/signin/link/{token}", link_use, site, ["POST"]),
        SiteRoute("/signout", signout, site, ["POST"]),
    ]
    for path, endpoint in signin_slack.endpoints(site).items():
        served.append(SiteRoute(path, endpoint, site, ["GET"]))
    for path, endpoint in signin_entra.endpoints(site).items():
        served.append(SiteRoute(path, endpoint, site, ["GET"]))
    return list(served)
