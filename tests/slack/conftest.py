"""A real Ledarforum web app on an ephemeral port, talking to a fake Slack Web API.

Requests are signed with Slack's algorithm and sent over HTTP with httpx; the app's Web API calls
go to :class:`fakes.slack.FakeSlackAPI`. Storage-touching tests run on SQLite and, when
configured, PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import ForumInfo, Platform
from bot.services import forums
from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import (
    FORM,
    JSON,
    event_callback,
    interactive,
    message_event,
    post_signed,
    slash_command,
)
from handlers.slack.app import SlackAdapter, slack_clients
from handlers.slack.poster import ChannelPacer, SlackPoster
from handlers.web import SlackEndpoints, build_web_app
from tests.support import every_month_cycle, free_port

SECRET = "signing-secret-for-tests"
CHANNEL = "C1"
TEAM = "T1"
ORGANISER = "UORG"


def settings_for(database_url: str, api_url: str, **changes: Any) -> Settings:
    """Settings of a single-workspace HTTP Slack app on *database_url*."""
    base = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        channels=(CHANNEL,),
        organisers=(ORGANISER,),
    )
    return replace(base, **changes)


@dataclass
class Served:
    """The running app and what tests use to talk to it."""

    url: str
    core: Core
    adapter: SlackAdapter
    slack: FakeSlackAPI

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def send_event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> httpx.Response:
        """A signed Events API delivery."""
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        body = event_callback(TEAM, event, event_id)
        return post_signed(self.events_url, body, SECRET, JSON, headers if retry else None)

    def reply(self, text: str, thread_ts: str, *, user: str = "U1", **extra: Any) -> httpx.Response:
        """A person's reply in a thread of the forum channel."""
        event = message_event(text, user=user, channel=CHANNEL, thread_ts=thread_ts)
        event.update(extra)
        return self.send_event(event)

    def command(
        self, text: str, *, user: str = "U1", channel: str = CHANNEL, trigger: str | None = None
    ) -> httpx.Response:
        """``/ledarforum <text>`` with a response_url served by the fake."""
        body = slash_command(
            text,
            user_id=user,
            channel_id=channel,
            team_id=TEAM,
            response_url=self.slack.new_response_url(),
            trigger_id=trigger,
        )
        return post_signed(self.events_url, body, SECRET, FORM)

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        """A signed interaction (button, shortcut, form)."""
        return post_signed(self.events_url, interactive(payload), SECRET, FORM)

    def idle(self, timeout: float = 10.0) -> None:
        """Wait until the inbox has nothing left to do."""
        deadline = time.monotonic() + timeout
        while self.adapter.inbox.count("pending", "processing"):
            assert time.monotonic() < deadline, "the inbox did not drain"
            time.sleep(0.02)

    def forum(self) -> ForumInfo:
        """The configured forum."""
        with self.core.db.transaction() as session:
            forum = forums.find(session, CHANNEL)
        assert forum is not None
        return forum

    def contributions(self) -> list[Contribution]:
        with self.core.db.transaction() as session:
            return list(session.scalars(select(Contribution).order_by(Contribution.id)))

    def count(self) -> int:
        with self.core.db.transaction() as session:
            return int(session.scalar(select(func.count(Contribution.id))) or 0)


def serve_asgi(app: Any) -> tuple[str, Callable[[], None]]:
    """Serve *app* with uvicorn on an ephemeral port in a thread; returns (url, stop)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    """The fake Slack Web API."""
    with FakeSlackAPI() as fake:
        fake.add_user("U1", "Kim Lind")
        fake.add_user("U2", "Alex Berg")
        fake.add_user(ORGANISER, "Org Anisatör")
        yield fake
        assert fake.errors == []


def bot_env(database_url: str, api_url: str, scratch: Path, log_level: str) -> dict[str, str]:
    """The environment of a ``ledarforum`` child process against the fake Slack at *api_url*.

    The test's own environment without any Slack, Teams or Ledarforum setting, plus ours.
    """
    kept = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEDARFORUM_", "TEAMS_"))
    }
    return {
        **kept,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "LEDARFORUM_CHANNELS": CHANNEL,
        "LEDARFORUM_SCHEDULE": str(every_month_cycle(scratch / "cycle.yaml")),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "LOG_LEVEL": log_level,
    }


def serve_app(
    settings: Settings, slack: FakeSlackAPI, engine: Engine, pace: float = 0.0
) -> tuple[Served, Callable[[], None]]:
    """The Slack app on *engine*, served over HTTP with its inbox worker; and how to stop it."""
    core = open_core(settings, database=Database(engine))
    clients = slack_clients(settings, core.db.engine, core.metrics)
    poster = SlackPoster(clients, ChannelPacer(pace))
    core.posters[Platform.SLACK] = poster
    adapter = SlackAdapter(core, poster)
    routes = SlackEndpoints(adapter.app, SECRET).routes()
    url, stop_server = serve_asgi(build_web_app(core, routes))
    adapter.start()

    def stop() -> None:
        stop_server()
        adapter.stop()
        core.close()

    return Served(url, core, adapter, slack), stop


@pytest.fixture
def make_served(database_url: str, slack: FakeSlackAPI) -> Iterator[Callable[..., Served]]:
    """Start the app with optional setting changes; stopped at the end of the test."""
    stops: list[Callable[[], None]] = []

    def start(pace: float = 0.0, **changes: Any) -> Served:
        settings = settings_for(database_url, slack.url, **changes)
        served, stop = serve_app(settings, slack, make_engine(database_url), pace)
        stops.append(stop)
        return served

    yield start
    for stop in reversed(stops):
        stop()


@pytest.fixture
def served(make_served: Callable[..., Served]) -> Served:
    """The app as configured by default (no pacing delay)."""
    return make_served()
