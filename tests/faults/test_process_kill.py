"""The process killed: ``SIGKILL`` in the middle of a burst of signed events and in the middle of
posting a theme, and ``SIGTERM`` for a graceful stop. ``ledarforum run`` runs as a subprocess
against the fake Slack, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.core import open_core
from bot.domain import Platform
from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution, InboundEvent, ThemePost
from bot.timing import utcnow
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import JSON, event_callback, message_event, post_signed
from handlers.slack.app import slack_clients
from handlers.slack.poster import ChannelPacer, SlackPoster
from tests.slack.conftest import CHANNEL, SECRET, TEAM, bot_env, settings_for

pytestmark = pytest.mark.slow

BURST = 200


@pytest.fixture
def env(database_url: str, slack: FakeSlackAPI, tmp_path: Path) -> dict[str, str]:
    """The environment of ``ledarforum`` against the fake Slack."""
    return bot_env(database_url, slack.url, tmp_path, "INFO")


class Process:
    """``ledarforum <args>`` as a child process, its stderr captured to a file."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        self.log = cwd / f"stderr-{time.monotonic_ns()}.log"
        self._err = self.log.open("w")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "handlers.main", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=self._err,
        )
        self.url = f"http://127.0.0.1:{env['PORT']}"

    def ready(self) -> Process:
        """Wait until ``/readyz`` answers 200."""
        deadline = time.monotonic() + 30
        while True:
            assert self.popen.poll() is None, self.stderr()
            try:
                if httpx.get(f"{self.url}/readyz").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "ledarforum run did not start"
            time.sleep(0.05)

    def stderr(self) -> str:
        """What the child wrote to stderr so far."""
        if not self._err.closed:
            self._err.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self, sig: int) -> int:
        """Send *sig* (unless it has exited) and return the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        code = self.popen.wait(30)
        self._err.close()
        return code


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Children started by a test; any still running at the end are killed."""
    started: list[Process] = []
    yield started
    for process in started:
        if process.popen.poll() is None:
            process.kill(signal.SIGKILL)


@pytest.fixture
def theme_ts(database_url: str, slack: FakeSlackAPI) -> str:
    """This month's theme, posted before the server starts (its catch-up then finds it done)."""
    settings = settings_for(database_url, slack.url)
    db = Database(make_engine(database_url))
    core = open_core(settings, database=db)
    core.posters[Platform.SLACK] = SlackPoster(slack_clients(settings, db.engine), ChannelPacer(0))
    try:
        result = core.publisher.post_theme(_forum(core), utcnow())
    finally:
        core.close()
    assert result.message_id
    return result.message_id


def _forum(core: Any) -> Any:
    from bot.services import forums

    with core.db.transaction() as session:
        forum = forums.find(session, CHANNEL)
    assert forum is not None
    return forum


def _body(number: int, theme: str) -> bytes:
    event = message_event(
        f"Exempel {number:03d} från ledargruppen",
        user="U1",
        channel=CHANNEL,
        ts=f"{1_800_000_000 + number}.000200",
        thread_ts=theme,
    )
    return event_callback(TEAM, event, f"EvKILL{number:04d}")


def _send_all(url: str, bodies: dict[int, bytes], on_done: Callable[[], None]) -> dict[int, int]:
    """POST every body concurrently; the status per body (0 when no answer came)."""

    def send(number: int) -> tuple[int, int]:
        try:
            response = post_signed(f"{url}/slack/events", bodies[number], SECRET, JSON, timeout=10)
            return number, response.status_code
        except httpx.HTTPError:
            return number, 0
        finally:
            on_done()

    with ThreadPoolExecutor(32) as pool:
        return dict(pool.map(send, sorted(bodies)))


def _counts(database_url: str) -> tuple[dict[str, int], list[str], int]:
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            per_event = dict(
                session.execute(
                    select(InboundEvent.event_id, func.count()).group_by(InboundEvent.event_id)
                ).all()
            )
            texts = list(session.scalars(select(Contribution.text)))
            open_rows = int(
                session.scalar(
                    select(func.count()).where(InboundEvent.status.in_(["pending", "processing"]))
                )
                or 0
            )
    finally:
        db.dispose()
    return {str(k): int(v) for k, v in per_event.items()}, texts, open_rows


def _statuses(database_url: str) -> dict[str, int]:
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            rows = session.execute(
                select(InboundEvent.status, func.count()).group_by(InboundEvent.status)
            ).all()
    finally:
        db.dispose()
    return {str(status): int(count) for status, count in rows}


def test_sigkill_during_a_burst_loses_no_acknowledged_event_and_stores_none_twice(
    env: dict[str, str], tmp_path: Path, processes: list[Process], theme_ts: str, database_url: str
) -> None:
    first = Process(env, tmp_path, "run").ready()
    processes.append(first)
    bodies = {number: _body(number, theme_ts) for number in range(BURST)}
    answered = 0
    lock = threading.Lock()

    def count_and_maybe_kill() -> None:
        nonlocal answered
        with lock:
            answered += 1
            if answered == BURST // 3:
                first.popen.send_signal(signal.SIGKILL)

    statuses = _send_all(first.url, bodies, count_and_maybe_kill)
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    acknowledged = {n for n, status in statuses.items() if status == 200}
    assert 0 < len(acknowledged) < BURST, "the kill should land in the middle of the burst"

    second = Process(env, tmp_path, "run").ready()
    processes.append(second)
    again = {n: bodies[n] for n in bodies if n not in acknowledged}
    redelivered = _send_all(second.url, again, lambda: None)
    assert set(redelivered.values()) == {200}

    assert second.kill(signal.SIGTERM) == 0
    per_event, texts, _ = _counts(database_url)
    assert all(per_event.get(f"EvKILL{n:04d}") == 1 for n in acknowledged)
    assert set(per_event) == {f"EvKILL{n:04d}" for n in range(BURST)}
    assert set(per_event.values()) == {1}
    assert len(texts) == len(set(texts))  # what was processed so far, once each


def test_sigkill_while_posting_a_theme_then_a_restart_after_the_lease_posts_once(
    env: dict[str, str], tmp_path: Path, slack: FakeSlackAPI, database_url: str
) -> None:
    slack.timeout_delay = 20.0  # the post is made, its answer never arrives before the kill
    slack.inject_faults("chat.postMessage", ["slow"])
    child = Process(env, tmp_path, "post-theme")
    slack.wait_for("chat.postMessage", timeout=30)
    assert child.kill(signal.SIGKILL) == -signal.SIGKILL
    assert len(slack.posted_messages(CHANNEL)) == 1

    # There is no lease setting (bot.services.claims.LEASE is 5 minutes): the lease running out
    # is simulated by moving the dead run's claim back in time, as the clock would have.
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            moved = session.execute(
                update(ThemePost).values(claimed_at=utcnow() - timedelta(minutes=6))
            )
            assert getattr(moved, "rowcount", 0) == 1
    finally:
        db.dispose()
    slack.clear_faults()
    again = subprocess.run(
        [sys.executable, "-m", "handlers.main", "post-theme"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    posts = slack.posted_messages(CHANNEL)
    assert len(posts) == 1, posts
    assert posts[0]["metadata"]["event_type"] == "ledarforum_theme_post"


def test_sigterm_stops_gracefully_after_finishing_inbox_work(
    env: dict[str, str],
    tmp_path: Path,
    processes: list[Process],
    slack: FakeSlackAPI,
    theme_ts: str,
    database_url: str,
) -> None:
    server = Process(env, tmp_path, "run").ready()
    processes.append(server)
    slack.timeout_delay = 1.5
    slack.inject_faults("users.info", ["slow", "slow"])  # the work is in flight at SIGTERM
    bodies = {number: _body(number, theme_ts) for number in range(10)}
    statuses = _send_all(server.url, bodies, lambda: None)
    assert set(statuses.values()) == {200}
    slack.wait_for("users.info", timeout=10)
    assert server.kill(signal.SIGTERM) == 0
    statuses_now = _statuses(database_url)
    # In-flight rows were finished; rows not yet started stay pending for the next start.
    assert statuses_now.get("processing", 0) == 0, server.stderr()
    assert sum(statuses_now.values()) == 10
    assert statuses_now.get("done", 0) >= 1
    _, texts, _ = _counts(database_url)
    assert len(texts) == statuses_now.get("done", 0)
    log = server.stderr()
    assert "scheduler stopped" in log
    assert "Traceback" not in log


def test_sigkill_with_replies_in_hand_a_restart_takes_them_over_within_seconds(
    env: dict[str, str],
    tmp_path: Path,
    processes: list[Process],
    slack: FakeSlackAPI,
    theme_ts: str,
    database_url: str,
) -> None:
    first = Process(env, tmp_path, "run").ready()
    processes.append(first)
    # Every inbox thread gets stuck on its first reply's users.info, holding its claimed rows.
    slack.timeout_delay = 60.0
    slack.inject_faults("users.info", ["slow"] * 8)
    bodies = {number: _body(number, theme_ts) for number in range(6)}
    assert set(_send_all(first.url, bodies, lambda: None).values()) == {200}
    slack.wait_for("users.info", timeout=10)
    deadline = time.monotonic() + 10
    while _statuses(database_url).get("processing", 0) == 0:
        assert time.monotonic() < deadline, first.stderr()
        time.sleep(0.05)
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    held = _statuses(database_url).get("processing", 0)
    assert held >= 1
    slack.clear_faults()

    second = Process(env, tmp_path, "run").ready()
    processes.append(second)
    began = time.monotonic()
    # Not the 5-minute lease: the dead process stopped renewing, so its claims are free after
    # LEDARFORUM_WORKER_STALE_SECONDS (10) and the next poll (with room for a loaded machine).
    while len(_counts(database_url)[1]) < len(bodies):
        assert time.monotonic() - began < 40, (_statuses(database_url), second.stderr())
        time.sleep(0.2)
    assert second.kill(signal.SIGTERM) == 0
    per_event, texts, open_rows = _counts(database_url)
    assert sorted(texts) == sorted(f"Exempel {n:03d} från ledargruppen" for n in bodies)
    assert set(per_event.values()) == {1} and open_rows == 0
    thanks = [m for m in slack.ephemeral_messages(CHANNEL) if m.get("user") == "U1"]
    assert len(thanks) == len(bodies), thanks  # each reply answered once
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            attempts = list(session.scalars(select(InboundEvent.attempts)))
    finally:
        db.dispose()
    # The rows in hand were each done once: taken over (a second attempt), or finished by the
    # killed server's worker process, which stops by itself once the server is gone.
    assert sorted(attempts).count(2) <= held and max(attempts) <= 2
