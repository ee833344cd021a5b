"""One channel, one forum, across real process restarts and processes starting at once.

A ``LEDARFORUM_CHANNELS`` forum is created before its workspace is known and learns it from the
first signed event. ``ledarforum run`` is then stopped and started again, and cron runs
``post-theme``, ``digest`` and ``schedule export`` in processes of their own: the channel keeps
its one forum, and the fake Slack receives the month's theme once. Subprocesses against the fake
Slack Web API, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.posts import THEME_EVENT
from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution, Forum
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import JSON, event_callback, message_event, post_signed
from tests.faults.test_process_kill import Process
from tests.slack.conftest import CHANNEL, SECRET, TEAM, bot_env

pytestmark = pytest.mark.slow


@pytest.fixture
def env(database_url: str, slack: FakeSlackAPI, tmp_path: Path) -> dict[str, str]:
    """A single-workspace bot serving the configured channel ``C1``, against the fake Slack."""
    return bot_env(database_url, slack.url, tmp_path, "INFO")


@pytest.fixture
def children() -> Iterator[list[Process]]:
    """``ledarforum run`` processes a test started; any still running at the end are killed."""
    started: list[Process] = []
    yield started
    for process in started:
        if process.popen.poll() is None:
            process.kill(signal.SIGKILL)


def _forums_of_channel(database_url: str) -> list[tuple[int, str]]:
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            rows = session.execute(
                select(Forum.id, Forum.workspace_id).where(Forum.channel_id == CHANNEL)
            ).all()
    finally:
        db.dispose()
    return [(int(forum_id), str(workspace)) for forum_id, workspace in rows]


def _contribution_forums(database_url: str) -> list[int]:
    db = Database(make_engine(database_url))
    try:
        with db.transaction() as session:
            return [int(forum_id) for forum_id in session.scalars(select(Contribution.forum_id))]
    finally:
        db.dispose()


def _theme_posts(slack: FakeSlackAPI) -> list[str]:
    """The ts of every theme post the fake Slack received."""
    return [
        str(message["ts"])
        for message in slack.posted_messages(CHANNEL)
        if (message["metadata"] or {}).get("event_type") == THEME_EVENT
    ]


def _wait(what: str, done: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _theme_run_done(process: Process) -> bool:
    """True once the server's start-up catch-up has run the theme (posted or found it done)."""
    metrics = httpx.get(f"{process.url}/metrics").text
    return 'ledarforum_posts_sent_total{kind="theme"' in metrics


def _start(env: dict[str, str], cwd: Path, children: list[Process]) -> Process:
    process = Process(env, cwd, "run").ready()
    children.append(process)
    _wait("the theme catch-up", lambda: _theme_run_done(process))
    return process


def _first_run_learns_the_team(
    env: dict[str, str], cwd: Path, children: list[Process], slack: FakeSlackAPI, database: str
) -> int:
    """Serve, reply in the theme's thread from the channel's team, stop; the forum's id."""
    first = _start(env, cwd, children)
    [theme_ts] = _theme_posts(slack)
    event = message_event(
        "Vi testade gåmöten", user="U1", channel=CHANNEL, ts="1800000000.000100", thread_ts=theme_ts
    )
    response = post_signed(
        f"{first.url}/slack/events", event_callback(TEAM, event, "EvRESTART1"), SECRET, JSON
    )
    assert response.status_code == 200
    _wait("the reply to be stored", lambda: _contribution_forums(database))
    assert first.kill(signal.SIGTERM) == 0, first.stderr()
    [(forum_id, workspace)] = _forums_of_channel(database)
    assert workspace == TEAM  # the configured forum learnt its team from the event
    return forum_id


def _cron(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "handlers.main", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen[str]) -> None:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, f"{process.args!r}: {out}\n{err}"


def test_a_restart_and_cron_keep_one_forum_and_post_the_theme_once(
    env: dict[str, str],
    tmp_path: Path,
    children: list[Process],
    slack: FakeSlackAPI,
    database_url: str,
) -> None:
    forum_id = _first_run_learns_the_team(env, tmp_path, children, slack, database_url)

    second = _start(env, tmp_path, children)  # the restart
    # Cron's commands, each a process of its own, beside the running server.
    crons = [
        _cron(env, tmp_path, *args) for args in (["post-theme"], ["digest"], ["schedule", "export"])
    ]
    for process in crons:
        _finished(process)
    assert second.kill(signal.SIGTERM) == 0, second.stderr()

    assert _forums_of_channel(database_url) == [(forum_id, TEAM)]
    assert len(_theme_posts(slack)) == 1
    assert _contribution_forums(database_url) == [forum_id]


def test_processes_starting_at_once_make_one_forum_and_one_post(
    tmp_path: Path, children: list[Process], slack: FakeSlackAPI, unmigrated_url: str
) -> None:
    env = bot_env(unmigrated_url, slack.url, tmp_path, "INFO")
    # A first install: two cron runs at once create the tables and the configured forum once,
    # and post once.
    for process in [_cron(env, tmp_path, "post-theme") for _ in range(2)]:
        _finished(process)
    assert [workspace for _, workspace in _forums_of_channel(unmigrated_url)] == [""]
    assert len(_theme_posts(slack)) == 1

    forum_id = _first_run_learns_the_team(env, tmp_path, children, slack, unmigrated_url)

    # The forum knows its team now; two processes starting at once still find it.
    for process in [_cron(env, tmp_path, "post-theme") for _ in range(2)]:
        _finished(process)
    assert _forums_of_channel(unmigrated_url) == [(forum_id, TEAM)]
    assert len(_theme_posts(slack)) == 1
