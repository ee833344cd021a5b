"""Sessions, CSRF and who may see what, for every page of the site.

A session is a signed cookie (itsdangerous, with the web key of :mod:`bot.services.signin`):
the person (an :class:`~bot.dialogue.Actor`) and a random session id, valid 12 hours, HttpOnly,
SameSite=Lax, Secure when ``LEDARFORUM_PUBLIC_URL`` is https. Nothing is kept on the server, so
every instance behind a load balancer accepts it.

Every form carries ``csrf_token``: an HMAC of the session id. A visitor who is not signed in
gets a signed pre-session cookie instead, so the sign-in forms are protected too. :func:`form`
checks it (and a foreign ``Origin``) before any POST handler does anything.

:func:`forum_for` is the one access check of the forum pages: not signed in → a 303 to
``/signin?next=…`` (raised as :class:`SignInRequired`, an ``HTTPException`` whose response
Starlette builds with the ``Location`` header, so no exception handler is needed), a forum the
person may not see → 404 (as if it did not exist), an organiser page for a non-organiser → 403.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot import i18n
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Language, Platform
from bot.services import access, forums, signin
from handlers.site.language import page_language

log = logging.getLogger(__name__)

SESSION_COOKIE = "ledarforum_session"
PRESESSION_COOKIE = "ledarforum_presession"
SESSION_SECONDS = 12 * 3600
# The provider round trips (state, nonce, where to go after) live this long in their cookie.
FLOW_SECONDS = 10 * 60


class SignInRequired(HTTPException):
    """Not signed in: Starlette answers it as a 303 to the sign-in page, with ``next``."""

    def __init__(self, request: Request) -> None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = "/signin?next=" + quote(safe_next(target), safe="/")
        super().__init__(303, "sign in", headers={"Location": location})


def safe_next(value: str | None) -> str:
    """*value* when it is a path on this site (``/forums/1``), else ``/``.

    ``//evil.example`` and ``/\\evil.example`` are other sites to a browser; so is anything with a
    scheme or a host. Control characters could split a header.
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if "\\" in value or any(ord(char) < 32 or ord(char) == 127 for char in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


class Renderer(Protocol):
    """What draws a page (:class:`handlers.site.templating.Pages`)."""

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status: int = 200,
        lang: Language | None = None,
    ) -> HTMLResponse: ...


@dataclass
class Site:
    """The signing keys and settings of one site (one core), and its sign-in providers."""

    core: Core
    view: Renderer
    providers: frozenset[str] = frozenset()  # "slack", "microsoft": the configured ones
    _key: str | None = None

    def key(self) -> str:
        """The web key: configured, or generated once and shared through the database."""
        if self._key is None:
            with self.core.db.transaction() as session:
                self._key = signin.secret_key(session, self.core.settings)
        return self._key

    def serializer(self, purpose: str) -> URLSafeTimedSerializer:
        """A signer for one purpose: a value signed for one is refused by the others."""
        return URLSafeTimedSerializer(self.key(), salt=f"ledarforum.{purpose}")

    @property
    def secure(self) -> bool:
        """Cookies only over https when the site is reached over https."""
        return self.core.settings.public_url.startswith("https://")

    def csrf_for(self, session_id: str) -> str:
        """The CSRF token of a session (or pre-session) id."""
        mac = hmac.new(self.key().encode(), b"csrf:" + session_id.encode(), hashlib.sha256)
        return mac.hexdigest()

    def set_cookie(
        self, response: Response, name: str, value: str, *, max_age: int, path: str = "/"
    ) -> None:
        """A cookie the page's scripts cannot read, sent back only from this site."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=path,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def loads(self, request: Request, cookie: str, purpose: str, max_age: int) -> Any:
        """The signed value of *cookie*, or None when missing, forged or too old."""
        raw = request.cookies.get(cookie)
        if not raw:
            return None
        try:
            return self.serializer(purpose).loads(raw, max_age=max_age)
        except BadSignature:  # also SignatureExpired
            return None


class SiteRoute(Route):
    """A route of this module; it tells :func:`_site` which site a request belongs to."""

    def __init__(self, path: str, endpoint: Any, site: Site, methods: list[str]) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.site = site


_UNREAD = object()


def _site(request: Request) -> Site | None:
    """The site serving *request*: found once per app among its routes, then remembered."""
    app, router = request.scope.get("app"), request.scope.get("router")
    state = getattr(app, "state", None)
    found: Site | None = getattr(state, "ledarforum_site", None)
    if found is None:
        found = next(
            (r.site for r in getattr(router, "routes", []) if isinstance(r, SiteRoute)), None
        )
        if found is not None and state is not None:
            state.ledarforum_site = found
    return found


def _session(request: Request) -> dict[str, Any] | None:
    cached: Any = getattr(request.state, "ledarforum_session", _UNREAD)
    if cached is not _UNREAD:
        return cast("dict[str, Any] | None", cached)
    site = _site(request)
    data = site.loads(request, SESSION_COOKIE, "session", SESSION_SECONDS) if site else None
    session: dict[str, Any] | None = None
    if isinstance(data, dict) and all(isinstance(data.get(k), str) for k in "pwuns"):
        session = data if data["p"] in {p.value for p in Platform} else None
    request.state.ledarforum_session = session
    return session


def viewer(request: Request) -> Actor | None:
    """The signed-in person, from the signed session cookie; None when not signed in."""
    data = _session(request)
    if data is None:
        return None
    locale = data.get("l")
    return Actor(
        Platform(data["p"]),
        data["w"],
        data["u"],
        data["n"],
        locale if isinstance(locale, str) else None,
    )


def _presession(request: Request) -> str | None:
    site = _site(request)
    value = site.loads(request, PRESESSION_COOKIE, "presession", SESSION_SECONDS) if site else None
    return value if isinstance(value, str) else None


def csrf_token(request: Request) -> str:
    """The token to put in every form as the hidden field ``csrf_token``.

    For a visitor without a session, a new pre-session id is made here and kept on the request;
    :func:`keep_presession` sets its cookie on the response of the page that shows the form.
    """
    site = _site(request)
    if site is None:
        return ""
    session = _session(request)
    if session is not None:
        return site.csrf_for(session["s"])
    pre = _presession(request) or getattr(request.state, "ledarforum_new_presession", None)
    if pre is None:
        pre = secrets.token_urlsafe(24)
        request.state.ledarforum_new_presession = pre
    return site.csrf_for(pre)


def keep_presession(request: Request, response: Response) -> Response:
    """Set the pre-session cookie that :func:`csrf_token` made for this page, if it made one."""
    site = _site(request)
    pre = getattr(request.state, "ledarforum_new_presession", None)
    if site is not None and isinstance(pre, str):
        site.set_cookie(
            response,
            PRESESSION_COOKIE,
            site.serializer("presession").dumps(pre),
            max_age=SESSION_SECONDS,
        )
    return response


def _refuse(request: Request, key: str) -> HTTPException:
    site = _site(request)
    fallback = site.core.settings.language if site else "sv"
    return HTTPException(403, i18n.t(page_language(request, fallback), key))


def _origin_allowed(request: Request, origin: str) -> bool:
    site = _site(request)
    own = f"{request.url.scheme}://{request.url.netloc}"
    allowed = {own.lower()}
    if site is not None:
        public = urlsplit(site.core.settings.public_url)
        allowed.add(f"{public.scheme}://{public.netloc}".lower())
    return origin.rstrip("/").lower() in allowed


async def form(request: Request) -> FormData:
    """The POSTed form, after checking its CSRF token and Origin; 403 when either is wrong."""
    origin = request.headers.get("origin")
    if origin is not None and not _origin_allowed(request, origin):
        raise _refuse(request, "signin.forbidden.origin")
    data = await request.form()
    sent = data.get("csrf_token")
    site = _site(request)
    if site is None or not isinstance(sent, str) or not sent:
        raise _refuse(request, "signin.forbidden.csrf")
    session = _session(request)
    own = session["s"] if session is not None else _presession(request)
    if own is None or not hmac.compare_digest(sent.encode(), site.csrf_for(own).encode()):
        raise _refuse(request, "signin.forbidden.csrf")
    return data


def my_forums(core: Core, actor: Actor) -> list[ForumInfo]:
    """The forums *actor* may read."""
    with core.db.transaction() as session:
        return access.visible_forums(session, actor, core.dialogue.configured_organisers)


def forum_for(
    request: Request, core: Core, forum_id: int, *, organiser: bool = False
) -> tuple[Actor, ForumInfo]:
    """The viewer and the forum they asked for, or the refusal raised (see the module doc)."""
    actor = viewer(request)
    if actor is None:
        raise SignInRequired(request)
    lang = page_language(request, core.settings.language)
    with core.db.transaction() as session:
        forum = forums.get(session, forum_id)
    if forum is None or not access.may_see(actor, forum, core.dialogue.configured_organisers):
        raise HTTPException(404, i18n.t(lang, "signin.forbidden.not_found"))
    if organiser and not core.dialogue.is_organiser(actor, forum):
        raise HTTPException(403, i18n.t(lang, "signin.forbidden.organiser"))
    return actor, forum


def complete_signin(site: Site, request: Request, actor: Actor, next_path: str) -> Response:
    """Start a session for *actor* and go on to *next_path* (checked again here)."""
    data = {
        "p": actor.platform.value,
        "w": actor.workspace_id,
        "u": actor.user_id,
        "n": actor.name or actor.user_id,
        "l": actor.locale,
        "s": secrets.token_urlsafe(24),
    }
    response = RedirectResponse(safe_next(next_path), status_code=303)
    site.set_cookie(
        response, SESSION_COOKIE, site.serializer("session").dumps(data), max_age=SESSION_SECONDS
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    log.info("signed in to the web pages: %s", actor.ref)
    return response


def signin_page(
    site: Site, request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    """The sign-in page with the providers that are configured (and *error* translated)."""
    response = site.view.render(
        request,
        "signin.html",
        {
            "next": safe_next(request.query_params.get("next")),
            "slack": "slack" in site.providers,
            "microsoft": "microsoft" in site.providers,
            "error": error,
        },
        status=status,
    )
    return keep_presession(request, response)
