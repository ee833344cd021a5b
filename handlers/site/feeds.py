"""The calendar feed and the year wheel as a picture.

``GET /calendar/{token}.ics`` and ``GET /wheel/{token}.png`` are public: the forum's unguessable,
revocable feed token is the key (calendar apps and chat platforms fetch them without a session),
and an unknown or revoked token is a plain 404. Everything else needs a signed-in reader of the
forum (:func:`handlers.site.sessions.forum_for`); renewing the token also needs an organiser and a
valid CSRF token. Database work and drawing run in the thread pool.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot import i18n
from bot.core import Core
from bot.domain import ForumInfo, Language, is_language
from bot.services import calendar_feed, cycles, meetings
from bot.timing import utcnow
from bot.wheel.svg import wheel_svg
from handlers.site import sessions
from handlers.site.language import page_language
from handlers.site.templating import Pages

FIRST_YEAR, LAST_YEAR = 2000, 2100
# Calendar apps poll; an hour is what they usually use, and a renewed token 404s at once anyway.
FEED_CACHE = "private, max-age=3600"
# The token is a credential in the URL: no referrer, no indexing, no guessing of types.
PUBLIC_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
# An SVG opened on its own is a document: it may not run or load anything.
SVG_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


def feed_url(core: Core, token: str, *, digests: bool = False) -> str:
    """The public address of a forum's calendar feed."""
    base = core.settings.public_url.rstrip("/")
    return f"{base}/calendar/{token}.ics" + ("?digests=1" if digests else "")


def _local_today(forum: ForumInfo) -> date:
    return utcnow().astimezone(ZoneInfo(forum.timezone)).date()


def _lang(request: Request, forum: ForumInfo) -> Language:
    asked = request.query_params.get("lang", "")
    return asked if is_language(asked) else forum.language


def _year(request: Request, forum: ForumInfo, lang: Language) -> int:
    raw = request.query_params.get("year", "")
    if not raw:
        return _local_today(forum).year
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        raise HTTPException(400, i18n.t(lang, "calendar.bad_year"))
    return int(raw)


def _cached(request: Request, body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    """*body* with an ETag; a client that has it already gets 304."""
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    all_headers = {**headers, "ETag": tag, "Cache-Control": FEED_CACHE}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


def routes(core: Core, view: Pages) -> list[BaseRoute]:
    """The feed, the calendar page and the wheel pictures."""

    def by_token(token: str) -> ForumInfo | None:
        with core.db.transaction() as session:
            return calendar_feed.forum_for_token(session, token)

    def wheel_picture(forum: ForumInfo, lang: Language, year: int, kind: str) -> bytes:
        with core.db.transaction() as session:
            doc = cycles.for_forum(session, forum, year)
            zone = ZoneInfo(forum.timezone)
            booked = meetings.of_year(session, forum, year)
            days = [meeting.starts_at.astimezone(zone).date() for meeting in booked]
        today = _local_today(forum)
        if kind == "svg":
            return wheel_svg(doc, lang, year=year, today=today, meetings=days).encode("utf-8")
        from bot.wheel.png import wheel_png  # Pillow: only when a picture is asked for

        return wheel_png(doc, lang, year=year, today=today, meetings=days)

    async def feed(request: Request) -> Response:
        token = request.path_params["token"]
        forum = await run_in_threadpool(by_token, token)
        if forum is None:
            raise HTTPException(404)
        digests = request.query_params.get("digests", "") in {"1", "true", "yes"}
        lang = _lang(request, forum)

        def build() -> bytes:
            with core.db.transaction() as session:
                return calendar_feed.feed_ics(
                    session, forum, digests=digests, now=utcnow(), lang=lang
                )

        body = await run_in_threadpool(build)
        return _cached(request, body, "text/calendar; charset=utf-8", PUBLIC_HEADERS)

    async def public_wheel(request: Request) -> Response:
        forum = await run_in_threadpool(by_token, request.path_params["token"])
        if forum is None:
            raise HTTPException(404)
        lang = _lang(request, forum)
        year = _local_today(forum).year
        body = await run_in_threadpool(wheel_picture, forum, lang, year, "png")
        return _cached(request, body, "image/png", PUBLIC_HEADERS)

    async def forum_wheel(request: Request, kind: str) -> Response:
        forum_id = int(request.path_params["forum_id"])
        _, forum = await run_in_threadpool(sessions.forum_for, request, core, forum_id)
        lang = page_language(request, forum.language)
        year = _year(request, forum, lang) if kind == "svg" else _local_today(forum).year
        body = await run_in_threadpool(wheel_picture, forum, lang, year, kind)
        media = "image/svg+xml; charset=utf-8" if kind == "svg" else "image/png"
        return _cached(request, body, media, SVG_HEADERS if kind == "svg" else {})

    async def calendar_page(request: Request) -> Response:
        forum_id = int(request.path_params["forum_id"])
        actor, forum = await run_in_threadpool(sessions.forum_for, request, core, forum_id)

        def token() -> str:
            with core.db.transaction() as session:
                return calendar_feed.feed_token(session, forum.id, actor=actor.ref)

        live = await run_in_threadpool(token)
        organiser = await run_in_threadpool(core.dialogue.is_organiser, actor, forum)
        return view.render(
            request,
            "calendar.html",
            {
                "forum": forum,
                "feed_url": feed_url(core, live),
                "digests_url": feed_url(core, live, digests=True),
                "organiser": organiser,
                "renewed": request.query_params.get("renewed") == "1",
                "year": _local_today(forum).year,
            },
        )

    async def renew(request: Request) -> Response:
        await sessions.form(request)  # CSRF first, before anything else happens
        forum_id = int(request.path_params["forum_id"])
        actor, forum = await run_in_threadpool(
            sessions.forum_for, request, core, forum_id, organiser=True
        )

        def renewed() -> None:
            with core.db.transaction() as session:
                calendar_feed.renew(session, forum.id, actor=actor.ref)

        await run_in_threadpool(renewed)
        return RedirectResponse(f"/forums/{forum.id}/calendar?renewed=1", status_code=303)

    forum = "/forums/{forum_id:int}"
    return [
        Route("/calendar/{token}.ics", feed, methods=["GET"]),
        Route("/wheel/{token}.png", public_wheel, methods=["GET"]),
        Route(f"{forum}/wheel.svg", partial(forum_wheel, kind="svg"), methods=["GET"]),
        Route(f"{forum}/wheel.png", partial(forum_wheel, kind="png"), methods=["GET"]),
        Route(f"{forum}/calendar", calendar_page, methods=["GET"]),
        Route(f"{forum}/calendar/renew", renew, methods=["POST"]),
    ]
