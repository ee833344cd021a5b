"""The database going away: a locked SQLite file, and a PostgreSQL server that drops the app's
connections and refuses new ones. A signed event that cannot be stored is answered with a 5xx so
Slack redelivers it, ``/readyz`` says 503 while PostgreSQL is unreachable, and once the database is
back a redelivery is stored exactly once, without restarting the app.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from bot.storage.db import make_engine
from bot.storage.models import Contribution, InboundEvent
from bot.timing import utcnow
from fakes.slack import FakeSlackAPI
from tests.conftest import PG_URL
from tests.slack.conftest import CHANNEL, Served, serve_app, settings_for
from tests.support import scratch_postgres

# The app waits this long for a lock instead of the production 30 s (see bot.storage.db).
BUSY_MS = 300


def short_busy_timeout(engine: Engine) -> Engine:
    """*engine* with a short SQLite busy timeout (this listener runs after make_engine's)."""

    @event.listens_for(engine, "connect")
    def _busy(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        cursor.close()

    return engine


@pytest.fixture
def start_app(slack: FakeSlackAPI) -> Iterator[Callable[[str, Engine], Served]]:
    """Start the Slack app on a given engine; stopped at the end of the test."""
    stops: list[Callable[[], None]] = []

    def start(url: str, engine: Engine) -> Served:
        served, stop = serve_app(settings_for(url, slack.url), slack, engine)
        stops.append(stop)
        return served

    yield start
    for stop in reversed(stops):
        stop()


def _reply(
    served: Served, theme_ts: str, event_id: str, retry: int | None = None
) -> httpx.Response:
    said = "Vi delar ut mötesledarskapet varje vecka"
    event = {
        "type": "message",
        "channel": CHANNEL,
        "channel_type": "channel",
        "user": "U1",
        "text": said,
        "ts": f"{time.time():.6f}",
        "thread_ts": theme_ts,
    }
    return served.send_event(event, event_id=event_id, retry=retry)


def _stored(served: Served) -> tuple[int, int]:
    with served.core.db.transaction() as session:
        rows = int(session.scalar(select(func.count(InboundEvent.id))) or 0)
        kept = int(session.scalar(select(func.count(Contribution.id))) or 0)
    return rows, kept


def _theme(served: Served) -> str:
    result = served.core.publisher.post_theme(served.forum(), utcnow())
    assert result.status == "posted" and result.message_id
    return result.message_id


def test_a_locked_sqlite_file_gets_a_5xx_then_the_redelivery_is_stored_once(
    start_app: Callable[[str, Engine], Served], sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "locked.db"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    served = start_app(url, short_busy_timeout(make_engine(url)))
    theme_ts = _theme(served)

    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        refused = _reply(served, theme_ts, "EvLOCKED1")
        assert time.monotonic() - started < 3.0  # answered within Slack's window, not hung
        assert refused.status_code >= 500
        assert httpx.get(f"{served.url}/healthz").status_code == 200  # the process stays up
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert _stored(served) == (0, 0)
    again = _reply(served, theme_ts, "EvLOCKED1", retry=1)
    assert again.status_code == 200
    served.idle()
    assert _stored(served) == (1, 1)
    assert _reply(served, theme_ts, "EvLOCKED1", retry=2).status_code == 200
    served.idle()
    assert _stored(served) == (1, 1)


@pytest.fixture
def own_postgres() -> Iterator[str]:
    """A PostgreSQL database of this test's own, so refusing connections harms no other test."""
    if not PG_URL:
        pytest.skip("LEDARFORUM_TEST_POSTGRES_URL is not set")
    with scratch_postgres(PG_URL, "ledarforum_away") as url:
        yield url


@pytest.mark.postgres
def test_postgres_going_away_gives_5xx_and_503_then_recovers_without_restart(
    start_app: Callable[[str, Engine], Served], own_postgres: str
) -> None:
    served = start_app(own_postgres, make_engine(own_postgres))
    theme_ts = _theme(served)
    name = make_url(own_postgres).database
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
        refused = _reply(served, theme_ts, "EvPGAWAY1")
        assert refused.status_code >= 500
        assert httpx.get(f"{served.url}/readyz").status_code == 503
        assert httpx.get(f"{served.url}/healthz").status_code == 200
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()

    assert httpx.get(f"{served.url}/readyz").status_code == 200
    again = _reply(served, theme_ts, "EvPGAWAY1", retry=1)
    assert again.status_code == 200
    served.idle()
    assert _stored(served) == (1, 1)
