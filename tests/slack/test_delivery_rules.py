"""Slack's delivery rules over real HTTP: signatures, replays, malformed bodies, a database that
is down (no ack, so Slack redelivers), health checks, and refused non-organisers."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.services import forums
from bot.storage.db import Database, make_engine
from fakes.slack.signing import (
    FORM,
    JSON,
    block_actions_payload,
    event_callback,
    message_event,
    post_signed,
    sign,
    view_submission_payload,
)
from handlers.slack.views import HOME_EDIT, THEME_FORM
from tests.slack.conftest import CHANNEL, SECRET, TEAM, Served


def _reply_body() -> bytes:
    return event_callback(TEAM, message_event("Hej", channel=CHANNEL, thread_ts="1.000001"))


def test_forged_signature_is_refused_and_nothing_stored(served: Served) -> None:
    response = post_signed(served.events_url, _reply_body(), "not-the-secret", JSON)
    assert response.status_code == 401
    assert served.adapter.inbox.count("pending", "processing", "done") == 0


def test_stale_timestamp_is_refused_and_nothing_stored(served: Served) -> None:
    old = int(time.time()) - 10 * 60
    response = post_signed(served.events_url, _reply_body(), SECRET, JSON, timestamp=old)
    assert response.status_code == 401
    assert served.adapter.inbox.count("pending", "processing", "done") == 0


def test_signed_but_malformed_body_is_a_bad_request(served: Served) -> None:
    for body, kind in ((b"{not json", JSON), (b"payload=%7Bbroken", FORM)):
        headers = {"Content-Type": kind, **sign(SECRET, body)}
        assert httpx.post(served.events_url, content=body, headers=headers).status_code == 400


def test_url_verification_answers_the_challenge(served: Served) -> None:
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    response = post_signed(served.events_url, body, SECRET, JSON)
    assert response.status_code == 200 and "c-123" in response.text


def test_database_down_means_no_ack(served: Served) -> None:
    broken = Database(make_engine("sqlite:////nonexistent/dir/ledarforum.db"))
    served.adapter.recorder.db = served.adapter.inbox.db = broken
    event = message_event("Hej", user="U1", channel=CHANNEL, thread_ts="1.000001")
    assert served.send_event(event).status_code == 500
    assert served.command("dela något").status_code == 500


def test_health_and_readiness(served: Served) -> None:
    assert httpx.get(f"{served.url}/healthz").status_code == 200
    assert httpx.get(f"{served.url}/readyz").status_code == 200
    served.core.db.engine.dispose()
    served.core.db.engine = make_engine("sqlite:////nonexistent/dir/ledarforum.db")
    assert httpx.get(f"{served.url}/readyz").status_code == 503


ADMIN_COMMANDS = [
    "admin",
    "admin setup",
    "admin post-theme",
    "admin posta-tema",
    "admin digest",
    "admin schedule",
    "admin stats",
    "admin organisers add <@U2>",
    "admin organisers remove <@UORG>",
]


@pytest.mark.parametrize("text", ADMIN_COMMANDS)
def test_non_organiser_is_refused_every_admin_command(served: Served, text: str) -> None:
    response = served.command(text, user="U1")
    assert response.status_code == 200
    assert "organisatörer" in response.text
    served.idle()
    assert served.adapter.inbox.count("pending", "processing", "done") == 0
    assert served.slack.posted_messages() == []


def test_non_organiser_cannot_set_up_another_channel(served: Served) -> None:
    response = served.command("admin setup", user="U1", channel="C2")
    assert "organisatörer" in response.text
    with served.core.db.transaction() as session:
        assert forums.find(session, "C2") is None


def test_organiser_may_run_admin_commands(served: Served) -> None:
    served.command("admin post-theme", user="UORG")
    served.idle()
    assert len(served.slack.posted_messages(CHANNEL)) == 1
    [answer] = served.slack.responses
    assert answer.payload["text"].startswith("Klart")


def test_non_organiser_cannot_open_or_submit_the_theme_form(served: Served) -> None:
    forum = served.forum()
    value = json.dumps({"forum": forum.id, "month": 11})
    click = block_actions_payload(
        f"{HOME_EDIT}:11",
        value,
        user_id="U1",
        view={"id": "VHOME"},
        trigger_id=served.slack.new_trigger_id(),
    )
    assert served.interact(click).status_code == 200
    assert served.slack.views("views.open") == []
    submission = view_submission_payload(
        THEME_FORM,
        {"title_sv": {"title_sv": {"type": "plain_text_input", "value": "Hackat"}}},
        private_metadata=value,
        user_id="U1",
    )
    refused = served.interact(submission)
    assert refused.json()["response_action"] == "errors"
    assert served.adapter.inbox.count("pending", "processing", "done") == 0
