"""Fixtures for the Teams adapter: a fake connector, the adapter and its endpoint over HTTP."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from starlette.applications import Starlette

from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import Platform
from bot.storage.db import Database
from fakes.teams_connector import FakeTeamsConnector
from handlers.teams.app import TeamsAdapter
from handlers.teams.sender import Limits
from tests.support import FakeClock
from tests.teams.support import ORGANISER, BotClient

# Short waits so retry tests stay fast; the pacing limits are the real ones.
FAST = Limits(backoff=0.02, max_backoff=0.1)


@pytest.fixture
def connector() -> Iterator[FakeTeamsConnector]:
    """The fake Teams connector on an ephemeral port."""
    with FakeTeamsConnector() as fake:
        yield fake


@pytest.fixture
def teams_core(db: Database, database_url: str, clock: FakeClock) -> Core:
    """The core in Teams development mode, with one configured organiser."""
    settings = Settings(
        database_url=database_url, organisers=(ORGANISER,), teams_allow_unauthenticated=True
    )
    return open_core(settings, clock=clock, database=db)


@pytest.fixture
def teams(teams_core: Core) -> Iterator[TeamsAdapter]:
    """The Teams adapter, registered as the core's Teams poster."""
    adapter = TeamsAdapter(teams_core, limits=FAST)
    teams_core.posters[Platform.TEAMS] = adapter.poster
    yield adapter
    adapter.stop()


class Served:
    """A Starlette app served by uvicorn in a thread, on an ephemeral port of 127.0.0.1."""

    def __init__(self, app: Starlette) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        # Without it each request waited ~40 ms for a delayed ACK (Nagle): tests ran 40x slower.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> Served:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self._socket.close()


def serve(adapter: TeamsAdapter) -> Served:
    """The adapter's routes on a server of their own, with its start and stop in the lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await adapter.startup()
        yield
        await adapter.shutdown()

    return Served(Starlette(routes=adapter.routes(), lifespan=lifespan))


@pytest.fixture
def bot(teams: TeamsAdapter) -> Iterator[BotClient]:
    """A client posting activities to the adapter's ``/api/messages`` over real HTTP."""
    with serve(teams) as served:
        client = BotClient(served.url)
        yield client
        client.close()
