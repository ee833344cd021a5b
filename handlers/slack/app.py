"""The Slack side of the process: the Bolt app, its inbox worker and the transports.

:class:`SlackAdapter` is built once by the composition root. HTTP requests reach
:attr:`SlackAdapter.app` through :mod:`handlers.web`; Socket Mode through :meth:`socket_mode`.
Both dispatch to the same listeners, with ``process_before_response`` so that a request is
acknowledged only after its listener has recorded it.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine

from bot.config import Settings
from bot.core import Core
from bot.metrics import Metrics
from bot.services.inbox import Inbox, Presence
from handlers.slack.inbox import InboxWorker, Traffic
from handlers.slack.listeners import Deps, register
from handlers.slack.poster import SlackClients, SlackPoster, web_client
from handlers.slack.process import Processor

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


def build_app(core: Core, deps: Deps) -> App:
    """The Bolt app with every listener; no network is used until a request arrives."""
    settings = core.settings
    if settings.slack_oauth:
        from handlers.slack import oauth  # slack_sdk's SQLAlchemy stores need greenlet

        store = oauth.installation_store(settings, core.db.engine)
        app = App(
            signing_secret=settings.slack_signing_secret or "",
            client=web_client(settings.slack_api_url, metrics=core.metrics),
            oauth_settings=oauth.oauth_settings(settings, core.db.engine, store),
            process_before_response=True,
            logger=log,
        )
        app.enable_token_revocation_listeners()
    else:
        app = App(
            signing_secret=settings.slack_signing_secret or "",
            client=web_client(
                settings.slack_api_url, settings.slack_bot_token, metrics=core.metrics
            ),
            token_verification_enabled=False,  # credentials are checked when first used
            process_before_response=True,
            logger=log,
        )
    register(app, deps)
    return app


class SlackAdapter:
    """The Bolt app, the inbox and its worker, for one process."""

    def __init__(
        self,
        core: Core,
        poster: SlackPoster,
        *,
        threads: int | None = None,
        presence: Presence | None = None,
    ) -> None:
        self.core = core
        # The process's presence when the composition root shares one; else one of our own.
        self._own_presence = presence is None
        self.presence = presence or Presence.configured(core.db, core.settings)
        self.inbox = Inbox.configured(core.db, core.settings, self.presence, metrics=core.metrics)
        processor = Processor(
            core, poster.clients, poster, single_workspace=not core.settings.slack_oauth
        )
        self.traffic = Traffic()
        if threads is None:
            # SQLite has one writer, so more threads only queue; PostgreSQL overlaps round trips.
            threads = 4 if core.db.engine.dialect.name == "postgresql" else 2
        self.worker = InboxWorker(self.inbox, processor, threads=threads, traffic=self.traffic)
        deps = Deps(
            core.dialogue, self.inbox, self.worker.wake, self.traffic.arrived, processor.people
        )
        self.app = build_app(core, deps)

    def start(self) -> None:
        """Start processing the inbox (rows left by an earlier run first)."""
        self.worker.start()

    def stop(self) -> None:
        """Finish the current items and stop (and, if it is ours, end the presence)."""
        self.worker.stop()
        if self._own_presence:
            self.presence.stop()

    def socket_mode(self) -> SocketModeHandler:
        """A Socket Mode connection for ``SLACK_APP_TOKEN`` (connect it to start receiving)."""
        return SocketModeHandler(self.app, self.core.settings.slack_app_token)
