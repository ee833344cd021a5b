"""Sign requests the way Slack does, and build the bodies Slack sends to an app.

Slack signs every request with HMAC-SHA256 over ``v0:{timestamp}:{raw body}`` using the app's
signing secret and sends ``X-Slack-Signature: v0=<hex>`` and ``X-Slack-Request-Timestamp``;
receivers refuse timestamps more than 5 minutes away. The builders return the raw body bytes
(JSON for the Events API, form encoding for slash commands and interactions), so the very same
bytes can be signed and posted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import time
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

import httpx

__all__ = [
    "FORM",
    "JSON",
    "VERIFICATION_TOKEN",
    "block_actions_payload",
    "event_callback",
    "interactive",
    "message_event",
    "new_event_id",
    "new_trigger_id",
    "post_signed",
    "sign",
    "signature",
    "slash_command",
    "url_verification",
    "view_submission_payload",
]

JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
#: The deprecated verification token Slack still includes in payloads.
VERIFICATION_TOKEN: Final = "verification-token"


def signature(secret: str, body: bytes | str, timestamp: int) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed with ``secret``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + raw
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to a request carrying ``body`` (timestamp defaults to now)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(secret, body, ts),
    }


def new_event_id() -> str:
    """An id shaped like Slack's (``Ev`` + 9 upper-case letters and digits)."""
    alphabet = string.ascii_uppercase + string.digits
    return "Ev" + "".join(secrets.choice(alphabet) for _ in range(9))


def new_trigger_id() -> str:
    """A trigger id shaped like Slack's: ``<digits>.<digits>.<hex>``."""
    return f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def _dumps(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_callback(
    team_id: str,
    event: Mapping[str, Any],
    event_id: str | None = None,
    event_time: int | None = None,
    api_app_id: str = "A1",
    *,
    bot_user_id: str = "UBOT",
    enterprise_id: str | None = None,
    is_ext_shared_channel: bool = False,
    token: str = VERIFICATION_TOKEN,
) -> bytes:
    """The JSON body of an Events API delivery (``type: event_callback``) wrapping ``event``.

    ``event_ts`` is added to the event when it has none (Slack always sends it); the event dict
    passed in is not modified.
    """
    when = int(time.time()) if event_time is None else int(event_time)
    inner = dict(event)
    inner.setdefault("event_ts", inner.get("ts") or f"{when}.000100")
    envelope: dict[str, Any] = {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": enterprise_id,
        "api_app_id": api_app_id,
        "event": inner,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": when,
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": is_ext_shared_channel,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }
    if enterprise_id is not None:
        envelope["enterprise_id"] = enterprise_id
    return _dumps(envelope)


def message_event(
    text: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    team_id: str = "T1",
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str | None = None,
) -> dict[str, Any]:
    """A ``message`` event as Slack puts it inside ``event_callback`` (for DMs: channel ``D…``)."""
    stamp = ts or f"{time.time():.6f}"
    if channel_type is None:
        channel_type = {"D": "im", "G": "group"}.get(channel[:1], "channel")
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": stamp,
        "team": team_id,
        "channel": channel,
        "event_ts": stamp,
        "channel_type": channel_type,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def slash_command(
    text: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    team_id: str = "T1",
    command: str = "/ledarforum",
    trigger_id: str | None = None,
    response_url: str | None = None,
    *,
    user_name: str | None = None,
    channel_name: str | None = None,
    team_domain: str | None = None,
    api_app_id: str = "A1",
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> bytes:
    """The form-encoded body Slack POSTs for a slash command, with the fields Slack sends.

    The default ``response_url`` points at hooks.slack.com; pass
    ``FakeSlackAPI.new_response_url()`` when the app will actually post to it.
    """
    if channel_name is None:
        channel_name = {"D": "directmessage", "G": "privategroup"}.get(channel_id[:1], "general")
    fields: list[tuple[str, str]] = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain or team_id.lower()),
    ]
    if enterprise_id is not None:
        fields.append(("enterprise_id", enterprise_id))
        fields.append(("enterprise_name", enterprise_name or enterprise_id))
    fields += [
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name or user_id.lower()),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        (
            "response_url",
            response_url
            or f"https://hooks.slack.com/commands/{team_id}/{secrets.randbelow(10**12)}/"
            f"{secrets.token_urlsafe(18)}",
        ),
        ("trigger_id", trigger_id or new_trigger_id()),
    ]
    return urlencode(fields).encode("ascii")


def interactive(payload: Mapping[str, Any]) -> bytes:
    """The form-encoded body of an interaction: ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("ascii")


def _user(user_id: str, team_id: str) -> dict[str, str]:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def block_actions_payload(
    action_id: str,
    value: str | None = None,
    *,
    block_id: str = "b1",
    action_type: str = "button",
    user_id: str = "U1",
    team_id: str = "T1",
    channel_id: str | None = "C1",
    message: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    api_app_id: str = "A1",
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a click in a message (default) or in ``view``.

    Wrap it with :func:`interactive` to get the request body.
    """
    now = time.time()
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{now:.6f}",
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None:
            action["value"] = value
    elif action_type in ("static_select", "external_select"):
        action["selected_option"] = {
            "text": {"type": "plain_text", "text": value or ""},
            "value": value,
        }
    elif value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_id.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        payload["view"] = dict(view)
    else:
        msg = dict(message or {})
        msg_ts = str(msg.get("ts") or f"{now - 60:.6f}")
        msg.setdefault("ts", msg_ts)
        msg.setdefault("type", "message")
        payload["container"] = {
            "type": "message",
            "message_ts": msg_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id, "name": (channel_id or "").lower()}
        payload["message"] = msg
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url or (
            f"https://hooks.slack.com/actions/{team_id}/{secrets.randbelow(10**12)}/"
            f"{secrets.token_urlsafe(18)}"
        )
    return payload


def view_submission_payload(
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]],
    *,
    private_metadata: str = "",
    user_id: str = "U1",
    team_id: str = "T1",
    view_id: str = "V1",
    blocks: list[Any] | None = None,
    api_app_id: str = "A1",
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``view_submission`` payload; ``values`` is ``state.values`` (block_id → action_id → …).

    Example value: ``{"b_text": {"a_text": {"type": "plain_text_input", "value": "Hej"}}}``.
    """
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_id.lower()},
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": list(blocks or []),
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": {k: dict(v) for k, v in values.items()}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": {"type": "plain_text", "text": "Ledarforum"},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "OK"},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def url_verification(challenge: str, token: str = VERIFICATION_TOKEN) -> bytes:
    """The JSON body of the Events API's ``url_verification`` handshake."""
    return _dumps({"token": token, "challenge": challenge, "type": "url_verification"})


def post_signed(
    url: str,
    body: bytes | str,
    secret: str,
    content_type: str = JSON,
    headers: Mapping[str, str] | None = None,
    timestamp: int | None = None,
    *,
    timeout: float = 10.0,
) -> httpx.Response:
    """POST ``body`` to ``url`` signed with ``secret``, as Slack would.

    Extra ``headers`` (e.g. ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason``) are sent too and may
    override the signature headers (to test a forged one).
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    sent = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    sent.update(sign(secret, raw, timestamp))
    if headers:
        sent.update(headers)
    return httpx.post(url, content=raw, headers=sent, timeout=timeout)
