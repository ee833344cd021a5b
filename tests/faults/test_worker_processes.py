"""``ledarforum run --workers N``: the slow work in worker processes, seen from the outside.

The server acknowledges and records; a worker process stores the replies and answers. Killing a
worker process loses nothing (the server starts another and it takes over the rows); ``/metrics``
on the server counts what the workers did; ``SIGTERM`` stops every process; a server killed
outright takes its workers with it.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution, InboundEvent
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import JSON, post_signed
from tests.faults.test_process_kill import Process, _body, processes, theme_ts
from tests.slack.conftest import SECRET, bot_env

pytestmark = pytest.mark.slow

__all__ = ["processes", "theme_ts"]


def _stored(database_url: str) -> int:
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            return int(session.scalar(select(func.count(Contribution.id))) or 0)
    finally:
        db.dispose()


def _inbox_statuses(database_url: str) -> dict[str, int]:
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            rows = session.execute(
                select(InboundEvent.status, func.count(InboundEvent.id)).group_by(
                    InboundEvent.status
                )
            ).all()
    finally:
        db.dispose()
    return {str(status): int(count) for status, count in rows}


def _wait(what: str, done: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    """The direct children of *pid*, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _send(url: str, number: int, theme: str) -> None:
    answer = post_signed(f"{url}/slack/events", _body(number, theme), SECRET, JSON)
    assert answer.status_code == 200


def _metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    values = [float(m) for m in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)]
    return sum(values)


def test_worker_processes_store_restart_and_report(
    database_url: str,
    slack: FakeSlackAPI,
    tmp_path: Path,
    processes: list[Process],
    theme_ts: str,
) -> None:
    env = {**bot_env(database_url, slack.url, tmp_path, "INFO"), "LEDARFORUM_WORKERS": "1"}
    server = Process(env, tmp_path, "run").ready()
    processes.append(server)
    [worker] = _children(server.popen.pid)
    assert worker != server.popen.pid

    for number in range(10):
        _send(server.url, number, theme_ts)
    _wait("10 stored", lambda: _stored(database_url) == 10)
    # The worker's counts reach the server's /metrics (sent once a second).
    _wait(
        "the worker's counts",
        lambda: _metric(server.url, "ledarforum_contributions_stored_total") == 10,
    )
    assert _metric(server.url, "ledarforum_events_received_total") == 10  # the server's own

    os.kill(worker, signal.SIGKILL)
    _wait("a new worker process", lambda: [p for p in _children(server.popen.pid) if p != worker])
    for number in range(10, 20):
        _send(server.url, number, theme_ts)
    _wait("20 stored", lambda: _stored(database_url) == 20, timeout=60)
    # The counts of the killed worker are kept: only what the new one did is added.
    _wait(
        "the new worker's counts",
        lambda: _metric(server.url, "ledarforum_contributions_stored_total") >= 20,
    )
    [replacement] = _children(server.popen.pid)

    assert server.kill(signal.SIGTERM) == 0
    _wait("the worker's stop", lambda: not _alive(replacement), timeout=10)
    assert _stored(database_url) == 20
    # What the workers committed is all there after every process has closed the database.
    assert _inbox_statuses(database_url) == {"done": 20}
    assert "Traceback" not in server.stderr()


def test_a_killed_server_takes_its_workers_with_it(
    database_url: str,
    slack: FakeSlackAPI,
    tmp_path: Path,
    processes: list[Process],
    theme_ts: str,
) -> None:
    env = {**bot_env(database_url, slack.url, tmp_path, "INFO"), "LEDARFORUM_WORKERS": "2"}
    server = Process(env, tmp_path, "run").ready()
    processes.append(server)
    workers = _children(server.popen.pid)
    assert len(workers) == 2
    for number in range(5):
        _send(server.url, number, theme_ts)
    _wait("5 stored", lambda: _stored(database_url) == 5)
    server.kill(signal.SIGKILL)
    # The wake pipe's end closes with the server: each worker finishes and stops.
    _wait("the workers' stop", lambda: not any(_alive(pid) for pid in workers), timeout=15)
    assert _stored(database_url) == 5
