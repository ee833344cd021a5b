"""Secrets never reach the logs: ``ledarforum run`` with every token set, driven through successes
and failures at DEBUG level, and its whole stdout and stderr searched for each secret.

``SLACK_APP_TOKEN`` is not set: Socket Mode would dial out to slack.com, which tests cannot reach.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fakes.slack import FakeSlackAPI
from fakes.slack.signing import (
    FORM,
    JSON,
    event_callback,
    message_event,
    post_signed,
    slash_command,
)
from tests.support import free_port

pytestmark = pytest.mark.slow

BOT_TOKEN = "xoxb-11111-22222-SECRETBOTTOKEN"
SIGNING_SECRET = "s1gning-secret-that-must-not-leak"
TEAMS_SECRET = "teams~secret~that~must~not~leak"


def test_no_secret_appears_in_the_output(database_url: str, tmp_path: Path) -> None:
    with FakeSlackAPI() as slack:
        kept = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "LEDARFORUM_", "TEAMS_"))
        }
        port = free_port()
        env = {
            **kept,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,  # unknown to the fake: every Web API call fails
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "TEAMS_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
            "TEAMS_CLIENT_SECRET": TEAMS_SECRET,
            "LEDARFORUM_CHANNELS": "C1",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "json",
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "handlers.main", "run"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert child.poll() is None, "ledarforum run exited"
                try:
                    if httpx.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline
                time.sleep(0.1)
            events = f"{url}/slack/events"
            reply = event_callback("T1", message_event("Hej", channel="C1", thread_ts="1.1"))
            assert post_signed(events, reply, SIGNING_SECRET, JSON).status_code == 200
            command = slash_command("hjälp", response_url=slack.new_response_url())
            assert post_signed(events, command, SIGNING_SECRET, FORM).status_code == 200
            assert post_signed(events, reply, "wrong", JSON).status_code == 401
            assert post_signed(events, b"{", SIGNING_SECRET, JSON).status_code == 400
            teams = httpx.post(f"{url}/api/messages", json={"type": "message", "text": "hej"})
            assert teams.status_code == 401
            time.sleep(1.5)  # let the inbox try (and fail) its Web API calls
        finally:
            child.send_signal(signal.SIGTERM)
            output, _ = child.communicate(timeout=30)
    assert output  # something was logged at DEBUG
    for secret in (BOT_TOKEN, SIGNING_SECRET, TEAMS_SECRET):
        assert secret not in output
