"""Shared fixtures: a migrated database on SQLite and (when configured) on PostgreSQL.

PostgreSQL tests run when ``LEDARFORUM_TEST_POSTGRES_URL`` is set (``scripts/test`` sets it when a
local server answers; CI requires it). Each test session gets its own PostgreSQL database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import Platform
from bot.storage.db import Database, make_engine, upgrade
from bot.storage.models import Base
from tests.support import FakeClock, RecordingPoster, scratch_postgres

PG_URL = os.environ.get("LEDARFORUM_TEST_POSTGRES_URL", "")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PostgreSQL tests: set LEDARFORUM_TEST_POSTGRES_URL")
        pytest.skip("LEDARFORUM_TEST_POSTGRES_URL is not set")
    with scratch_postgres(PG_URL, "ledarforum_test") as url:
        yield url


def _truncate(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "ledarforum.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without tables, as at a first install: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    with scratch_postgres(server, "ledarforum_new", migrate=False) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The database of :func:`database_url`."""
    database = Database(make_engine(database_url))
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """Monday 23 November 2026, 10:00 in Stockholm (09:00 UTC)."""
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def poster() -> RecordingPoster:
    """A poster that records what would be posted."""
    return RecordingPoster()


@pytest.fixture
def core(db: Database, database_url: str, clock: FakeClock, poster: RecordingPoster) -> Core:
    """The core on the test database, with the recording poster for console and Slack forums."""
    settings = Settings(database_url=database_url, organisers=("UORG",))
    opened = open_core(settings, clock=clock, database=db)
    opened.posters[Platform.CONSOLE] = poster
    opened.posters[Platform.SLACK] = poster
    return opened
