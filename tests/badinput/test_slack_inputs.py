"""Hostile input over real HTTP, signed as Slack signs it: every request gets a clear answer (2xx
with a translated message where a person is answered, 400 for a malformed body), nothing is stored
wrongly, no handler crashes, and the app still answers ``/healthz`` afterwards.

The cycle loader is fuzzed in ``tests/test_cycle_file.py``; this file covers the inbound payloads.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.services.contributions import clean_text
from bot.storage.models import Contribution, InboundEvent
from fakes.slack.signing import FORM, JSON, event_callback, message_event, post_signed
from tests.slack.conftest import CHANNEL, SECRET, TEAM, Served

pytestmark = pytest.mark.slow  # hundreds of hostile requests over HTTP

HOSTILE_TEXTS: list[str] = [
    "",
    " ",
    "x" * 40_000,
    "å" * 40_000,
    "".join(chr(c) for c in range(1, 32)) + "text efter styrtecken",
    "binär\x00text\x00med\x00nollor och mer text",
    "\ufffd\ufffe\uffff\udcff"[:2] + "ersättningstecken och mer text",
    "\u202eRTL-override: detta läses baklänges\u202c",
    "مرحبا بالعالم — arabisk text i forumet",
    "שלום עולם — hebreisk text i forumet",
    "e" + "\u0301" * 5000,
    "Z\u0351\u0352\u0353a\u0354\u0355lgo text med kombinerande tecken",
    "🧑‍🤝‍🧑👩🏽‍💻🏳️‍🌈" * 200,
    "<!channel> <!here> <@U1> <#C1> @everyone",
    "'); DROP TABLE contributions;--",
    "{{7*7}} ${jndi:ldap://x} <script>alert(1)</script>",
    "\n\n\n\t\t\t",
]


def _answered(served: Served, before: int) -> list[dict[str, Any]]:
    """The response_url answers since *before*."""
    return [post.payload for post in served.slack.responses[before:]]


def _still_healthy(served: Served) -> None:
    assert httpx.get(f"{served.url}/healthz").status_code == 200
    assert served.slack.errors == []


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_text_in_a_share_command_is_stored_verbatim_or_refused_with_a_message(
    served: Served, text: str
) -> None:
    before = len(served.slack.responses)
    response = served.command(f"dela {text}")
    assert response.status_code == 200
    served.idle()
    answers = _answered(served, before)
    if answers:  # a thank-you or a translated reason; without text the form opens instead
        [answer] = answers
        assert answer.get("text") or answer.get("blocks")
    else:
        assert served.slack.views("views.open")
    for stored in served.contributions():
        assert stored.text == clean_text(text)  # as written, only NFC and control chars dropped
    _still_healthy(served)


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_text_as_a_thread_reply_never_crashes_the_worker(served: Served, text: str) -> None:
    theme = served.core.publisher.post_theme(served.forum(), _now())
    assert theme.message_id
    event = message_event(text, user="U1", channel=CHANNEL, thread_ts=theme.message_id)
    response = served.send_event(event)
    assert response.status_code == 200
    served.idle()
    with served.core.db.transaction() as session:
        failed = list(session.scalars(select(InboundEvent).where(InboundEvent.status == "failed")))
        texts = list(session.scalars(select(Contribution.text)))
    assert failed == []
    assert all(stored == clean_text(text) for stored in texts)
    _still_healthy(served)


def _now() -> Any:
    from bot.timing import utcnow

    return utcnow()


MALFORMED_JSON: list[bytes] = [
    b"",
    b"{",
    b"[]",
    b'"a string"',
    b"null",
    b"\xff\xfe\x00binary",
    b'{"type": "event_callback", "event": ' + b"[" * 100_000,
    b"payload-ish" + b"{" * 100_000,
]


@pytest.mark.parametrize("body", MALFORMED_JSON, ids=range(len(MALFORMED_JSON)))
def test_malformed_json_bodies_get_400(served: Served, body: bytes) -> None:
    response = post_signed(served.events_url, body, SECRET, JSON)
    assert response.status_code == 400
    _still_healthy(served)


MALFORMED_FORMS: list[bytes] = [
    b"payload=%7Bnot-json",
    b"payload=%5B1%2C2%5D",
    b"nothing=here",
    b"%ff%fe=%00",
    b"command",
]


@pytest.mark.parametrize("body", MALFORMED_FORMS, ids=range(len(MALFORMED_FORMS)))
def test_malformed_forms_get_400(served: Served, body: bytes) -> None:
    response = post_signed(served.events_url, body, SECRET, FORM)
    assert response.status_code == 400
    _still_healthy(served)


def _event(event: dict[str, Any]) -> bytes:
    return event_callback(TEAM, event)


ODD_EVENTS: list[Any] = [
    {"type": "member_joined_channel", "user": "U1", "channel": CHANNEL},
    {"type": "something_new_from_slack", "x": 1},
    {"type": "message"},
    {"type": "message", "channel": CHANNEL, "thread_ts": "1.2", "ts": "1.3"},
    pytest.param(
        {
            "type": "message",
            "channel": 5,
            "user": ["U1"],
            "text": {"a": 1},
            "thread_ts": 7,
            "ts": 8,
        },
        id="message-wrong-types",
    ),
    pytest.param(
        {"type": "message", "subtype": "message_changed", "channel": CHANNEL, "message": "str"},
        id="message_changed-not-a-dict",
    ),
    {"type": "message", "subtype": "message_deleted", "channel": CHANNEL},
    pytest.param(
        {"type": "reaction_added", "user": "U1", "reaction": "bulb", "item": "nope"},
        id="reaction_added-item-str",
    ),
    {"type": "reaction_added", "user": "U1", "reaction": "bulb", "item": {"type": "message"}},
    pytest.param(
        {"type": "app_home_opened"},
        id="app_home_opened-no-user",
    ),
    {"type": "app_home_opened", "user": None, "tab": 3},
]


@pytest.mark.parametrize("event", ODD_EVENTS)
def test_unknown_and_incomplete_events_are_answered_without_a_5xx(
    served: Served, event: dict[str, Any]
) -> None:
    response = post_signed(served.events_url, _event(event), SECRET, JSON)
    # Acknowledged unread, or refused as a malformed body (wrong field types): never a 5xx.
    assert response.status_code in {200, 400}
    served.idle(timeout=3)  # a row that keeps failing would wait out its retries
    assert served.count() == 0
    with served.core.db.transaction() as session:
        statuses = list(session.scalars(select(InboundEvent.status)))
    assert "failed" not in statuses
    _still_healthy(served)


ODD_PAYLOADS: list[Any] = [
    {"type": "something_new", "user": {"id": "U1"}, "team": {"id": TEAM}},
    pytest.param(
        {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": TEAM}, "actions": []},
        id="block_actions-empty",
    ),
    {"type": "block_actions", "team": {"id": TEAM}, "actions": [{"action_id": "unknown"}]},
    {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U1"}, "view": {}},
    {"type": "shortcut", "callback_id": "nope", "team": {"id": TEAM}, "user": {"id": "U1"}},
    {"type": "message_action", "callback_id": "nope", "team": None, "user": "U1"},
]


@pytest.mark.parametrize("payload", ODD_PAYLOADS)
def test_unknown_and_incomplete_payloads_are_answered_without_a_5xx(
    served: Served, payload: dict[str, Any]
) -> None:
    body = urlencode({"payload": json.dumps(payload)})
    response = post_signed(served.events_url, body, SECRET, FORM)
    assert response.status_code < 500
    served.idle()
    assert served.count() == 0
    _still_healthy(served)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=300))
def test_any_command_text_gets_exactly_one_answer(served: Served, text: str) -> None:
    before = len(served.slack.responses)
    response = served.command(text, user="U2")
    assert response.status_code == 200
    served.idle()
    deadline = time.monotonic() + 5
    while not response.text and len(served.slack.responses) == before:
        if served.slack.views("views.open"):
            break
        assert time.monotonic() < deadline, "no answer"
        time.sleep(0.02)
    answers = _answered(served, before)
    assert response.text or len(answers) == 1 or served.slack.views("views.open")
    _still_healthy(served)
