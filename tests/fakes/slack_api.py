"""A local fake of the Slack Web API: a real HTTP server on 127.0.0.1 for adapter tests.

``slack_sdk.WebClient(base_url=fake.url, token="xoxb-test")`` talks to it exactly as it talks to
Slack: form, JSON and multipart bodies, ``Authorization: Bearer`` tokens, HTTP 429 with
``Retry-After``, and Slack's error payloads (``{"ok": false, "error": ...}`` with HTTP 200).

What it models, and where it is strict on purpose (each rule follows Slack's documented limits,
see ``/work/shared/design/SLACK-NOTES.md``):

* Block Kit validation for messages (50 blocks, section 3,000, header 150 plain text, context 10,
  actions 25, button 75, ids 255, unique ``block_id``) and views (100 blocks, title/submit/close
  24, ``private_metadata`` 3,000); ``msg_blocks_too_long`` above 13,000 characters of compact
  block JSON; ``msg_too_long`` above 40,000 characters of text.
* Messages are stored per (team, channel): ``conversations.history`` / ``conversations.replies``
  return them newest-first / thread-order, with ``metadata`` only when ``include_all_metadata``.
* ``users.info`` returns ``locale`` only with ``include_locale=true``, as Slack does.
* :meth:`FakeSlackAPI.deactivate_user` makes DMs to a person fail for good (``user_disabled``
  from ``conversations.open``, or e.g. ``account_inactive`` from ``chat.postMessage``).
* Trigger ids issued by :meth:`FakeSlackAPI.new_trigger_id` expire after 3 s and are single use.
* Rate limits and injected faults are off until asked for.

Everything is in memory and guarded by one lock; accessors return deep copies.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import email.parser
import email.policy
import hashlib
import json
import math
import re
import secrets
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TEAM",
    "DEFAULT_TOKEN",
    "Call",
    "FakeSlackAPI",
    "Fault",
    "ResponsePost",
    "UploadedFile",
    "validate_message_blocks",
    "validate_view",
]

JSONDict = dict[str, Any]
#: An injected fault: an HTTP status (``500``, ``503``, ``429``, ...), ``"timeout"`` (wait longer
#: than the client's timeout, then answer 504 without doing the work), ``"slow"`` (do the work,
#: then answer only after the delay: the client times out although the call succeeded),
#: ``"reset"`` (close the socket with a TCP RST, no response) or a dict sent as a 200 JSON body
#: (e.g. ``{"ok": False, "error": "channel_not_found"}``).
Fault = int | str | JSONDict

DEFAULT_TOKEN: Final = "xoxb-test"
DEFAULT_TEAM: Final = "T1"

MAX_MESSAGE_BLOCKS: Final = 50
MAX_VIEW_BLOCKS: Final = 100
MAX_BLOCKS_JSON_CHARS: Final = 13_000
MAX_TEXT_CHARS: Final = 40_000

_BLOCK_TYPES: Final = frozenset(
    {
        "actions",
        "call",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
_TEXT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})
_OPTION_LIMITS: Final = {
    "static_select": 100,
    "multi_static_select": 100,
    "overflow": 5,
    "checkboxes": 10,
    "radio_buttons": 10,
}
_NO_AUTH_METHODS: Final = frozenset({"api.test", "oauth.v2.access", "oauth.access"})
_TRIGGER_RE: Final = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
_DEFAULT_SCOPES: Final = (
    "chat:write,commands,im:write,im:history,users:read,channels:read,channels:history,"
    "groups:read,reactions:write,files:write,app_mentions:read"
)


@dataclass(frozen=True)
class Call:
    """One Web API call as the fake received it.

    ``params`` holds the arguments as sent, except that JSON carried in a form field
    (``blocks``, ``attachments``, ``metadata``, ``view``, ``files``) is decoded when it parses.
    ``at`` is ``time.time()`` when the call was answered; ``response`` is the JSON body sent back.
    """

    method: str
    params: dict[str, Any]
    token: str | None
    team_id: str | None
    at: float
    http_method: str = "POST"
    content_type: str = ""
    status: int = 200
    response: JSONDict | None = None


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded through ``files.upload`` or the external upload flow."""

    id: str
    team_id: str
    filename: str
    title: str
    content: bytes
    length: int | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False


@dataclass(frozen=True)
class ResponsePost:
    """A POST the app made to a ``response_url`` handed out by :meth:`new_response_url`."""

    response_id: str
    payload: JSONDict
    at: float
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Token:
    token: str
    team_id: str
    team_name: str
    user_id: str
    user_name: str
    bot_id: str | None
    scopes: str
    revoked: bool = False


@dataclass
class _User:
    id: str
    team_id: str
    name: str
    real_name: str
    display_name: str
    tz: str
    locale: str
    is_bot: bool = False
    email: str | None = None
    deleted: bool = False
    # A deactivated account: the error Slack answers, and to which call (see deactivate_user).
    dm_error: str | None = None
    dm_error_at: str = "conversations.open"


@dataclass
class _Channel:
    id: str
    team_id: str
    name: str
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    is_archived: bool = False
    user: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass
class _Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False


class _ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _Ctx:
    method: str
    params: dict[str, Any]
    token: _Token | None
    http_method: str
    content_type: str

    @property
    def auth(self) -> _Token:
        assert self.token is not None
        return self.token

    @property
    def team_id(self) -> str:
        return self.auth.team_id


# ---------------------------------------------------------------------------------------------
# Block Kit validation (pure functions, usable on their own)
# ---------------------------------------------------------------------------------------------


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def max_len(self, value: Any, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.err(f"must be less than {limit + 1} characters", pointer)

    def text(
        self,
        obj: Any,
        pointer: str,
        *,
        limit: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.err("missing required field: text", pointer)
            return
        if not isinstance(obj, dict):
            self.err("must be a text object", pointer)
            return
        kind = obj.get("type")
        if plain_only and kind != "plain_text":
            self.err("must be plain_text", f"{pointer}/type")
        elif kind not in _TEXT_TYPES:
            self.err("must be one of plain_text, mrkdwn", f"{pointer}/type")
        value = obj.get("text")
        if not isinstance(value, str):
            self.err("missing required field: text", f"{pointer}/text")
            return
        if not value:
            self.err("must be more than 0 characters", f"{pointer}/text")
        self.max_len(value, limit, f"{pointer}/text")

    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict):
            self.err("must be an object", pointer)
            return
        kind = el.get("type")
        if not isinstance(kind, str):
            self.err("missing required field: type", pointer)
            return
        self.max_len(el.get("action_id"), 255, f"{pointer}/action_id")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{pointer}/placeholder", limit=150, plain_only=True)
        if kind == "button":
            self.text(el.get("text"), f"{pointer}/text", limit=75, plain_only=True)
            self.max_len(el.get("value"), 2000, f"{pointer}/value")
            self.max_len(el.get("url"), 3000, f"{pointer}/url")
        elif kind == "plain_text_input":
            max_length = el.get("max_length")
            if isinstance(max_length, int) and max_length > 3000:
                self.err("must be less than or equal to 3000", f"{pointer}/max_length")
        limit = _OPTION_LIMITS.get(kind)
        options = el.get("options")
        if limit is not None and isinstance(options, list) and len(options) > limit:
            self.err(f"no more than {limit} items allowed", f"{pointer}/options")

    def block(self, block: Any, pointer: str, seen_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.err("must be an object", pointer)
            return
        kind = block.get("type")
        if kind is None:
            self.err("missing required field: type", pointer)
            return
        if kind not in _BLOCK_TYPES:
            self.err(f"unsupported type: {kind}", f"{pointer}/type")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str):
                self.err("must be a string", f"{pointer}/block_id")
            else:
                self.max_len(block_id, 255, f"{pointer}/block_id")
                if block_id in seen_ids:
                    self.err(f"duplicate block_id: {block_id}", f"{pointer}/block_id")
                seen_ids.add(block_id)
        if kind == "section":
            self._section(block, pointer)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", limit=150, plain_only=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("missing required field: elements", f"{pointer}/elements")
            elif len(elements) > 10:
                self.err("no more than 10 items allowed", f"{pointer}/elements")
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("missing required field: elements", f"{pointer}/elements")
            else:
                if len(elements) > 25:
                    self.err("no more than 25 items allowed", f"{pointer}/elements")
                for i, el in enumerate(elements):
                    self.element(el, f"{pointer}/elements/{i}")
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", limit=2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{pointer}/hint", limit=2000, plain_only=True)
            if "element" not in block:
                self.err("missing required field: element", f"{pointer}/element")
            else:
                self.element(block["element"], f"{pointer}/element")
        elif kind == "image":
            if "image_url" not in block and "slack_file" not in block:
                self.err("missing required field: image_url", f"{pointer}/image_url")
            if not isinstance(block.get("alt_text"), str):
                self.err("missing required field: alt_text", f"{pointer}/alt_text")
            self.max_len(block.get("alt_text"), 2000, f"{pointer}/alt_text")
        elif kind == "markdown":
            if not isinstance(block.get("text"), str):
                self.err("missing required field: text", f"{pointer}/text")
            self.max_len(block.get("text"), 12_000, f"{pointer}/text")

    def _section(self, block: JSONDict, pointer: str) -> None:
        fields = block.get("fields")
        if "text" not in block and not fields:
            self.err("must provide either text or fields", pointer)
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", limit=3000)
        if fields is not None:
            if not isinstance(fields, list):
                self.err("must be an array", f"{pointer}/fields")
            else:
                if len(fields) > 10:
                    self.err("no more than 10 items allowed", f"{pointer}/fields")
                for i, item in enumerate(fields):
                    self.text(item, f"{pointer}/fields/{i}", limit=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")

    def blocks(self, blocks: list[Any], pointer: str, max_blocks: int) -> None:
        if len(blocks) > max_blocks:
            self.err(f"no more than {max_blocks} items allowed", pointer)
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}", seen)


def blocks_json_length(blocks: list[Any]) -> int:
    """Characters in the compact JSON of ``blocks``: what ``msg_blocks_too_long`` measures."""
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def validate_message_blocks(blocks: list[Any]) -> JSONDict | None:
    """Slack's answer to a message with ``blocks``, or ``None`` when Slack would accept them."""
    v = _Validator()
    v.blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    if v.errors:
        return {
            "ok": False,
            "error": "invalid_blocks",
            "errors": v.errors,
            "response_metadata": {"messages": [f"[ERROR] {e}" for e in v.errors]},
        }
    if blocks_json_length(blocks) > MAX_BLOCKS_JSON_CHARS:
        return {"ok": False, "error": "msg_blocks_too_long"}
    return None


def validate_view(view: Any, *, home: bool = False) -> list[str]:
    """Problems Slack would report (as ``invalid_arguments``) for a view payload."""
    v = _Validator()
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        v.err("must be one of modal, home", "/view/type")
    elif home and kind != "home":
        v.err("must be home", "/view/type")
    if kind == "modal":
        v.text(view.get("title"), "/view/title", limit=24, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            v.text(view[key], f"/view/{key}", limit=24, plain_only=True)
    v.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    v.max_len(view.get("callback_id"), 255, "/view/callback_id")
    v.max_len(view.get("external_id"), 255, "/view/external_id")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        v.err("missing required field: blocks", "/view/blocks")
    else:
        v.blocks(blocks, "/view/blocks", MAX_VIEW_BLOCKS)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if kind == "modal" and has_input and "submit" not in view:
            v.err("submit is required when an input block is within the blocks array", "/view")
    return v.errors


# ---------------------------------------------------------------------------------------------
# Parameter helpers
# ---------------------------------------------------------------------------------------------

_JSON_FIELDS: Final = ("blocks", "attachments", "metadata", "view", "files")


def _decode_json_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key in _JSON_FIELDS:
        value = out.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(value)
    return out


def _str(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _required(params: Mapping[str, Any], key: str, error: str = "invalid_arguments") -> str:
    value = _str(params, key)
    if not value:
        raise _ApiError(error)
    return value


def _bool(params: Mapping[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return False


def _int(params: Mapping[str, Any], key: str, default: int) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _ApiError("invalid_arguments") from None


def _json_arg(params: Mapping[str, Any], key: str, error: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(error) from None
    return value


def _ts_key(ts: str) -> tuple[int, int]:
    whole, _, frac = ts.partition(".")
    try:
        return int(whole), int((frac or "0").ljust(6, "0")[:6])
    except ValueError:
        return 0, 0


def _ts_float(ts: str | None, default: float) -> float:
    if not ts:
        return default
    try:
        return float(ts)
    except ValueError:
        raise _ApiError("invalid_ts_latest") from None


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    out: dict[str, Any] = {}
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return out
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            out[name] = data
            out.setdefault("__filename__", part.get_filename())
        else:
            out[name] = data.decode("utf-8", "replace")
    return out


def _html(status: int, reason: str) -> bytes:
    return f"<html><body><h1>{status} {reason}</h1></body></html>".encode()


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeSlackAPI) -> None:
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients that hang up (timeouts, resets) are part of the job."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSlack/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections

    def _fake_server(self) -> _Server:
        server = self.server
        assert isinstance(server, _Server)
        return server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes: without this, keep-alive clients wait for
        # delayed ACKs (~40 ms a request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = self._fake_server()
        with server.sockets_lock:
            server.open_sockets.add(self.connection)

    def finish(self) -> None:
        server = self._fake_server()
        with server.sockets_lock:
            server.open_sockets.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """No request logging."""

    def do_POST(self) -> None:
        self._fake_server().fake._serve(self)

    def do_GET(self) -> None:
        self._fake_server().fake._serve(self)


def _read_body(h: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in h.headers.get("Transfer-Encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size_line = h.rfile.readline(65537)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(h.rfile.read(size))
            h.rfile.readline(65537)
    length = int(h.headers.get("Content-Length") or 0)
    return h.rfile.read(length) if length > 0 else b""


# ---------------------------------------------------------------------------------------------
# Rate limits
# ---------------------------------------------------------------------------------------------


@dataclass
class _RateLimits:
    per_channel_per_second: float | None
    burst: int
    per_team_per_minute: int | None
    per_method_per_minute: dict[str, int]
    retry_after: int | None
    buckets: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    team_windows: dict[str, deque[float]] = field(default_factory=dict)
    method_windows: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def check(self, method: str, team_id: str, channel: str | None, now: float) -> float | None:
        """Seconds to wait if the call must be refused; otherwise charge it and return None."""
        waits: list[float] = []
        bucket_key = (team_id, channel or "")
        tokens = 0.0
        posting = method == "chat.postMessage"
        if posting and self.per_channel_per_second:
            rate = self.per_channel_per_second
            tokens, last = self.buckets.get(bucket_key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * rate)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / rate)
        windows: list[tuple[deque[float], int]] = []
        if posting and self.per_team_per_minute is not None:
            windows.append(
                (self.team_windows.setdefault(team_id, deque()), self.per_team_per_minute)
            )
        method_limit = self.per_method_per_minute.get(method)
        if method_limit is not None:
            windows.append(
                (self.method_windows.setdefault((team_id, method), deque()), method_limit)
            )
        for window, limit in windows:
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limit:
                waits.append(window[0] + 60.0 - now if window else 60.0)
        if waits:
            return max(waits)
        if posting and self.per_channel_per_second:
            self.buckets[bucket_key] = (tokens - 1.0, now)
        for window, _ in windows:
            window.append(now)
        return None


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------


class FakeSlackAPI:
    """An in-process Slack Web API on ``http://127.0.0.1:<port>/api/``.

    >>> with FakeSlackAPI() as slack:
    ...     client = WebClient(base_url=slack.url, token="xoxb-test")
    ...     client.chat_postMessage(channel="C1", text="hej")
    ...     slack.wait_for("chat.postMessage", 1)
    """

    def __init__(
        self,
        *,
        timeout_delay: float = 3.0,
        fault_retry_after: int = 1,
        strict_channels: bool = False,
        history_page_limit: int | None = None,
        trigger_ttl: float = 3.0,
        app_id: str = "A1",
    ) -> None:
        #: How long a ``"timeout"``/``"slow"`` fault holds the answer back (seconds).
        self.timeout_delay = timeout_delay
        #: ``Retry-After`` sent with an injected 429 fault.
        self.fault_retry_after = fault_retry_after
        #: When true, unknown channels give ``channel_not_found`` instead of being created.
        self.strict_channels = strict_channels
        #: Clamp ``conversations.history``/``replies`` pages (Slack: 15 for non-Marketplace apps).
        self.history_page_limit = history_page_limit
        self.trigger_ttl = trigger_ttl
        self.app_id = app_id

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

        self._tokens: dict[str, _Token] = {}
        self._users: dict[str, _User] = {}
        self._channels: dict[tuple[str, str], _Channel] = {}
        self._messages: dict[tuple[str, str], list[JSONDict]] = {}
        self._calls: list[Call] = []
        self._rejected: list[Call] = []
        self._faulted: list[tuple[Call, Fault]] = []
        self._errors: list[str] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._limits: _RateLimits | None = None
        self._ephemeral: list[JSONDict] = []
        self._deleted: list[JSONDict] = []
        self._views: dict[str, JSONDict] = {}
        self._view_log: list[JSONDict] = []
        self._homes: dict[tuple[str, str], str] = {}
        self._files: dict[str, UploadedFile] = {}
        self._responses: list[ResponsePost] = []
        self._triggers: dict[str, tuple[float, bool]] = {}
        self._oauth_codes: dict[str, JSONDict] = {}
        self._oauth_client: tuple[str, str] | None = None
        self._last_ts = 0
        self._counter = 0

        self.add_token(DEFAULT_TOKEN, DEFAULT_TEAM)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeSlackAPI:
        """Start serving (idempotent); returns ``self``."""
        with self._lock:
            if self._server is not None:
                return self
            self._stopping.clear()
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-slack-{self.port}",
                daemon=True,
            )
            self._thread.start()
            return self

    def stop(self) -> None:
        """Stop serving, drop open connections and wake any delayed answers (idempotent)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with server.sockets_lock:
            sockets = list(server.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlackAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        server = self._server
        if server is None:
            raise RuntimeError("FakeSlackAPI is not running; call start() or use `with`")
        return int(server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/`` (uploads and response URLs live under it)."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``: ``http://127.0.0.1:<port>/api/``."""
        return f"{self.base_url}api/"

    # -- configuration -------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        team_id: str,
        bot_user_id: str | None = "UBOT",
        bot_id: str | None = "BBOT",
        *,
        team_name: str | None = None,
        user_name: str = "ledarforum",
        scopes: str = _DEFAULT_SCOPES,
    ) -> None:
        """Accept ``token`` for ``team_id``. ``bot_id=None`` makes it a user token (xoxp)."""
        user_id = (
            bot_user_id
            or "U" + hashlib.sha1(token.encode(), usedforsecurity=False).hexdigest()[:8].upper()
        )
        with self._lock:
            self._tokens[token] = _Token(
                token=token,
                team_id=team_id,
                team_name=team_name or f"Team {team_id}",
                user_id=user_id,
                user_name=user_name,
                bot_id=bot_id,
                scopes=scopes,
            )
            if bot_id is not None and user_id not in self._users:
                self._users[user_id] = _User(
                    id=user_id,
                    team_id=team_id,
                    name=user_name,
                    real_name=user_name.capitalize(),
                    display_name="",
                    tz="America/Los_Angeles",
                    locale="en-US",
                    is_bot=True,
                )

    def add_user(
        self,
        user_id: str,
        real_name: str | None = None,
        tz: str = "Europe/Stockholm",
        locale: str = "sv-SE",
        *,
        name: str | None = None,
        display_name: str | None = None,
        team_id: str = DEFAULT_TEAM,
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        """Define what ``users.info`` says about ``user_id``."""
        real = real_name if real_name is not None else f"User {user_id}"
        with self._lock:
            self._users[user_id] = _User(
                id=user_id,
                team_id=team_id,
                name=name or real.lower().replace(" ", "."),
                real_name=real,
                display_name=display_name if display_name is not None else real,
                tz=tz,
                locale=locale,
                is_bot=is_bot,
                email=email,
                deleted=deleted,
            )

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        team_id: str = DEFAULT_TEAM,
        is_private: bool = False,
        is_archived: bool = False,
    ) -> None:
        """Declare a channel (needed with ``strict_channels``; names resolve ``#name``)."""
        with self._lock:
            self._channels[(team_id, channel_id)] = _Channel(
                id=channel_id,
                team_id=team_id,
                name=name or channel_id.lower(),
                is_im=channel_id.startswith("D"),
                is_private=is_private or channel_id.startswith("G"),
                is_archived=is_archived,
            )

    def add_message(
        self,
        channel: str,
        text: str,
        user: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        *,
        team_id: str = DEFAULT_TEAM,
        blocks: list[Any] | None = None,
    ) -> str:
        """Put a human's message into ``channel``'s history; returns its ts."""
        with self._lock:
            self._ensure_channel(team_id, channel, create=True)
            if ts is None:
                ts = self._next_ts()
            else:
                self._last_ts = max(self._last_ts, _ts_key(ts)[0] * 1_000_000 + _ts_key(ts)[1])
            msg: JSONDict = {
                "channel": channel,
                "team_id": team_id,
                "ts": ts,
                "text": text,
                "blocks": blocks,
                "thread_ts": thread_ts,
                "metadata": None,
                "user": user,
                "bot_id": None,
                "source": "human",
            }
            self._store(msg)
            return ts

    def set_oauth_client(self, client_id: str, client_secret: str) -> None:
        """Make ``oauth.v2.access`` check these credentials."""
        with self._lock:
            self._oauth_client = (client_id, client_secret)

    def add_oauth_code(
        self,
        code: str,
        team_id: str,
        *,
        user_id: str = "U1",
        bot_token: str | None = None,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_name: str | None = None,
        scopes: str = _DEFAULT_SCOPES,
    ) -> str:
        """Register a one-time OAuth code; ``oauth.v2.access`` exchanges it. Returns the token."""
        token = bot_token or f"xoxb-{team_id}-{secrets.token_hex(8)}"
        with self._lock:
            self._oauth_codes[code] = {
                "team_id": team_id,
                "team_name": team_name or f"Team {team_id}",
                "user_id": user_id,
                "token": token,
                "bot_user_id": bot_user_id,
                "bot_id": bot_id,
                "scopes": scopes,
            }
        return token

    def new_trigger_id(self) -> str:
        """A trigger id that ``views.open``/``views.push`` accept once, within ``trigger_ttl``."""
        trigger = f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger] = (time.monotonic(), False)
        return trigger

    def new_response_url(self) -> str:
        """A ``response_url`` served by this fake; POSTs to it land in :attr:`responses`."""
        with self._lock:
            self._counter += 1
            rid = f"R{self._counter:06d}{secrets.token_hex(4)}"
        return f"{self.base_url}response/{rid}"

    def deactivate_user(
        self, user_id: str, error: str = "user_disabled", *, at: str = "conversations.open"
    ) -> None:
        """Deactivate ``user_id``: direct messages to them fail with ``error`` for good.

        ``at="conversations.open"`` refuses opening the DM (as for an account deactivated before
        the bot wrote to it); ``at="chat.postMessage"`` opens it but refuses posting in it.
        ``users.info`` says ``deleted: true``.
        """
        if at not in ("conversations.open", "chat.postMessage"):
            raise ValueError(f"deactivate_user cannot fail {at!r}")
        with self._lock:
            user = self._users.get(user_id) or self._user(user_id)
            self._users[user_id] = dataclasses.replace(
                user, deleted=True, dm_error=error, dm_error_at=at
            )

    def rate_limit(
        self,
        per_channel_per_second: float | None = 1.0,
        per_team_per_minute: int | None = None,
        retry_after: int | None = 1,
        *,
        burst: int = 1,
        per_method_per_minute: Mapping[str, int] | None = None,
    ) -> None:
        """Enforce Slack-like limits (off by default).

        ``chat.postMessage`` is limited per channel by a token bucket (``burst`` messages, refilled
        at ``per_channel_per_second``; the default allows 1 message in any 1-second window) and,
        optionally, per team per sliding minute. ``per_method_per_minute`` limits any method per
        team (e.g. ``{"users.info": 100}``). Refusals are HTTP 429 + ``Retry-After`` (the given
        seconds, or the real wait rounded up when ``retry_after`` is None) and go to
        :attr:`rejected`, not :attr:`calls`.
        """
        with self._lock:
            self._limits = _RateLimits(
                per_channel_per_second=per_channel_per_second,
                burst=max(1, burst),
                per_team_per_minute=per_team_per_minute,
                per_method_per_minute=dict(per_method_per_minute or {}),
                retry_after=retry_after,
            )

    def clear_rate_limits(self) -> None:
        with self._lock:
            self._limits = None

    def inject_faults(self, method: str, faults: Iterable[Fault]) -> None:
        """Queue failures for the next calls to ``method`` (``"*"``: any method). See ``Fault``."""
        with self._lock:
            queue = self._faults.setdefault(method, deque())
            for fault in faults:
                if isinstance(fault, str) and fault not in ("timeout", "slow", "reset"):
                    raise ValueError(f"unknown fault {fault!r}")
                queue.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget calls, messages, views, files and pending faults; keep tokens, users, limits."""
        with self._lock:
            self._calls.clear()
            self._rejected.clear()
            self._faulted.clear()
            self._errors.clear()
            self._faults.clear()
            self._messages.clear()
            self._ephemeral.clear()
            self._deleted.clear()
            self._views.clear()
            self._view_log.clear()
            self._homes.clear()
            self._files.clear()
            self._responses.clear()
            self._triggers.clear()
            if self._limits is not None:
                self._limits.buckets.clear()
                self._limits.team_windows.clear()
                self._limits.method_windows.clear()
            self._changed.notify_all()

    # -- inspection ----------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every answered API call, in order (a snapshot)."""
        with self._lock:
            return list(self._calls)

    @property
    def rejected(self) -> list[Call]:
        """Calls refused by :meth:`rate_limit` with HTTP 429 (a snapshot)."""
        with self._lock:
            return list(self._rejected)

    @property
    def faulted(self) -> list[tuple[Call, Fault]]:
        """Calls answered with an injected fault, with the fault used (a snapshot)."""
        with self._lock:
            return list(self._faulted)

    @property
    def errors(self) -> list[str]:
        """Bugs inside the fake itself (answered with HTTP 500); should stay empty."""
        with self._lock:
            return list(self._errors)

    @property
    def responses(self) -> list[ResponsePost]:
        with self._lock:
            return list(self._responses)

    @property
    def files(self) -> list[UploadedFile]:
        with self._lock:
            return list(self._files.values())

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` were answered; returns them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self._calls]
                    raise AssertionError(
                        f"expected at least {count} call(s) to {method} within {timeout}s, "
                        f"got {len(found)}; calls seen: {seen}; "
                        f"rate-limited: {len(self._rejected)}; faulted: {len(self._faulted)}"
                    )
                self._changed.wait(left)

    def posted_messages(
        self, channel: str | None = None, *, team_id: str | None = None
    ) -> list[JSONDict]:
        """Messages the app stored with ``chat.postMessage`` (current state), oldest first.

        Each dict has channel, ts, text, blocks, thread_ts, metadata, team_id, user (the bot
        user id), bot_id, reply_broadcast and attachments.
        """
        keys = ("channel", "ts", "text", "blocks", "thread_ts", "metadata", "team_id", "user")
        extra = ("bot_id", "reply_broadcast", "attachments")
        with self._lock:
            out = [
                {k: copy.deepcopy(m.get(k)) for k in keys + extra}
                for m in self._all_messages()
                if m["source"] == "chat.postMessage"
                and (channel is None or m["channel"] == channel)
                and (team_id is None or m["team_id"] == team_id)
            ]
        return sorted(out, key=lambda m: _ts_key(m["ts"]))

    def messages(self, channel: str, *, team_id: str = DEFAULT_TEAM) -> list[JSONDict]:
        """Everything stored in ``channel`` (human, bot, thread replies), oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages.get((team_id, channel), []))

    def ephemeral_messages(self, channel: str | None = None) -> list[JSONDict]:
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._ephemeral
                if channel is None or m["channel"] == channel
            ]

    def deleted_messages(self) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy(self._deleted)

    def views(self, method: str | None = None) -> list[JSONDict]:
        """Views opened/pushed/updated/published, oldest first: dicts with method, view, ..."""
        with self._lock:
            return [
                copy.deepcopy(v) for v in self._view_log if method is None or v["method"] == method
            ]

    def home_view(self, user_id: str, *, team_id: str = DEFAULT_TEAM) -> JSONDict | None:
        """The Home tab last published for ``user_id``."""
        with self._lock:
            view_id = self._homes.get((team_id, user_id))
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def is_revoked(self, token: str) -> bool:
        with self._lock:
            tok = self._tokens.get(token)
            return tok is None or tok.revoked

    # -- internals: storage --------------------------------------------------------------------

    def _next_ts(self) -> str:
        micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _all_messages(self) -> Iterable[JSONDict]:
        for msgs in self._messages.values():
            yield from msgs

    def _store(self, msg: JSONDict) -> None:
        msgs = self._messages.setdefault((msg["team_id"], msg["channel"]), [])
        msgs.append(msg)
        msgs.sort(key=lambda m: _ts_key(m["ts"]))

    def _find(self, team_id: str, channel: str, ts: str) -> JSONDict | None:
        for m in self._messages.get((team_id, channel), []):
            if m["ts"] == ts:
                return m
        return None

    def _ensure_channel(self, team_id: str, channel: str, *, create: bool) -> _Channel:
        known = self._channels.get((team_id, channel))
        if known is not None:
            return known
        if self.strict_channels and not create:
            raise _ApiError("channel_not_found")
        user = channel[1:] if channel.startswith("D") else None
        made = _Channel(
            id=channel,
            team_id=team_id,
            name=channel.lower(),
            is_im=channel.startswith("D"),
            is_private=channel.startswith("G"),
            user=user,
        )
        self._channels[(team_id, channel)] = made
        return made

    def _resolve_channel(self, ctx: _Ctx, key: str = "channel") -> _Channel:
        return self._resolve(ctx.team_id, _str(ctx.params, key))

    def _resolve(self, team_id: str, raw: str | None) -> _Channel:
        if not raw:
            raise _ApiError("channel_not_found")
        if raw.startswith("#"):
            for (team, _), chan in self._channels.items():
                if team == team_id and chan.name == raw[1:]:
                    return chan
            raise _ApiError("channel_not_found")
        if raw[0] in "UW":
            return self._ensure_channel(team_id, "D" + raw, create=True)
        return self._ensure_channel(team_id, raw, create=False)

    def _user(self, user_id: str) -> _User:
        known = self._users.get(user_id)
        if known is not None:
            return known
        return _User(
            id=user_id,
            team_id=DEFAULT_TEAM,
            name=f"user.{user_id.lower()}",
            real_name=f"User {user_id}",
            display_name=f"User {user_id}",
            tz="Europe/Stockholm",
            locale="sv-SE",
        )

    def _permalink(self, msg: JSONDict) -> str:
        ts = msg["ts"]
        link = f"https://fake.slack.test/archives/{msg['channel']}/p{ts.replace('.', '')}"
        thread_ts = msg.get("thread_ts")
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={msg['channel']}"
        return link

    def _render(self, msg: JSONDict, *, include_metadata: bool) -> JSONDict:
        out: JSONDict = {"type": "message", "user": msg["user"], "text": msg["text"]}
        if msg.get("subtype"):
            out["subtype"] = msg["subtype"]
        if msg.get("bot_id"):
            out["bot_id"] = msg["bot_id"]
            out["app_id"] = self.app_id
        out["ts"] = msg["ts"]
        out["team"] = msg["team_id"]
        if msg.get("blocks"):
            out["blocks"] = copy.deepcopy(msg["blocks"])
        if msg.get("attachments"):
            out["attachments"] = copy.deepcopy(msg["attachments"])
        if msg.get("files"):
            out["files"] = copy.deepcopy(msg["files"])
        if msg.get("edited"):
            out["edited"] = dict(msg["edited"])
        thread_ts = msg.get("thread_ts")
        if thread_ts:
            out["thread_ts"] = thread_ts
            if thread_ts != msg["ts"]:
                parent = self._find(msg["team_id"], msg["channel"], thread_ts)
                out["parent_user_id"] = parent["user"] if parent else msg["user"]
        replies = [
            m
            for m in self._messages.get((msg["team_id"], msg["channel"]), [])
            if m.get("thread_ts") == msg["ts"] and m["ts"] != msg["ts"]
        ]
        if replies:
            out["thread_ts"] = msg["ts"]
            out["reply_count"] = len(replies)
            users = list(dict.fromkeys(r["user"] for r in replies))
            out["reply_users"] = users
            out["reply_users_count"] = len(users)
            out["latest_reply"] = replies[-1]["ts"]
        if msg.get("reply_broadcast"):
            out["subtype"] = "thread_broadcast"
        reactions: dict[str, list[str]] = msg.get("reactions") or {}
        if reactions:
            out["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in reactions.items()
            ]
        if include_metadata and msg.get("metadata"):
            out["metadata"] = copy.deepcopy(msg["metadata"])
        return out

    # -- internals: HTTP -----------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        try:
            body = _read_body(h)
            path = urlsplit(h.path)
            if path.path.startswith("/api/"):
                reply = self._serve_api(h, path.path[len("/api/") :], path.query, body)
            elif path.path.startswith("/upload/"):
                reply = self._serve_upload(h, path.path[len("/upload/") :], body)
            elif path.path.startswith("/response/"):
                reply = self._serve_response_url(
                    path.path[len("/response/") :], body, dict(h.headers.items())
                )
            else:
                reply = _Reply(404, _html(404, "Not Found"), "text/html; charset=utf-8")
        except Exception as exc:  # a bug in the fake: make it loud in tests, not silent
            with self._lock:
                self._errors.append(f"{type(exc).__name__}: {exc}")
            reply = _Reply(500, json.dumps({"ok": False, "error": "fake_internal_error"}).encode())
        self._send(h, reply)

    def _send(self, h: BaseHTTPRequestHandler, reply: _Reply) -> None:
        if reply.reset:
            sock = h.connection
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
            except OSError:
                pass
            h.close_connection = True
            return
        if reply.delay > 0:
            self._stopping.wait(reply.delay)
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.content_type)
            h.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                h.send_header(name, value)
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(reply.body)
            h.wfile.flush()
        except OSError:
            h.close_connection = True

    def _params(
        self, h: BaseHTTPRequestHandler, query: str, body: bytes
    ) -> tuple[dict[str, Any], str]:
        content_type = h.headers.get("Content-Type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        if mime == "application/json" and body:
            try:
                data = json.loads(body)
            except ValueError:
                raise _ApiError("invalid_json") from None
            if not isinstance(data, dict):
                raise _ApiError("invalid_json")
            params.update(data)
        elif mime == "multipart/form-data":
            params.update(_parse_multipart(content_type, body))
        elif body:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params, mime

    def _serve_api(self, h: BaseHTTPRequestHandler, method: str, query: str, body: bytes) -> _Reply:
        header = h.headers.get("Authorization", "")
        token: str | None = header[7:].strip() if header.lower().startswith("bearer ") else None
        try:
            params, mime = self._params(h, query, body)
        except _ApiError as exc:
            params, mime = {}, ""
            return self._finish(
                method, params, token, None, h.command, mime, {"ok": False, "error": exc.error}
            )
        body_token = params.pop("token", None)
        if not token and isinstance(body_token, str):
            token = body_token
        recorded = _decode_json_fields(params)

        with self._lock:
            fault = self._take_fault(method)
        if fault is not None and fault != "slow":
            return self._fault_reply(method, recorded, token, h.command, mime, fault)
        reply = self._dispatch(h.command, method, params, recorded, token, mime)
        if fault == "slow":
            reply.delay = self.timeout_delay
        return reply

    def _dispatch(
        self,
        http_method: str,
        method: str,
        params: dict[str, Any],
        recorded: dict[str, Any],
        token: str | None,
        mime: str,
    ) -> _Reply:
        with self._lock:
            tok = self._tokens.get(token) if token else None
            if method not in _NO_AUTH_METHODS:
                error = None
                if not token:
                    error = "not_authed"
                elif tok is None:
                    error = "invalid_auth"
                elif tok.revoked:
                    error = "token_revoked"
                if error is not None:
                    return self._finish(
                        method,
                        recorded,
                        token,
                        None,
                        http_method,
                        mime,
                        {"ok": False, "error": error},
                    )
            team_id = tok.team_id if tok else None
            if self._limits is not None and tok is not None:
                channel = _str(params, "channel")
                if channel and channel[0] in "UW":
                    channel = "D" + channel
                wait = self._limits.check(method, tok.team_id, channel, time.monotonic())
                if wait is not None:
                    retry_after = self._limits.retry_after
                    if retry_after is None:
                        retry_after = max(1, math.ceil(wait))
                    payload: JSONDict = {"ok": False, "error": "ratelimited"}
                    self._rejected.append(
                        Call(
                            method,
                            recorded,
                            token,
                            team_id,
                            time.time(),
                            http_method,
                            mime,
                            429,
                            payload,
                        )
                    )
                    self._changed.notify_all()
                    return _Reply(
                        429, json.dumps(payload).encode(), headers={"Retry-After": str(retry_after)}
                    )
            ctx = _Ctx(method, params, tok, http_method, mime)
            handler = self._handlers().get(method)
            if handler is None:
                response: JSONDict = {"ok": False, "error": "unknown_method", "req_method": method}
            else:
                try:
                    response = {"ok": True, **handler(ctx)}
                except _ApiError as exc:
                    response = {"ok": False, "error": exc.error, **exc.extra}
            reply = self._finish(method, recorded, token, team_id, http_method, mime, response)
            if tok is not None:
                reply.headers["x-oauth-scopes"] = tok.scopes
            return reply

    def _finish(
        self,
        method: str,
        params: dict[str, Any],
        token: str | None,
        team_id: str | None,
        http_method: str,
        mime: str,
        response: JSONDict,
    ) -> _Reply:
        with self._lock:
            self._calls.append(
                Call(method, params, token, team_id, time.time(), http_method, mime, 200, response)
            )
            self._changed.notify_all()
        return _Reply(200, json.dumps(response).encode())

    def _take_fault(self, method: str) -> Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    def _fault_reply(
        self,
        method: str,
        params: dict[str, Any],
        token: str | None,
        http_method: str,
        mime: str,
        fault: Fault,
    ) -> _Reply:
        team = None
        with self._lock:
            tok = self._tokens.get(token) if token else None
            team = tok.team_id if tok else None
        if isinstance(fault, dict):
            reply = _Reply(200, json.dumps(fault).encode())
            status, response = 200, dict(fault)
        elif fault == "reset":
            reply, status, response = _Reply(reset=True), 0, None
        elif fault == "timeout":
            status, response = 504, None
            reply = _Reply(
                504, _html(504, "Gateway Timeout"), "text/html", delay=self.timeout_delay
            )
        elif isinstance(fault, int) and fault == 429:
            response = {"ok": False, "error": "ratelimited"}
            status = 429
            reply = _Reply(
                429,
                json.dumps(response).encode(),
                headers={"Retry-After": str(self.fault_retry_after)},
            )
        elif isinstance(fault, int):
            status, response = fault, None
            reply = _Reply(fault, _html(fault, "Server Error"), "text/html; charset=utf-8")
        else:  # pragma: no cover - rejected by inject_faults
            raise ValueError(fault)
        call = Call(method, params, token, team, time.time(), http_method, mime, status, response)
        with self._lock:
            self._faulted.append((call, fault))
            self._changed.notify_all()
        return reply

    def _serve_upload(self, h: BaseHTTPRequestHandler, file_id: str, body: bytes) -> _Reply:
        content = body
        content_type = h.headers.get("Content-Type", "")
        if content_type.lower().startswith("multipart/form-data"):
            parts = _parse_multipart(content_type, body)
            content = next((v for v in parts.values() if isinstance(v, bytes)), b"")
        with self._lock:
            known = self._files.get(file_id)
            if known is None:
                return _Reply(404, b"file_not_found", "text/plain")
            self._files[file_id] = dataclasses.replace(
                known, content=content, length=known.length or len(content)
            )
            self._changed.notify_all()
        return _Reply(200, f"OK - {len(content)}".encode(), "text/plain; charset=utf-8")

    def _serve_response_url(self, response_id: str, body: bytes, headers: dict[str, str]) -> _Reply:
        try:
            decoded = json.loads(body or b"{}")
        except ValueError:
            decoded = None
        payload: JSONDict = (
            decoded if isinstance(decoded, dict) else {"raw": body.decode("utf-8", "replace")}
        )
        status, answer = 200, b"ok"
        blocks = payload.get("blocks")
        if isinstance(blocks, list) and validate_message_blocks(blocks) is not None:
            status, answer = 400, b"invalid_blocks"
        with self._lock:
            self._responses.append(ResponsePost(response_id, payload, time.time(), status, headers))
            self._changed.notify_all()
        return _Reply(status, answer, "text/html")

    # -- internals: methods --------------------------------------------------------------------

    def _handlers(self) -> dict[str, Callable[[_Ctx], JSONDict]]:
        return {
            "api.test": lambda ctx: {"args": _decode_json_fields(ctx.params)},
            "auth.test": self._auth_test,
            "auth.revoke": self._auth_revoke,
            "apps.uninstall": self._apps_uninstall,
            "oauth.v2.access": self._oauth_v2_access,
            "team.info": self._team_info,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "users.info": self._users_info,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "views.open": lambda ctx: self._views_create(ctx, "views.open"),
            "views.push": lambda ctx: self._views_create(ctx, "views.push"),
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.upload": self._files_upload,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    def _auth_test(self, ctx: _Ctx) -> JSONDict:
        tok = ctx.auth
        out: JSONDict = {
            "url": f"https://{tok.team_id.lower()}.fake.slack.test/",
            "team": tok.team_name,
            "user": tok.user_name,
            "team_id": tok.team_id,
            "user_id": tok.user_id,
        }
        if tok.bot_id:
            out["bot_id"] = tok.bot_id
        out["is_enterprise_install"] = False
        return out

    def _auth_revoke(self, ctx: _Ctx) -> JSONDict:
        if _bool(ctx.params, "test"):
            return {"revoked": False}
        ctx.auth.revoked = True
        return {"revoked": True}

    def _apps_uninstall(self, ctx: _Ctx) -> JSONDict:
        self._check_client(ctx.params)
        for tok in self._tokens.values():
            if tok.team_id == ctx.team_id:
                tok.revoked = True
        return {}

    def _check_client(self, params: Mapping[str, Any]) -> None:
        if self._oauth_client is None:
            return
        if _str(params, "client_id") != self._oauth_client[0]:
            raise _ApiError("invalid_client_id")
        if _str(params, "client_secret") != self._oauth_client[1]:
            raise _ApiError("bad_client_secret")

    def _oauth_v2_access(self, ctx: _Ctx) -> JSONDict:
        self._check_client(ctx.params)
        code = _str(ctx.params, "code") or ""
        grant = self._oauth_codes.pop(code, None)
        if grant is None:
            raise _ApiError("invalid_code")
        self.add_token(
            grant["token"],
            grant["team_id"],
            grant["bot_user_id"],
            grant["bot_id"],
            team_name=grant["team_name"],
            scopes=grant["scopes"],
        )
        return {
            "app_id": self.app_id,
            "authed_user": {"id": grant["user_id"]},
            "scope": grant["scopes"],
            "token_type": "bot",
            "access_token": grant["token"],
            "bot_user_id": grant["bot_user_id"],
            "team": {"id": grant["team_id"], "name": grant["team_name"]},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _team_info(self, ctx: _Ctx) -> JSONDict:
        tok = ctx.auth
        domain = tok.team_id.lower()
        return {"team": {"id": tok.team_id, "name": tok.team_name, "domain": domain}}

    def _message_content(
        self, ctx: _Ctx, *, require_content: bool
    ) -> tuple[str, list[Any] | None, Any]:
        text = _str(ctx.params, "text") or ""
        blocks = _json_arg(ctx.params, "blocks", "invalid_blocks_format")
        if blocks is not None and not isinstance(blocks, list):
            raise _ApiError("invalid_blocks_format")
        attachments = _json_arg(ctx.params, "attachments", "invalid_attachments")
        if require_content and not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if len(text) > MAX_TEXT_CHARS:
            raise _ApiError("msg_too_long")
        if blocks:
            problem = validate_message_blocks(blocks)
            if problem is not None:
                error = problem.pop("error")
                problem.pop("ok")
                raise _ApiError(error, **problem)
        return text, blocks or None, attachments

    def _metadata(self, ctx: _Ctx) -> JSONDict | None:
        metadata = _json_arg(ctx.params, "metadata", "invalid_metadata_format")
        if metadata is None:
            return None
        if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
            raise _ApiError("invalid_metadata_format")
        payload = metadata.get("event_payload", {})
        if not isinstance(payload, dict):
            raise _ApiError("invalid_metadata_schema")
        return {"event_type": metadata["event_type"], "event_payload": payload}

    def _chat_post_message(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        if chan.is_archived:
            raise _ApiError("is_archived")
        self._check_reachable(chan.user if chan.is_im else None, "chat.postMessage")
        text, blocks, attachments = self._message_content(ctx, require_content=True)
        metadata = self._metadata(ctx)
        thread_ts = _str(ctx.params, "thread_ts") or None
        msg: JSONDict = {
            "channel": chan.id,
            "team_id": ctx.team_id,
            "ts": self._next_ts(),
            "text": text,
            "blocks": blocks,
            "attachments": attachments,
            "thread_ts": thread_ts,
            "reply_broadcast": bool(thread_ts) and _bool(ctx.params, "reply_broadcast"),
            "metadata": metadata,
            "user": ctx.auth.user_id,
            "bot_id": ctx.auth.bot_id,
            "source": "chat.postMessage",
        }
        self._store(msg)
        return {
            "channel": chan.id,
            "ts": msg["ts"],
            "message": self._render(msg, include_metadata=True),
        }

    def _chat_post_ephemeral(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        user = _required(ctx.params, "user", "user_not_in_channel")
        text, blocks, attachments = self._message_content(ctx, require_content=True)
        ts = self._next_ts()
        self._ephemeral.append(
            {
                "channel": chan.id,
                "team_id": ctx.team_id,
                "user": user,
                "ts": ts,
                "text": text,
                "blocks": blocks,
                "attachments": attachments,
                "thread_ts": _str(ctx.params, "thread_ts") or None,
            }
        )
        return {"message_ts": ts}

    def _own_message(self, ctx: _Ctx, ts_key: str, error: str) -> tuple[_Channel, JSONDict]:
        chan = self._resolve_channel(ctx)
        ts = _required(ctx.params, ts_key, "message_not_found")
        msg = self._find(ctx.team_id, chan.id, ts)
        if msg is None:
            raise _ApiError("message_not_found")
        if msg["user"] != ctx.auth.user_id:
            raise _ApiError(error)
        return chan, msg

    def _chat_update(self, ctx: _Ctx) -> JSONDict:
        chan, msg = self._own_message(ctx, "ts", "cant_update_message")
        text, blocks, attachments = self._message_content(ctx, require_content=False)
        if "text" in ctx.params:
            msg["text"] = text
        if "blocks" in ctx.params:
            msg["blocks"] = blocks
        if "attachments" in ctx.params:
            msg["attachments"] = attachments
        if "metadata" in ctx.params:
            msg["metadata"] = self._metadata(ctx)
        msg["edited"] = {"user": ctx.auth.user_id, "ts": self._next_ts()}
        return {
            "channel": chan.id,
            "ts": msg["ts"],
            "text": msg["text"],
            "message": self._render(msg, include_metadata=True),
        }

    def _chat_delete(self, ctx: _Ctx) -> JSONDict:
        chan, msg = self._own_message(ctx, "ts", "cant_delete_message")
        self._messages[(ctx.team_id, chan.id)].remove(msg)
        self._deleted.append(msg)
        return {"channel": chan.id, "ts": msg["ts"]}

    def _chat_get_permalink(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        ts = _required(ctx.params, "message_ts", "message_not_found")
        msg = self._find(ctx.team_id, chan.id, ts)
        if msg is None:
            raise _ApiError("message_not_found")
        return {"channel": chan.id, "permalink": self._permalink(msg)}

    def _page(
        self, ctx: _Ctx, items: list[JSONDict], default_limit: int
    ) -> tuple[list[JSONDict], str]:
        limit = _int(ctx.params, "limit", default_limit) or default_limit
        limit = min(limit, 999)
        if self.history_page_limit is not None:
            limit = min(limit, self.history_page_limit)
        cursor = _str(ctx.params, "cursor") or ""
        start = 0
        if cursor:
            if not cursor.startswith("offset:"):
                raise _ApiError("invalid_cursor")
            start = _int({"o": cursor[len("offset:") :]}, "o", 0)
        page = items[start : start + limit]
        next_cursor = f"offset:{start + limit}" if start + limit < len(items) else ""
        return page, next_cursor

    def _conversations_history(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        oldest = _ts_float(_str(ctx.params, "oldest"), 0.0)
        latest = _ts_float(_str(ctx.params, "latest"), float("inf"))
        inclusive = _bool(ctx.params, "inclusive")
        with_meta = _bool(ctx.params, "include_all_metadata")

        def in_range(ts: str) -> bool:
            value = float(ts)
            if inclusive:
                return oldest <= value <= latest
            return oldest < value < latest

        top_level = [
            m
            for m in reversed(self._messages.get((ctx.team_id, chan.id), []))
            if (not m.get("thread_ts") or m["thread_ts"] == m["ts"] or m.get("reply_broadcast"))
            and in_range(m["ts"])
        ]
        page, next_cursor = self._page(ctx, top_level, 100)
        return {
            "messages": [self._render(m, include_metadata=with_meta) for m in page],
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_replies(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        ts = _required(ctx.params, "ts", "thread_not_found")
        with_meta = _bool(ctx.params, "include_all_metadata")
        msg = self._find(ctx.team_id, chan.id, ts)
        if msg is None:
            raise _ApiError("thread_not_found")
        root_ts = msg.get("thread_ts") or msg["ts"]
        thread = [
            m
            for m in self._messages.get((ctx.team_id, chan.id), [])
            if m["ts"] == root_ts or m.get("thread_ts") == root_ts
        ]
        page, next_cursor = self._page(ctx, thread, 1000)
        return {
            "messages": [self._render(m, include_metadata=with_meta) for m in page],
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _channel_object(self, chan: _Channel) -> JSONDict:
        out: JSONDict = {
            "id": chan.id,
            "created": chan.created,
            "is_archived": chan.is_archived,
            "is_im": chan.is_im,
            "is_mpim": chan.is_mpim,
            "is_private": chan.is_private or chan.is_im or chan.is_mpim,
            "context_team_id": chan.team_id,
        }
        if chan.is_im:
            out["user"] = chan.user
            out["is_user_deleted"] = False
        else:
            out.update(
                {
                    "name": chan.name,
                    "is_channel": not chan.is_private and not chan.is_mpim,
                    "is_group": chan.is_private and not chan.is_mpim,
                    "is_general": chan.name == "general",
                    "is_member": True,
                    "name_normalized": chan.name,
                }
            )
        return out

    def _conversations_open(self, ctx: _Ctx) -> JSONDict:
        raw = _str(ctx.params, "users") or ""
        users = [u.strip() for u in raw.split(",") if u.strip()]
        if not users:
            if _str(ctx.params, "channel"):
                chan = self._resolve_channel(ctx)
                return {"channel": self._channel_object(chan)}
            raise _ApiError("users_list_not_supplied")
        if len(users) > 8:
            raise _ApiError("too_many_users")
        if len(users) == 1:
            self._check_reachable(users[0], "conversations.open")
            channel_id = "D" + users[0]
        else:
            digest = hashlib.sha1(
                ",".join(sorted(users)).encode(), usedforsecurity=False
            ).hexdigest()
            channel_id = "G" + digest[:10].upper()
        existed = (ctx.team_id, channel_id) in self._channels
        chan = self._ensure_channel(ctx.team_id, channel_id, create=True)
        if len(users) > 1:
            chan.is_mpim = True
            chan.name = "mpdm-" + "--".join(u.lower() for u in users) + "-1"
        obj = self._channel_object(chan) if _bool(ctx.params, "return_im") else {"id": chan.id}
        return {"no_op": existed, "already_open": existed, "channel": obj}

    def _check_reachable(self, user_id: str | None, method: str) -> None:
        user = self._users.get(user_id or "")
        if user is not None and user.dm_error and user.dm_error_at == method:
            raise _ApiError(user.dm_error)

    def _conversations_info(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        return {"channel": self._channel_object(chan)}

    def _conversations_join(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        if chan.is_archived:
            raise _ApiError("is_archived")
        return {"channel": self._channel_object(chan)}

    def _users_info(self, ctx: _Ctx) -> JSONDict:
        user_id = _required(ctx.params, "user", "user_not_found")
        if not re.fullmatch(r"[UWB][A-Z0-9]+", user_id):
            raise _ApiError("user_not_found")
        user = self._user(user_id)
        try:
            zone = ZoneInfo(user.tz)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        now = datetime.now(zone)
        offset = now.utcoffset()
        profile: JSONDict = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "first_name": user.real_name.split(" ")[0],
            "team": user.team_id,
        }
        if user.email:
            profile["email"] = user.email
        if user.is_bot:
            profile["bot_id"] = next(
                (t.bot_id for t in self._tokens.values() if t.user_id == user.id and t.bot_id),
                None,
            )
        out: JSONDict = {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": now.tzname() or user.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }
        if _bool(ctx.params, "include_locale"):
            out["locale"] = user.locale
        return {"user": out}

    def _reaction_target(self, ctx: _Ctx) -> tuple[JSONDict, str]:
        chan = self._resolve_channel(ctx)
        ts = _required(ctx.params, "timestamp", "message_not_found")
        name = _required(ctx.params, "name", "invalid_name").strip(":")
        msg = self._find(ctx.team_id, chan.id, ts)
        if msg is None:
            raise _ApiError("message_not_found")
        return msg, name

    def _reactions_add(self, ctx: _Ctx) -> JSONDict:
        msg, name = self._reaction_target(ctx)
        users = msg.setdefault("reactions", {}).setdefault(name, [])
        if ctx.auth.user_id in users:
            raise _ApiError("already_reacted")
        users.append(ctx.auth.user_id)
        return {}

    def _reactions_remove(self, ctx: _Ctx) -> JSONDict:
        msg, name = self._reaction_target(ctx)
        users = (msg.get("reactions") or {}).get(name, [])
        if ctx.auth.user_id not in users:
            raise _ApiError("no_reaction")
        users.remove(ctx.auth.user_id)
        if not users:
            del msg["reactions"][name]
        return {}

    # views

    def _view_arg(self, ctx: _Ctx, *, home: bool = False) -> JSONDict:
        view = _json_arg(ctx.params, "view", "invalid_arguments")
        if view is None:
            raise _ApiError("invalid_arguments", response_metadata={"messages": ["view"]})
        problems = validate_view(view, home=home)
        if problems:
            raise _ApiError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
            )
        assert isinstance(view, dict)
        return view

    def _use_trigger(self, ctx: _Ctx) -> str:
        trigger = _str(ctx.params, "trigger_id") or _str(ctx.params, "interactivity_pointer")
        if not trigger:
            raise _ApiError("invalid_arguments")
        if not _TRIGGER_RE.match(trigger):
            raise _ApiError("invalid_trigger_id")
        issued = self._triggers.get(trigger)
        if issued is not None:
            at, used = issued
            if used:
                raise _ApiError("exchanged_trigger_id")
            if time.monotonic() - at > self.trigger_ttl:
                raise _ApiError("expired_trigger_id")
            self._triggers[trigger] = (at, True)
        return trigger

    def _store_view(
        self,
        ctx: _Ctx,
        method: str,
        view: JSONDict,
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
        user_id: str | None = None,
        trigger_id: str | None = None,
    ) -> JSONDict:
        self._counter += 1
        vid = view_id or f"V{self._counter:08d}"
        stored: JSONDict = {
            "id": vid,
            "team_id": ctx.team_id,
            "type": view.get("type"),
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root_view_id or vid,
            "previous_view_id": previous_view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": ctx.team_id,
            "bot_id": ctx.auth.bot_id,
        }
        for key in ("title", "submit", "close"):
            if key in view:
                stored[key] = copy.deepcopy(view[key])
        self._views[vid] = stored
        self._view_log.append(
            {
                "method": method,
                "view_id": vid,
                "team_id": ctx.team_id,
                "user_id": user_id,
                "trigger_id": trigger_id,
                "view": copy.deepcopy(stored),
            }
        )
        return stored

    def _views_create(self, ctx: _Ctx, method: str) -> JSONDict:
        trigger = self._use_trigger(ctx)
        view = self._view_arg(ctx)
        if view.get("type") != "modal":
            raise _ApiError("invalid_arguments")
        root = None
        previous = None
        if method == "views.push":
            opened = [v for v in self._view_log if v["method"] in ("views.open", "views.push")]
            if opened:
                previous = opened[-1]["view_id"]
                root = self._views[previous]["root_view_id"]
        stored = self._store_view(
            ctx,
            method,
            view,
            root_view_id=root,
            previous_view_id=previous,
            trigger_id=trigger,
        )
        return {"view": copy.deepcopy(stored)}

    def _views_update(self, ctx: _Ctx) -> JSONDict:
        view = self._view_arg(ctx)
        view_id = _str(ctx.params, "view_id")
        external_id = _str(ctx.params, "external_id")
        current: JSONDict | None = None
        if view_id:
            current = self._views.get(view_id)
        elif external_id:
            current = next(
                (v for v in self._views.values() if v.get("external_id") == external_id), None
            )
        else:
            raise _ApiError("invalid_arguments")
        if current is None or current["team_id"] != ctx.team_id:
            raise _ApiError("not_found")
        expected_hash = _str(ctx.params, "hash")
        if expected_hash and expected_hash != current["hash"]:
            raise _ApiError("hash_conflict")
        stored = self._store_view(
            ctx,
            "views.update",
            view,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
        )
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, ctx: _Ctx) -> JSONDict:
        user_id = _required(ctx.params, "user_id")
        view = self._view_arg(ctx, home=True)
        existing = self._homes.get((ctx.team_id, user_id))
        expected_hash = _str(ctx.params, "hash")
        if existing and expected_hash and expected_hash != self._views[existing]["hash"]:
            raise _ApiError("hash_conflict")
        stored = self._store_view(ctx, "views.publish", view, view_id=existing, user_id=user_id)
        self._homes[(ctx.team_id, user_id)] = stored["id"]
        return {"view": copy.deepcopy(stored)}

    # files

    def _new_file_id(self) -> str:
        self._counter += 1
        return f"F{self._counter:08d}{secrets.token_hex(2).upper()}"

    def _file_object(self, f: UploadedFile) -> JSONDict:
        return {
            "id": f.id,
            "created": int(time.time()),
            "name": f.filename,
            "title": f.title,
            "mimetype": "application/octet-stream",
            "size": len(f.content),
            "user_team": f.team_id,
            "permalink": f"https://fake.slack.test/files/{f.id}/{f.filename}",
            "url_private": f"{self.base_url}files/{f.id}",
        }

    def _share_files(self, ctx: _Ctx, files: list[UploadedFile]) -> None:
        if not files or not files[0].channel:
            return
        f = files[0]
        msg: JSONDict = {
            "channel": f.channel,
            "team_id": f.team_id,
            "ts": self._next_ts(),
            "text": f.initial_comment or "",
            "blocks": None,
            "thread_ts": f.thread_ts,
            "metadata": None,
            "user": ctx.auth.user_id,
            "bot_id": ctx.auth.bot_id,
            "files": [self._file_object(one) for one in files],
            "subtype": "file_share",
            "source": "file_share",
        }
        self._store(msg)

    def _files_upload(self, ctx: _Ctx) -> JSONDict:
        raw = ctx.params.get("file")
        if raw is None:
            raw = ctx.params.get("content")
        if raw is None:
            raise _ApiError("no_file_data")
        content = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        filename = (
            _str(ctx.params, "filename") or _str(ctx.params, "__filename__") or "Uploaded file"
        )
        channels = [c for c in (_str(ctx.params, "channels") or "").split(",") if c]
        f = UploadedFile(
            id=self._new_file_id(),
            team_id=ctx.team_id,
            filename=filename,
            title=_str(ctx.params, "title") or filename,
            content=content,
            length=len(content),
            channel=channels[0] if channels else None,
            thread_ts=_str(ctx.params, "thread_ts") or None,
            initial_comment=_str(ctx.params, "initial_comment"),
            completed=True,
        )
        self._files[f.id] = f
        self._share_files(ctx, [f])
        return {"file": self._file_object(f)}

    def _files_get_upload_url(self, ctx: _Ctx) -> JSONDict:
        filename = _required(ctx.params, "filename")
        length = _int(ctx.params, "length", -1)
        if length < 0:
            raise _ApiError("invalid_arguments")
        f = UploadedFile(
            id=self._new_file_id(),
            team_id=ctx.team_id,
            filename=filename,
            title=filename,
            content=b"",
            length=length,
        )
        self._files[f.id] = f
        return {"upload_url": f"{self.base_url}upload/{f.id}", "file_id": f.id}

    def _files_complete_upload(self, ctx: _Ctx) -> JSONDict:
        files = _json_arg(ctx.params, "files", "invalid_arguments")
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments")
        channel = _str(ctx.params, "channel_id") or None
        if channel is None and _str(ctx.params, "channels"):
            channel = (_str(ctx.params, "channels") or "").split(",")[0]
        if channel is not None:
            channel = self._resolve(ctx.team_id, channel).id
        done: list[UploadedFile] = []
        for item in files:
            fid = item.get("id") if isinstance(item, dict) else None
            known = self._files.get(fid) if isinstance(fid, str) else None
            if known is None or known.team_id != ctx.team_id or not known.content:
                raise _ApiError("file_not_found")
            assert isinstance(item, dict)
            completed = dataclasses.replace(
                known,
                title=item.get("title") or known.title,
                channel=channel,
                thread_ts=_str(ctx.params, "thread_ts") or None,
                initial_comment=_str(ctx.params, "initial_comment"),
                completed=True,
            )
            self._files[completed.id] = completed
            done.append(completed)
        self._share_files(ctx, done)
        return {"files": [self._file_object(f) for f in done]}
