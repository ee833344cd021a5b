"""The Teams adapter: the SDK ``App`` built from our settings, its endpoint and its poster.

The composition root uses one object, :class:`TeamsAdapter`::

    teams = TeamsAdapter(core)
    core.posters[Platform.TEAMS] = teams.poster
    routes = [*teams.routes(), ...]          # POST /api/messages on the shared Starlette server
    await teams.startup() / await teams.shutdown()   # in the server's lifespan

**One event loop.** The SDK's HTTP client binds to the first loop that uses it, so the adapter
runs its own loop in a daemon thread (:class:`~handlers.teams.loop.LoopThread`) and initialises
the ``App`` on it. Requests to ``/api/messages`` arrive on the web server's loop and are handed to
that loop; the synchronous poster (scheduler jobs, ``ledarforum post-theme`` with no server
running) submits its calls to it and waits. The loop starts on :meth:`TeamsAdapter.startup` or on
first use, whichever comes first, so one-shot CLI commands need no server and no extra step.

**Credentials** come only from ``TEAMS_CLIENT_ID`` / ``TEAMS_CLIENT_SECRET`` / ``TEAMS_TENANT_ID``:
importing the SDK loads ``.env`` into the environment, and its generic ``CLIENT_ID`` /
``CLIENT_SECRET`` / ``TENANT_ID`` names must never be picked up instead. Without a secret the SDK
uses the Azure managed identity of ``TEAMS_CLIENT_ID``. With ``TEAMS_ALLOW_UNAUTHENTICATED=true``
(development only) incoming requests are not authenticated and, unless a secret is configured,
outgoing calls carry an unsigned development token; a warning says so at start. Without the flag,
a request without a valid token gets 401.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import threading
import time
from typing import Any, Unpack

from microsoft_teams.api import (
    ClientCredentials,
    Credentials,
    InvokeResponse,
    ManagedIdentityCredentials,
    TokenCredentials,
)
from microsoft_teams.apps import App, AppOptions, HttpServerAdapter
from microsoft_teams.apps.events import ActivityEvent
from microsoft_teams.apps.http.adapter import HttpMethod, HttpRequest, HttpRouteHandler
from microsoft_teams.common import ClientOptions
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.config import Settings
from bot.core import Core
from bot.services.inbox import Inbox, Presence
from handlers.teams.activities import Activities
from handlers.teams.listeners import register_listeners
from handlers.teams.loop import LoopThread
from handlers.teams.poster import TeamsPoster
from handlers.teams.sender import Limits, Sender
from handlers.teams.shape import activity_problem, envelope_problem

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams"
# The app id used in development mode when TEAMS_CLIENT_ID is not set (outgoing calls need one).
DEVELOPMENT_CLIENT_ID = "00000000-0000-0000-0000-00000000dead"
MAX_BODY_BYTES = 1_000_000
HTTP_TIMEOUT = 20.0
# httpx logs every call at INFO (URLs carry conversation ids); the Entra validator warns about a
# tenant it only needs for SDK remote functions, which Ledarforum does not use.
_NOISY_LOGGERS = {
    "httpx": logging.WARNING,
    "microsoft_teams.common.http.client": logging.WARNING,
    "microsoft_teams.apps.auth.token_validator": logging.ERROR,
}
UNAUTHENTICATED_WARNING = (
    "TEAMS_ALLOW_UNAUTHENTICATED is on: %s accepts requests WITHOUT authentication and "
    "outgoing calls may carry an unsigned development token. Never use this in production."
)


def tame_sdk_logging() -> None:
    """Keep the SDK's loggers to what an operator needs."""
    for name, level in _NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


def development_token(scope: str | list[str], tenant_id: str | None = None) -> str:
    """An unsigned (``alg: none``) JWT: enough for a local fake connector, useless elsewhere."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {
        "iss": "ledarforum-development",
        "aud": scope if isinstance(scope, str) else " ".join(scope),
        "tid": tenant_id or "",
        "exp": int(time.time()) + 3600,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def credentials_from(settings: Settings) -> Credentials | None:
    """The SDK credentials our settings describe (never the SDK's generic variables)."""
    client_id = settings.teams_client_id
    tenant = settings.teams_tenant_id
    if client_id and settings.teams_client_secret:
        return ClientCredentials(
            client_id=client_id, client_secret=settings.teams_client_secret, tenant_id=tenant
        )
    if settings.teams_allow_unauthenticated:
        return TokenCredentials(
            client_id=client_id or DEVELOPMENT_CLIENT_ID, tenant_id=tenant, token=development_token
        )
    if client_id:
        return ManagedIdentityCredentials(client_id=client_id, tenant_id=tenant)
    return None


class _App(App):
    """The SDK ``App`` with credentials decided by us rather than read from the environment."""

    def __init__(self, credentials: Credentials | None, **options: Unpack[AppOptions]) -> None:
        self._settings_credentials = credentials
        super().__init__(**options)

    def _init_credentials(self) -> Credentials | None:
        return self._settings_credentials

    async def _process_activity_event(self, event: ActivityEvent) -> Any:
        """Once the request is authenticated: only activities we can work on reach a listener."""
        refusal = activity_problem(event.body.model_dump(by_alias=True, exclude_none=True))
        if refusal is not None:
            log.info(
                "teams activity not handled (%s): %s", refusal.status, refusal.error or "unknown"
            )
            return InvokeResponse[Any](status=refusal.status, body=refusal.body)
        return await super()._process_activity_event(event)


class StarletteServerAdapter(HttpServerAdapter):
    """The SDK's ``HttpServerAdapter`` for our shared Starlette server.

    The SDK registers its messaging route here when the ``App`` is initialised; the server that
    serves it is started by the composition root, never by the SDK.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, HttpRouteHandler] = {}

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        """Keep the SDK's handler for *path* (the SDK only registers POST routes)."""
        self._handlers[path] = handler

    def handler(self, path: str) -> HttpRouteHandler | None:
        """The handler the SDK registered for *path*, once the app is initialised."""
        return self._handlers.get(path)

    def serve_static(self, path: str, directory: str) -> None:
        """Ledarforum serves no pages through the SDK."""
        raise NotImplementedError("static pages are not served through the Teams adapter")

    async def start(self, port: int) -> None:
        """The shared web server is started by the composition root, never by the SDK."""
        raise NotImplementedError("serve TeamsAdapter.routes() on the shared server instead")

    async def stop(self) -> None:
        """Nothing to stop: the server is not ours."""
        return None


def build_app(settings: Settings, server: HttpServerAdapter) -> App:
    """The SDK ``App`` for our settings, serving through *server*."""
    tame_sdk_logging()
    return _App(
        credentials_from(settings),
        dangerously_allow_unauthenticated_requests=settings.teams_allow_unauthenticated,
        http_server_adapter=server,
        messaging_endpoint=MESSAGES_PATH,
        service_url=DEFAULT_SERVICE_URL,
        client=ClientOptions(timeout=HTTP_TIMEOUT),
        fetch_user_token=False,
        state=False,
    )


class TeamsAdapter:
    """Everything Teams for the composition root: ``poster``, ``routes()``, start and stop."""

    def __init__(
        self, core: Core, *, limits: Limits | None = None, presence: Presence | None = None
    ) -> None:
        self.core = core
        self.settings = core.settings
        self._loop = LoopThread()
        self._server = StarletteServerAdapter()
        self.app = build_app(self.settings, self._server)
        self.sender = Sender(self._loop.run, limits)
        self.poster = TeamsPoster(self._connected, self.sender)
        # The process's presence when the composition root shares one; else one of our own.
        self._own_presence = presence is None
        self.presence = presence or Presence.configured(core.db, core.settings, core.dialogue.clock)
        inbox = Inbox.configured(
            core.db, core.settings, self.presence, clock=core.dialogue.clock, metrics=core.metrics
        )
        self.activities = Activities(core, self.poster, inbox)
        register_listeners(self.app, self.activities)
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the event loop and initialise the app on it (once; safe from any thread)."""
        with self._lock:
            if self._started:
                return
            self._loop.start()
            self._loop.run(self.app.initialize(), 30.0)
            self._started = True
        if self.settings.teams_allow_unauthenticated:
            log.warning(UNAUTHENTICATED_WARNING, MESSAGES_PATH)
        log.info("Teams adapter ready on %s", MESSAGES_PATH)

    def stop(self) -> None:
        """Stop the event loop (pending calls are abandoned) and, if it is ours, the presence."""
        with self._lock:
            self._started = False
            self._loop.stop()
        if self._own_presence:
            self.presence.stop()

    async def startup(self) -> None:
        """Start from the web server's lifespan."""
        await asyncio.to_thread(self.start)

    async def shutdown(self) -> None:
        """Stop from the web server's lifespan."""
        await asyncio.to_thread(self.stop)

    def routes(self) -> list[BaseRoute]:
        """The Starlette routes to mount on the shared server: ``POST /api/messages``."""
        return [Route(MESSAGES_PATH, self._endpoint, methods=["POST"])]

    def _connected(self) -> App:
        self.start()
        return self.app

    async def _endpoint(self, request: Request) -> Response:
        if not self._started:
            await asyncio.to_thread(self.start)
        raw = await _read_limited(request, MAX_BODY_BYTES)
        if raw is None:
            return JSONResponse({"error": "request too large"}, status_code=413)
        try:
            body = json.loads(raw)
            # A lone surrogate ("\ud800") decodes, but could never be stored or sent on.
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body is not an activity"}, status_code=400)
        refusal = envelope_problem(body)
        if refusal is not None:
            return JSONResponse(refusal.body, status_code=refusal.status)
        handler = self._server.handler(MESSAGES_PATH)
        if handler is None:
            return JSONResponse({"error": "not ready"}, status_code=503)
        headers = {key.lower(): value for key, value in request.headers.items()}
        result = await self._loop.call(handler(HttpRequest(body=body, headers=headers)))
        status = result["status"]
        # A 503 means "being worked on elsewhere": by then its process is done or taken for gone.
        stale = math.ceil(self.settings.worker_stale_seconds)
        retry = {"Retry-After": str(stale)} if status == 503 else {}
        if result.get("body") is None:
            return Response(status_code=status, headers=retry)
        return JSONResponse(result["body"], status_code=status, headers=retry)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is (or says it is) larger than *limit* bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
