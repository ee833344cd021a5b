"""The composition root: settings → core → adapters (and, in ``run``, the servers).

The only place that knows every adapter; ``bot/`` never imports from here.
"""

from __future__ import annotations

import gc
import getpass
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import uvicorn
from starlette.routing import BaseRoute

from bot import cli, logs
from bot.config import Settings, worker_processes
from bot.core import Core, open_core
from bot.domain import Platform
from bot.services.inbox import Presence
from handlers.console.forum import ConsoleForum, ConsolePoster, ensure_console_forum
from handlers.site import error_page, site_routes
from handlers.slack.app import SlackAdapter, slack_clients
from handlers.slack.poster import SlackPoster
from handlers.web import SlackEndpoints, build_web_app
from handlers.workers import WorkerProcesses
from schedules.scheduler import SchedulerService

if TYPE_CHECKING:
    from handlers.teams.app import TeamsAdapter

log = logging.getLogger(__name__)
KEEP_ALIVE_SECONDS = 75


def _console_only(settings: Settings) -> bool:
    return not (
        settings.slack_configured
        or settings.teams_configured
        or settings.slack_bot_token
        or settings.slack_oauth
    )


def freeze_startup_objects() -> None:
    """Leave what start-up built (modules, the app, caches) out of every later garbage collection.

    A full collection walks every object the process ever made; under a burst of requests it
    ran every few seconds and stopped the event loop for about 100 ms each time, the slowest
    hundredth of the acknowledgements. Frozen objects are never freed (they live as long as the
    process anyway) and a forked worker shares their pages instead of copying them on the next
    collection.
    """
    gc.collect()
    gc.freeze()


def _stop_after_sigterm() -> None:
    """Let a ``SIGTERM`` end the server loop and then the background work, in that order.

    uvicorn stops serving on ``SIGTERM`` and then raises the signal again with the handler that
    was there before; with the default handler that kills the process before the scheduler and
    the inbox workers have stopped. A no-op handler makes the re-raised signal harmless, so
    :meth:`Composition.run` returns normally (exit code 0) after its graceful stop.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: None)


class Composition:
    """Builds the core with the configured platforms' posters (see :class:`bot.cli.Adapters`)."""

    def __init__(self) -> None:
        self._slack_adapter: SlackAdapter | None = None
        self._teams: TeamsAdapter | None = None
        self._scheduler: SchedulerService | None = None
        self._presence: Presence | None = None
        self._workers: WorkerProcesses | None = None

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        """The core, migrated and seeded, with posters for the configured platforms."""
        logs.configure(settings.log_level, settings.log_format, settings.secrets())
        core = open_core(settings)
        # One presence for the process: Slack's and Teams' inbox claims name the same worker.
        self._presence = Presence.configured(core.db, settings, core.dialogue.clock)
        if settings.slack_bot_token or settings.slack_oauth:
            core.posters[Platform.SLACK] = SlackPoster(
                slack_clients(settings, core.db.engine, core.metrics)
            )
        if settings.teams_configured:
            # Imported here: the Teams SDK takes seconds to import, a Slack-only bot never needs it.
            from handlers.teams.app import TeamsAdapter

            # The SDK's loop starts on first use, so one-shot commands can post to Teams too.
            self._teams = TeamsAdapter(core, presence=self._presence)
            core.posters[Platform.TEAMS] = self._teams.poster
        if console or _console_only(settings):
            core.posters[Platform.CONSOLE] = ConsolePoster(sys.stdout)
            with core.db.transaction() as session:
                ensure_console_forum(session, core, getpass.getuser())
        return core

    def run(self, core: Core) -> int:
        """Serve the configured platforms; with none configured, open the console forum.

        One HTTP server (health checks, Slack events) runs whenever a platform is configured;
        Socket Mode connects beside it when ``SLACK_APP_TOKEN`` is set. The slow work (inbox,
        scheduler) runs in worker processes (:mod:`handlers.workers`), forked first, before
        this process starts any thread; with ``--workers 0`` in this process.
        """
        if _console_only(core.settings):
            return self.console(core, sys.stdin, sys.stdout)
        settings = core.settings
        count = worker_processes(settings, os.cpu_count())
        if count:
            freeze_startup_objects()  # before the fork: the children share these pages
            self._workers = WorkerProcesses(core, count)
            self._workers.fork()
            log.info("%d worker process(es) started", count)
        routes: list[BaseRoute] = []
        slack = self._slack(core)
        if slack is not None and settings.slack_signing_secret:
            routes += SlackEndpoints(slack.app, settings.slack_signing_secret).routes()
        if self._teams is not None:
            routes += self._teams.routes()
        routes += site_routes(core)
        socket = slack.socket_mode() if slack is not None and settings.slack_app_token else None
        if slack is None and (settings.slack_bot_token or settings.slack_oauth):
            log.warning(
                "Slack events are not received: set SLACK_SIGNING_SECRET or SLACK_APP_TOKEN"
            )
        self._start_background(core)
        try:
            if socket is not None:
                socket.connect()
                log.info("Slack Socket Mode connected")
            server = uvicorn.Server(
                uvicorn.Config(
                    build_web_app(
                        core,
                        routes,
                        error_page=error_page(core),
                        worker_metrics=self._workers.metrics if self._workers else tuple,
                    ),
                    host=settings.host,
                    port=settings.port,
                    log_level=settings.log_level.lower(),
                    access_log=False,  # request lines would add noise, never information
                    # Longer than a reverse proxy's idle timeout (60 s is common), so the proxy
                    # never reuses a connection uvicorn is closing at that moment (a 502).
                    timeout_keep_alive=KEEP_ALIVE_SECONDS,
                    lifespan="off",
                )
            )
            log.info("serving HTTP on %s:%d", settings.host, settings.port)
            _stop_after_sigterm()
            freeze_startup_objects()
            server.run()
        finally:
            if socket is not None:
                socket.close()
            self._stop_background()
        return cli.EXIT_OK

    def _slack(self, core: Core) -> SlackAdapter | None:
        poster = core.posters.get(Platform.SLACK)
        if not isinstance(poster, SlackPoster) or not core.settings.slack_configured:
            return None
        wake = self._workers.wake if self._workers is not None else None
        self._slack_adapter = SlackAdapter(core, poster, presence=self._presence, wake_workers=wake)
        return self._slack_adapter

    def _start_background(self, core: Core) -> None:
        """Register the process, start the adapters' workers, then the scheduler (its catch-up
        may post at once)."""
        if self._presence is not None:
            self._presence.start()
        if self._slack_adapter is not None:
            self._slack_adapter.start()
        if self._teams is not None:
            self._teams.start()
        if self._workers is not None:
            self._workers.supervise()  # the scheduler runs in the first worker process
        else:
            self._scheduler = SchedulerService(core)
            self._scheduler.start()

    def _stop_background(self) -> None:
        """A graceful stop: the scheduler finishes its running jobs, then the workers stop."""
        if self._scheduler is not None:
            self._scheduler.stop(wait=True)
        if self._slack_adapter is not None:
            self._slack_adapter.stop()
        if self._teams is not None:
            self._teams.stop()
        if self._workers is not None:
            self._workers.stop()
        if self._presence is not None:
            self._presence.stop()

    def teams_package(self, settings: Settings, path: str) -> str:
        """Write the Teams app package (the zip an admin uploads)."""
        from handlers.teams.package import write_package

        return str(write_package(settings, Path(path)))

    def console(self, core: Core, stdin: TextIO, stdout: TextIO) -> int:
        """The console forum."""
        return ConsoleForum(core, stdin, stdout).run()


def main(argv: Sequence[str] | None = None) -> int:
    """The ``ledarforum`` console script."""
    return cli.main(argv, Composition())


if __name__ == "__main__":
    sys.exit(main())
