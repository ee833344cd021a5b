"""The one HTTP server: health checks, Slack's endpoints, and whatever routes other adapters add.

Built by :func:`build_web_app` and served by uvicorn from the composition root. Slack requests
are verified here and dispatched to Bolt's asynchronous app on the server's event loop; its
listeners do nothing slow there (see :mod:`handlers.slack.listeners`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core import Core
from bot.metrics import Snapshot

SLACK_EVENTS = "/slack/events"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


_TEXT_FIELDS = ("channel", "user", "text", "ts", "thread_ts", "subtype", "reaction", "tab")
_OBJECT_FIELDS = ("item", "message", "previous_message", "view")
# The events we listen to; others are acknowledged unread, whatever their fields.
_CHECKED_EVENTS = {"message", "reaction_added", "app_home_opened"}


def _fields_typed(data: dict[str, Any]) -> bool:
    # Slack sends these as strings or objects; anything else would crash a listener later.
    texts_ok = all(data.get(k) is None or isinstance(data[k], str) for k in _TEXT_FIELDS)
    objects_ok = all(data.get(k) is None or isinstance(data[k], dict) for k in _OBJECT_FIELDS)
    return texts_ok and objects_ok


def sound(data: Any) -> bool:
    """True when a parsed event or payload has the field types Slack sends."""
    if not isinstance(data, dict):
        return False
    event = data.get("event")
    if event is not None:
        if not isinstance(event, dict):
            return False
        if event.get("type") in _CHECKED_EVENTS and not _fields_typed(event):
            return False
        if event.get("type") == "app_home_opened" and not isinstance(event.get("user"), str):
            return False
    if data.get("type") == "block_actions":
        actions = data.get("actions")
        if not actions or not isinstance(actions, list) or not isinstance(actions[0], dict):
            return False
    user = data.get("user")
    return event is not None or user is None or isinstance(user, dict | str)


def well_formed(body: bytes, content_type: str) -> bool:
    """True when a Slack request body has a shape Slack sends (JSON event, form or payload)."""
    # RecursionError: JSON nested thousands deep is malformed for us, not a server error.
    try:
        if content_type.startswith("application/json"):
            return sound(json.loads(body))
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    if "payload" in form:
        try:
            return sound(json.loads(form["payload"][0]))
        except (ValueError, RecursionError):
            return False
    return "command" in form or "ssl_check" in form


class SlackEndpoints:
    """``POST /slack/events`` and, with OAuth, the install pages, for one Bolt app."""

    def __init__(self, app: AsyncApp, signing_secret: str) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)

    async def events(self, request: Request) -> Response:
        """Verify, check the shape, then dispatch (the listeners record before acking)."""
        body = await request.body()
        try:
            body.decode("utf-8")  # Slack sends UTF-8; the verifier would raise on anything else
        except UnicodeDecodeError:
            return PlainTextResponse("malformed request", status_code=400)
        if not self.verifier.is_valid_request(body, dict(request.headers)):
            return PlainTextResponse("invalid signature", status_code=401)
        if not well_formed(body, request.headers.get("content-type", "")):
            return PlainTextResponse("malformed request", status_code=400)
        response = await self.app.async_dispatch(to_async_bolt_request(request, body))
        if response.status == 404:
            # Bolt's "unhandled request": an event or action we do not listen to. Acknowledge
            # it, or Slack counts failures, redelivers, and may switch the app's events off.
            return Response(status_code=200)
        return to_starlette_response(response)

    async def install(self, request: Request) -> Response:
        """The OAuth install page."""
        flow = self.app.oauth_flow
        assert flow is not None
        bolt = to_async_bolt_request(request, await request.body())
        return to_starlette_response(await flow.handle_installation(bolt))

    async def redirect(self, request: Request) -> Response:
        """Where Slack sends the browser back after an install."""
        flow = self.app.oauth_flow
        assert flow is not None
        bolt = to_async_bolt_request(request, await request.body())
        return to_starlette_response(await flow.handle_callback(bolt))

    def routes(self) -> list[BaseRoute]:
        """The routes to serve."""
        routes: list[BaseRoute] = [Route(SLACK_EVENTS, self.events, methods=["POST"])]
        flow = self.app.oauth_flow
        if flow is not None:
            routes.append(Route(flow.install_path, self.install, methods=["GET"]))
            routes.append(Route(flow.redirect_uri_path, self.redirect, methods=["GET"]))
        return routes


def build_web_app(
    core: Core,
    routes: Sequence[BaseRoute] = (),
    *,
    error_page: Callable[[Request, Exception], Awaitable[Response]] | None = None,
    worker_metrics: Callable[[], Iterable[Snapshot]] = tuple,
) -> Starlette:
    """The ASGI app: ``/healthz``, ``/readyz``, ``/metrics`` and the given adapters' *routes*.

    *error_page* answers every ``HTTPException`` (the web pages' translated 403 and 404);
    *worker_metrics* gives the worker processes' latest counts, added to this process's.
    """

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        ready = await run_in_threadpool(core.db.is_ready)
        return PlainTextResponse(
            "ready" if ready else "database unavailable", 200 if ready else 503
        )

    async def metrics(_: Request) -> Response:
        exposition = core.metrics.exposition(worker_metrics())
        return Response(exposition, media_type=METRICS_CONTENT_TYPE)

    served: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    handlers = {HTTPException: error_page} if error_page is not None else None
    return Starlette(routes=[*served, *routes], exception_handlers=handlers)
