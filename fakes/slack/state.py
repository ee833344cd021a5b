"""The fake's state and what every part of it shares.

:class:`SlackState` holds everything in memory under one lock (tokens, users, channels, messages,
views, files, the calls answered, queued faults and rate limits), what tests read back from it
(accessors return copies), and the storage helpers the Web API method families use.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections import deque
from collections.abc import Iterable

from fakes.slack.limits import _RateLimits
from fakes.slack.params import _str, _ts_key
from fakes.slack.records import (
    _DEFAULT_SCOPES,
    DEFAULT_TEAM,
    DEFAULT_TOKEN,
    Call,
    Fault,
    JSONDict,
    ResponsePost,
    UploadedFile,
    _ApiError,
    _Channel,
    _Ctx,
    _Token,
    _User,
)
from fakes.slack.transport import _Server


class SlackState:
    """The fake's in-memory state; the method families and the HTTP server build on it."""

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

    # -- address -------------------------------------------------------------------------------

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

    def _check_reachable(self, user_id: str | None, method: str) -> None:
        user = self._users.get(user_id or "")
        if user is not None and user.dm_error and user.dm_error_at == method:
            raise _ApiError(user.dm_error)
