"""Tests of the Slack fakes themselves, driven by the real slack_sdk / slack-bolt clients."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from fakes.slack import FakeSlackAPI
from fakes.slack.signing import (
    FORM,
    JSON,
    event_callback,
    interactive,
    post_signed,
    sign,
    slash_command,
    url_verification,
)

QUICK = FixedValueRetryIntervalCalculator(0.01)


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(timeout_delay=0.6) as fake:
        yield fake
        assert fake.errors == []


def client(fake: FakeSlackAPI, **kwargs: Any) -> WebClient:
    kwargs.setdefault("retry_handlers", [])
    return WebClient(base_url=fake.url, token="xoxb-test", **kwargs)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


# -- messages ----------------------------------------------------------------------------------


def test_post_message_is_read_back_from_history_and_replies(slack: FakeSlackAPI) -> None:
    web = client(slack)
    meta = {"event_type": "digest_posted", "event_payload": {"digest_id": 7}}
    first = web.chat_postMessage(channel="C1", text="Veckans sammanfattning", metadata=meta)
    reply = web.chat_postMessage(channel="C1", text="Del 2", thread_ts=first["ts"])
    human_ts = slack.add_message("C1", "Tack!", user="U7")

    assert first["ok"]
    assert first["channel"] == "C1"
    assert first["ts"] < reply["ts"] < human_ts
    assert first["message"]["user"] == "UBOT"

    history = web.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["Tack!", "Veckans sammanfattning"]
    assert "metadata" not in history[1]
    assert history[1]["reply_count"] == 1

    with_meta = web.conversations_history(channel="C1", include_all_metadata=True)
    assert with_meta["messages"][1]["metadata"] == meta

    thread = web.conversations_replies(channel="C1", ts=first["ts"])["messages"]
    assert [m["text"] for m in thread] == ["Veckans sammanfattning", "Del 2"]
    assert thread[1]["thread_ts"] == first["ts"]

    posted = slack.posted_messages("C1")
    assert [(m["text"], m["thread_ts"], m["user"], m["team_id"]) for m in posted] == [
        ("Veckans sammanfattning", None, "UBOT", "T1"),
        ("Del 2", first["ts"], "UBOT", "T1"),
    ]
    assert posted[0]["metadata"] == meta
    assert len(slack.wait_for("chat.postMessage", 2)) == 2

    link = web.chat_getPermalink(channel="C1", message_ts=first["ts"])["permalink"]
    assert link == f"https://fake.slack.test/archives/C1/p{first['ts'].replace('.', '')}"


def test_form_encoded_blocks_and_auth_errors(slack: FakeSlackAPI) -> None:
    web = client(slack)
    blocks = json.dumps([section("hej")])
    web.api_call("chat.postMessage", params={"channel": "C2", "text": "hej", "blocks": blocks})
    assert slack.posted_messages("C2")[0]["blocks"] == [section("hej")]
    assert slack.calls_to("chat.postMessage")[0].params["blocks"] == [section("hej")]

    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack.url, retry_handlers=[]).auth_test()
    assert missing.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as wrong:
        WebClient(base_url=slack.url, token="xoxb-nope", retry_handlers=[]).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"

    slack.add_token("xoxb-t2", "T2", bot_user_id="UBOT2", bot_id="BBOT2")
    other = WebClient(base_url=slack.url, token="xoxb-t2", retry_handlers=[])
    assert other.auth_test()["team_id"] == "T2"
    assert other.conversations_history(channel="C2")["messages"] == []  # teams are isolated
    other.auth_revoke()
    with pytest.raises(SlackApiError) as revoked:
        other.auth_test()
    assert revoked.value.response["error"] == "token_revoked"

    with pytest.raises(SlackApiError) as unknown:
        web.api_call("chat.postMessagez")
    assert unknown.value.response["error"] == "unknown_method"


def test_users_info_is_configurable_and_locale_needs_include_locale(slack: FakeSlackAPI) -> None:
    slack.add_user("U42", real_name="Anna Berg", tz="Europe/Helsinki", locale="fi-FI")
    web = client(slack)
    anna = web.users_info(user="U42", include_locale=True)["user"]
    assert (anna["real_name"], anna["tz"], anna["locale"]) == (
        "Anna Berg",
        "Europe/Helsinki",
        "fi-FI",
    )
    assert anna["profile"]["display_name"] == "Anna Berg"
    assert "locale" not in web.users_info(user="U42")["user"]
    assert web.users_info(user="U999")["user"]["real_name"] == "User U999"
    assert web.conversations_open(users="U42")["channel"]["id"] == "DU42"


# -- Block Kit validation ----------------------------------------------------------------------


def button(text: str, action_id: str = "a") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}


INVALID_BLOCKS = {
    "too_many_blocks": [{"type": "divider"}] * 51,
    "unknown_type": [{"type": "sektion"}],
    "missing_type": [{"text": {"type": "mrkdwn", "text": "x"}}],
    "section_text_3001": [section("x" * 3001)],
    "header_151": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
    "header_mrkdwn": [{"type": "header", "text": {"type": "mrkdwn", "text": "*x*"}}],
    "context_11": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
    "actions_26": [{"type": "actions", "elements": [button("b", f"a{i}") for i in range(26)]}],
    "button_text_76": [{"type": "actions", "elements": [button("x" * 76)]}],
    "block_id_256": [section("x", block_id="b" * 256)],
    "action_id_256": [{"type": "actions", "elements": [button("ok", "a" * 256)]}],
    "duplicate_block_id": [section("x", block_id="same"), section("y", block_id="same")],
}


@pytest.mark.parametrize("blocks", INVALID_BLOCKS.values(), ids=INVALID_BLOCKS.keys())
def test_invalid_blocks_are_rejected(slack: FakeSlackAPI, blocks: list[Any]) -> None:
    with pytest.raises(SlackApiError) as raised:
        client(slack).chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert raised.value.response["error"] == "invalid_blocks"
    assert raised.value.response["errors"]
    assert slack.posted_messages() == []


def test_limits_at_the_boundary_are_accepted(slack: FakeSlackAPI) -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 150}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 10},
        {"type": "actions", "elements": [button("x" * 75, f"a{i}") for i in range(25)]},
        section("x" * 3000, block_id="b" * 255),
    ]
    blocks += [{"type": "divider"}] * 46
    assert client(slack).chat_postMessage(channel="C1", text="ok", blocks=blocks)["ok"]


def test_total_block_size_and_text_length(slack: FakeSlackAPI) -> None:
    web = client(slack)
    too_big = [section("x" * 2900) for _ in range(5)]  # each block valid, 14,500+ chars in total
    with pytest.raises(SlackApiError) as blocks_error:
        web.chat_postMessage(channel="C1", text="fallback", blocks=too_big)
    assert blocks_error.value.response["error"] == "msg_blocks_too_long"
    with pytest.raises(SlackApiError) as text_error:
        web.chat_postMessage(channel="C1", text="x" * 40_001)
    assert text_error.value.response["error"] == "msg_too_long"
    ts = web.chat_postMessage(channel="C1", text="ok")["ts"]
    with pytest.raises(SlackApiError) as update_error:
        web.chat_update(channel="C1", ts=ts, text="x", blocks=[{"type": "nope"}])
    assert update_error.value.response["error"] == "invalid_blocks"


@pytest.mark.parametrize(
    "view",
    [
        {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []},
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Dela"},
            "submit": {"type": "plain_text", "text": "x" * 25},
            "blocks": [],
        },
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Dela"},
            "private_metadata": "x" * 3001,
            "blocks": [],
        },
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Dela"},
            "blocks": [{"type": "divider"}] * 101,
        },
    ],
    ids=["title", "submit", "private_metadata", "blocks_101"],
)
def test_invalid_views_are_rejected(slack: FakeSlackAPI, view: dict[str, Any]) -> None:
    with pytest.raises(SlackApiError) as raised:
        client(slack).views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert raised.value.response["error"] == "invalid_arguments"


def test_views_and_trigger_ids(slack: FakeSlackAPI) -> None:
    web = client(slack)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Dela"}, "blocks": []}
    trigger = slack.new_trigger_id()
    opened = web.views_open(trigger_id=trigger, view=view)["view"]
    updated = web.views_update(view_id=opened["id"], view=view, hash=opened["hash"])["view"]
    assert updated["id"] == opened["id"]
    with pytest.raises(SlackApiError) as reused:
        web.views_open(trigger_id=trigger, view=view)
    assert reused.value.response["error"] == "exchanged_trigger_id"
    slack.trigger_ttl = 0.0
    with pytest.raises(SlackApiError) as expired:
        web.views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert expired.value.response["error"] == "expired_trigger_id"
    home = {"type": "home", "blocks": [section("Hem")]}
    web.views_publish(user_id="U1", view=home)
    published = slack.home_view("U1")
    assert published is not None
    assert published["blocks"] == [section("Hem")]


def test_external_file_upload_records_bytes(slack: FakeSlackAPI) -> None:
    web = client(slack)
    web.files_upload_v2(channel="C1", content=b"a;b\n1;2\n", filename="data.csv", title="Data")
    (uploaded,) = slack.files
    assert (uploaded.content, uploaded.channel, uploaded.completed) == (b"a;b\n1;2\n", "C1", True)


# -- rate limits and faults --------------------------------------------------------------------


def test_rate_limit_answers_429_and_retry_handler_recovers(slack: FakeSlackAPI) -> None:
    slack.rate_limit(per_channel_per_second=1.0, retry_after=1)
    web = client(slack)
    web.chat_postMessage(channel="C1", text="ett")
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="C1", text="två")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert raised.value.response["error"] == "ratelimited"
    assert len(slack.rejected) == 1
    assert web.chat_postMessage(channel="C2", text="annan kanal")["ok"]  # per channel

    patient = client(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    started = time.monotonic()
    assert patient.chat_postMessage(channel="C1", text="tre")["ok"]
    assert time.monotonic() - started >= 1.0
    assert [m["text"] for m in slack.posted_messages("C1")] == ["ett", "tre"]
    assert len(slack.rejected) == 2


def test_team_budget(slack: FakeSlackAPI) -> None:
    slack.rate_limit(per_channel_per_second=None, per_team_per_minute=2, retry_after=None)
    web = client(slack)
    web.chat_postMessage(channel="C1", text="1")
    web.chat_postMessage(channel="C2", text="2")
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="C3", text="3")
    assert int(raised.value.response.headers["Retry-After"]) >= 59


def test_server_error_fault_is_retried(slack: FakeSlackAPI) -> None:
    slack.inject_faults("chat.postMessage", [503, 500])
    handler = ServerErrorRetryHandler(max_retry_count=2, interval_calculator=QUICK)
    assert client(slack, retry_handlers=[handler]).chat_postMessage(channel="C1", text="x")["ok"]
    assert [fault for _, fault in slack.faulted] == [503, 500]
    assert len(slack.posted_messages()) == 1

    slack.inject_faults("chat.postMessage", [503])
    with pytest.raises(SlackApiError):
        client(slack).chat_postMessage(channel="C1", text="no retry")


def test_injected_429_is_retried(slack: FakeSlackAPI) -> None:
    slack.fault_retry_after = 0
    slack.inject_faults("users.info", [429])
    handler = RateLimitErrorRetryHandler(max_retry_count=1)
    assert client(slack, retry_handlers=[handler]).users_info(user="U1")["ok"]


def test_connection_reset_is_retried(slack: FakeSlackAPI) -> None:
    slack.inject_faults("chat.postMessage", ["reset"])
    with pytest.raises((ConnectionError, OSError)):
        client(slack).chat_postMessage(channel="C1", text="lost")
    assert slack.posted_messages() == []

    slack.inject_faults("chat.postMessage", ["reset"])
    handler = ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=QUICK)
    assert client(slack, retry_handlers=[handler]).chat_postMessage(channel="C1", text="x")["ok"]
    assert len(slack.faulted) == 2
    assert len(slack.posted_messages()) == 1


def test_timeout_faults(slack: FakeSlackAPI) -> None:
    web = client(slack, timeout=0.2)
    slack.inject_faults("chat.postMessage", ["timeout"])
    with pytest.raises(OSError, match="timed out"):
        web.chat_postMessage(channel="C1", text="never stored")
    assert slack.posted_messages() == []

    slack.inject_faults("chat.postMessage", ["slow"])  # Slack did the work; the client gave up
    with pytest.raises(OSError, match="timed out"):
        web.chat_postMessage(channel="C1", text="stored anyway")
    assert [m["text"] for m in slack.posted_messages()] == ["stored anyway"]


def test_several_instances_and_reset() -> None:
    with FakeSlackAPI() as one, FakeSlackAPI() as two:
        assert one.url != two.url
        client(one).chat_postMessage(channel="C1", text="ett")
        assert two.calls == []
        one.reset()
        assert one.calls == []
        assert one.posted_messages() == []
    with pytest.raises(RuntimeError):
        _ = one.url


# -- signing -----------------------------------------------------------------------------------

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_signature_verifies_with_slack_sdk() -> None:
    body = event_callback("T1", {"type": "app_mention", "user": "U1", "text": "hej"})
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, sign(SECRET, body))
    assert not SignatureVerifier("wrong-secret").is_valid_request(body, sign(SECRET, body))
    stale = sign(SECRET, body, timestamp=int(time.time()) - 6 * 60)
    assert not verifier.is_valid_request(body, stale)
    assert not verifier.is_valid_request(body + b" ", sign(SECRET, body))


def test_payload_builders_match_slack() -> None:
    fields = parse_qs(slash_command("tema", trigger_id="1.2.ab").decode())
    assert set(fields) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert fields["command"] == ["/ledarforum"]
    assert fields["text"] == ["tema"]

    envelope = json.loads(event_callback("T9", {"type": "message"}, event_id="Ev1", event_time=5))
    assert envelope["type"] == "event_callback"
    assert (envelope["team_id"], envelope["event_id"], envelope["event_time"]) == ("T9", "Ev1", 5)
    assert envelope["authorizations"][0]["team_id"] == "T9"

    payload = parse_qs(interactive({"type": "block_actions"}).decode())["payload"][0]
    assert json.loads(payload) == {"type": "block_actions"}
    assert json.loads(url_verification("abc")) == {
        "token": "verification-token",
        "challenge": "abc",
        "type": "url_verification",
    }


def test_post_signed_sends_verifiable_headers(slack: FakeSlackAPI) -> None:
    body = json.dumps({"text": "svar"}).encode()
    response = post_signed(slack.new_response_url(), body, SECRET, JSON)
    assert response.status_code == 200
    (posted,) = slack.responses
    assert posted.payload == {"text": "svar"}
    assert SignatureVerifier(SECRET).is_valid_request(body, posted.headers)


def test_bolt_app_handles_a_signed_slash_command(slack: FakeSlackAPI) -> None:
    app = App(client=client(slack), signing_secret=SECRET)

    @app.command("/ledarforum")
    def handle(ack: Any, say: Any, command: dict[str, Any]) -> None:
        ack()
        say(f"Du skrev: {command['text']}")

    body = slash_command("tema", channel_id="C5", response_url=slack.new_response_url())
    headers: dict[str, str | Sequence[str]] = {"content-type": FORM, **sign(SECRET, body)}
    response = app.dispatch(BoltRequest(body=body.decode(), headers=headers))
    assert response.status == 200
    slack.wait_for("chat.postMessage", 1)  # Bolt runs the listener after the ack
    assert [m["text"] for m in slack.posted_messages("C5")] == ["Du skrev: tema"]

    forged: dict[str, str | Sequence[str]] = {"content-type": FORM, **sign("nope", body)}
    assert app.dispatch(BoltRequest(body=body.decode(), headers=forged)).status == 401
