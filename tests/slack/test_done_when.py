"""The issue's "done when": ``ledarforum run`` serves Slack over HTTP against a fake Web API, and
the command line posts the theme once and a digest holding a thread reply and a shared example, once
each, even when Slack delivers the same event again."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution, InboundEvent
from bot.timing import Moments, digest_moment_at_or_before, shift_digest_moment, utcnow
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import (
    FORM,
    event_callback,
    message_event,
    post_signed,
    slash_command,
)
from tests.slack.conftest import CHANNEL, SECRET, TEAM, bot_env

pytestmark = pytest.mark.slow


@pytest.fixture
def env(database_url: str, slack: FakeSlackAPI, tmp_path: Path) -> dict[str, str]:
    return bot_env(database_url, slack.url, tmp_path, "WARNING")


def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "handlers.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "handlers.main", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "ledarforum run did not start"
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(15)


def _wait(db: Database, count: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        with db.transaction() as session:
            stored = int(session.scalar(select(func.count(Contribution.id))) or 0)
            pending = int(
                session.scalar(
                    select(func.count(InboundEvent.id)).where(
                        InboundEvent.status.in_(["pending", "processing"])
                    )
                )
                or 0
            )
        if stored >= count and not pending:
            assert stored == count
            return
        assert time.monotonic() < deadline, f"{stored} contributions, {pending} pending"
        time.sleep(0.05)


def test_run_post_theme_share_and_digest(
    server: str, env: dict[str, str], slack: FakeSlackAPI, tmp_path: Path, database_url: str
) -> None:
    _cli(env, tmp_path, "post-theme")
    second = _cli(env, tmp_path, "post-theme")
    assert "already" in second
    [theme] = slack.posted_messages(CHANNEL)
    assert theme["metadata"]["event_type"] == "ledarforum_theme_post"

    events = f"{server}/slack/events"
    said = slack.add_message(CHANNEL, "Vi provade gående 1:1", user="U1", thread_ts=theme["ts"])
    reply = event_callback(
        TEAM,
        message_event("Vi provade gående 1:1", channel=CHANNEL, ts=said, thread_ts=theme["ts"]),
        "EvDONE0001",
    )
    assert post_signed(events, reply, SECRET).status_code == 200
    share = slash_command(
        "dela Vi läser ett kapitel tillsammans varje månad", response_url=slack.new_response_url()
    )
    assert post_signed(events, share, SECRET, FORM).status_code == 200
    db = Database(make_engine(database_url))
    try:
        _wait(db, 2)
        again = post_signed(
            events,
            reply,
            SECRET,
            headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        )
        assert again.status_code == 200
        _wait(db, 2)
    finally:
        db.dispose()

    moments = Moments()
    upcoming = shift_digest_moment(digest_moment_at_or_before(utcnow(), moments), moments, 1)
    at = (upcoming + timedelta(minutes=1)).isoformat()
    out = _cli(env, tmp_path, "digest", "--at", at)
    assert "posted" in out
    [digest] = [
        m
        for m in slack.posted_messages(CHANNEL)
        if (m["metadata"] or {}).get("event_type") == "ledarforum_digest"
    ]
    text = json.dumps(digest["blocks"], ensure_ascii=False)
    assert text.count("Vi provade gående 1:1") == 1
    assert text.count("Vi läser ett kapitel tillsammans varje månad") == 1
    assert "already" in _cli(env, tmp_path, "digest", "--at", at)
