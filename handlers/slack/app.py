"""The Slack side of the process: the asynchronous Bolt app, its inbox worker and the transports.

:class:`SlackAdapter` is built once by the composition root. HTTP requests reach
:attr:`SlackAdapter.app`, a Bolt ``AsyncApp``, through :mod:`handlers.web` on the server's event
loop; Socket Mode through :class:`SocketMode`. Both dispatch to the same listeners, which only
check, record (group commit: :class:`~bot.services.inbox.recorder.Recorder`) and acknowledge, so a
request never waits for a thread and is acknowledged only after its row is committed. The slow
work is done by :func:`inbox_worker` threads, in this process or in a separate worker process
(:mod:`handlers.workers`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.config import Settings
from bot.core import Core
from bot.metrics import Metrics
from bot.services.inbox import Inbox, Presence
from bot.services.inbox.recorder import Recorder
from handlers.slack.inbox import InboxWorker, Traffic
from handlers.slack.listeners import Deps, register
from handlers.slack.poster import SlackClients, SlackPoster
from handlers.slack.process import People, Processor

log = logging.getLogger(__name__)


def slack_clients(
    settings: Settings, engine: Engine, metrics: Metrics | None = None
) -> SlackClients:
    """Web API clients: per installed workspace with OAuth, else the one bot token."""
    if settings.slack_oauth:
        from handlers.slack import oauth  # slack_sdk's SQLAlchemy stores need greenlet

        store = oauth.installation_store(settings, engine)
        return SlackClients(settings.slack_api_url, installations=store, metrics=metrics)
    return SlackClients(settings.slack_api_url, token=settings.slack_bot_token, metrics=metrics)


def async_client(api_url: str, token: str | None = None) -> AsyncWebClient:
    """The listeners' client (``views.open`` within Slack's 3 seconds), with the retries the
    worker's clients have: a connection error, a 429 (after its ``Retry-After``), a 5xx."""
    return AsyncWebClient(
        token=token,
        base_url=api_url,
        timeout=15,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(core: Core, deps: Deps) -> AsyncApp:
    """The Bolt app with every listener; no network is used until a request arrives.

    Bolt's own signature check is off: :class:`handlers.web.SlackEndpoints` verifies every HTTP
    request before dispatching it (and Socket Mode requests carry no signature).
    """
    settings = core.settings
    if settings.slack_oauth:
        from handlers.slack import oauth  # slack_sdk's SQLAlchemy stores need greenlet

        store = oauth.installation_store(settings, core.db.engine)
        app = AsyncApp(
            signing_secret=settings.slack_signing_secret or "",
            client=async_client(settings.slack_api_url),
            oauth_settings=oauth.oauth_settings(settings, core.db.engine, store),
            request_verification_enabled=False,
            process_before_response=True,
            logger=log,
        )
        app.enable_token_revocation_listeners()
    else:
        app = AsyncApp(
            signing_secret=settings.slack_signing_secret or "",
            client=async_client(settings.slack_api_url, settings.slack_bot_token),
            request_verification_enabled=False,
            process_before_response=True,
            logger=log,
        )
    register(app, deps)
    return app


def inbox_worker(
    core: Core,
    poster: SlackPoster,
    inbox: Inbox,
    *,
    threads: int | None = None,
    traffic: Traffic | None = None,
) -> InboxWorker:
    """The threads that do the slow half of Slack's requests from the inbox."""
    processor = Processor(
        core, poster.clients, poster, single_workspace=not core.settings.slack_oauth
    )
    if threads is None:
        # SQLite has one writer, so more threads only queue; PostgreSQL overlaps round trips.
        threads = 4 if core.db.engine.dialect.name == "postgresql" else 2
    return InboxWorker(inbox, processor, threads=threads, traffic=traffic)


class SlackAdapter:
    """The Bolt app, the inbox, its recorder and (unless the workers run in another process,
    *wake_workers*) its worker, for one process."""

    def __init__(
        self,
        core: Core,
        poster: SlackPoster,
        *,
        threads: int | None = None,
        presence: Presence | None = None,
        wake_workers: Callable[[], None] | None = None,
    ) -> None:
        self.core = core
        # The process's presence when the composition root shares one; else one of our own.
        self._own_presence = presence is None
        self.presence = presence or Presence.configured(core.db, core.settings)
        self.inbox = Inbox.configured(core.db, core.settings, self.presence, metrics=core.metrics)
        self.recorder = Recorder(core.db, clock=self.inbox.clock, metrics=core.metrics)
        self.traffic = Traffic()
        self.worker: InboxWorker | None = None
        people = People()
        wake = wake_workers
        if wake is None:
            self.worker = inbox_worker(
                core, poster, self.inbox, threads=threads, traffic=self.traffic
            )
            wake = self.worker.wake
            assert isinstance(self.worker.handle, Processor)
            people = self.worker.handle.people  # one cache of names and locales
        deps = Deps(
            core.dialogue,
            self.inbox,
            self.recorder,
            wake,
            poster.clients.for_team,
            self.traffic.arrived if self.worker is not None else None,
            people,
        )
        self.app = build_app(core, deps)

    def start(self) -> None:
        """Start processing the inbox here (rows left by an earlier run first)."""
        if self.worker is not None:
            self.worker.start()

    def stop(self) -> None:
        """Finish the current items and stop (and, if it is ours, end the presence)."""
        if self.worker is not None:
            self.worker.stop()
        self.recorder.close()
        if self._own_presence:
            self.presence.stop()

    def socket_mode(self) -> SocketMode:
        """A Socket Mode connection for ``SLACK_APP_TOKEN`` (connect it to start receiving)."""
        return SocketMode(self.app, self.core.settings.slack_app_token or "")


class SocketMode:
    """Bolt's asynchronous Socket Mode client on an event loop of its own thread, beside the
    HTTP server (which has its own loop): ``connect`` blocks until connected, ``close`` ends it."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        self.app = app
        self.app_token = app_token
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="slack-socket-mode", daemon=True
        )
        self._handler: AsyncSocketModeHandler | None = None

    def connect(self, timeout: float = 30.0) -> None:
        """Open the connection (raises when Slack refuses it)."""
        self._thread.start()

        async def connect() -> None:
            self._handler = AsyncSocketModeHandler(self.app, self.app_token)
            await self._handler.connect_async()  # type: ignore[no-untyped-call]

        asyncio.run_coroutine_threadsafe(connect(), self._loop).result(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Close the connection and stop its loop."""
        if self._handler is not None:
            handler = self._handler
            done = asyncio.run_coroutine_threadsafe(handler.close_async(), self._loop)  # type: ignore[no-untyped-call]
            try:
                done.result(timeout)
            except Exception as exc:  # closing a broken connection: nothing left to save
                log.info("socket mode closed with %s", type(exc).__name__)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
