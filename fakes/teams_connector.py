"""A local fake of the Teams Bot Connector service: a real HTTP server on 127.0.0.1.

Point an activity's ``serviceUrl`` (or the poster's stored conversation reference) at
:attr:`FakeTeamsConnector.url` and the Teams SDK talks to it as it talks to
``https://smba.trafficmanager.net/teams``:

* ``POST /v3/conversations/{id}/activities`` and ``POST …/activities/{replyToId}`` create a message
  (a bare channel id starts a new thread whose root is the new id; ``<channel>;messageid=<root>``
  replies in that thread);
* ``PUT …/activities/{id}`` updates, ``DELETE …/activities/{id}`` deletes;
* ``POST /v3/conversations`` creates a 1:1 chat (``{"id": "a:…"}``, the same id for the same member,
  as Teams does) or a channel thread (``{"id": "<channel>;messageid=N", "activityId": "N"}``);
  ``tenantId`` is required, as it is in Teams;
* ``GET /v3/conversations/{id}/members/{userId}`` answers a member by Teams id or AAD object id;
* ``GET /v3/conversations/{id}/pagedMembers?pageSize=&continuationToken=`` pages through the
  roster :meth:`FakeTeamsConnector.set_roster` gave the team (empty until then). A GET's query
  parameters are recorded as its request body.

:meth:`FakeTeamsConnector.refuse_member` makes one person's 1:1 chat answer 403 or 404 for good.
Message ids look like Teams' (millisecond timestamps, strictly increasing). Faults are injected
with :meth:`FakeTeamsConnector.fail_next` (429 with ``Retry-After``, 412, 502, 503, …): a refused
request does nothing. Everything is guarded by one lock; accessors return copies.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

JSONDict = dict[str, Any]

_ACTIVITIES = re.compile(r"^/v3/conversations/(?P<cid>[^/]+)/activities(?:/(?P<aid>[^/]+))?$")
_MEMBER = re.compile(r"^/v3/conversations/(?P<cid>[^/]+)/members/(?P<uid>[^/]+)$")
_PAGED_MEMBERS = re.compile(r"^/v3/conversations/(?P<cid>[^/]+)/pagedMembers$")
_THREAD = ";messageid="


@dataclass(frozen=True)
class Request:
    """One request as the fake received it (refused ones included, with their status)."""

    method: str
    path: str
    body: JSONDict | None
    authorization: str | None
    status: int
    at: float


@dataclass(frozen=True)
class Posted:
    """A message the bot made (or its latest version after updates)."""

    id: str
    conversation_id: str  # as addressed, e.g. "19:x@thread.tacv2;messageid=1"
    channel_id: str  # the conversation without the thread suffix
    thread_root: str | None  # the root of the thread it lives in; None for a root or a chat
    activity: JSONDict
    reply_to_id: str | None = None
    deleted: bool = False
    updates: int = 0

    @property
    def cards(self) -> list[JSONDict]:
        """The Adaptive Cards attached to the message."""
        return [
            attachment["content"]
            for attachment in self.activity.get("attachments") or []
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def size(self) -> int:
        """The activity's size in bytes as JSON (Teams refuses messages above about 28 KB)."""
        return len(json.dumps(self.activity, ensure_ascii=False).encode("utf-8"))


@dataclass
class _Fault:
    status: int
    retry_after: str | None
    match: str | None
    remaining: int


@dataclass
class _State:
    posted: dict[str, Posted] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    chats: dict[str, str] = field(default_factory=dict)  # member id -> "a:..." conversation
    refused: dict[str, int] = field(default_factory=dict)  # member id -> status for their chat
    faults: deque[_Fault] = field(default_factory=deque)
    last_id: int = 0
    rosters: dict[str, list[str]] = field(default_factory=dict)  # team/channel id -> member ids


class FakeTeamsConnector:
    """The fake connector; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self, *, require_auth: bool = True, max_bytes: int = 100_000) -> None:
        self.require_auth = require_auth
        self.max_bytes = max_bytes
        self._state = _State()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeTeamsConnector:
        """Listen on an ephemeral port of 127.0.0.1."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PUT(self) -> None:
                fake._handle(self, "PUT")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTeamsConnector:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The service URL to put in activities (``http://127.0.0.1:<port>/``)."""
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    # -- test controls and accessors -----------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        match: str | None = None,
    ) -> None:
        """Refuse the next *times* requests (whose path contains *match*) with *status*."""
        with self._lock:
            self._state.faults.append(_Fault(status, retry_after, match, times))

    def refuse_member(self, member_id: str, status: int = 403) -> None:
        """Make every 1:1 call about *member_id* answer *status*, for good.

        403 is a person who blocked or removed the bot (or whose account is disabled): creating
        their chat and posting in it are refused. 404 is a person who left the team: looking them
        up is refused too.
        """
        with self._lock:
            self._state.refused[_teams_id(member_id)] = status

    def set_roster(self, conversation_id: str, members: list[str]) -> None:
        """The members (AAD object ids or Teams ids) ``pagedMembers`` lists for a team."""
        with self._lock:
            self._state.rosters[conversation_id] = list(members)

    def posted(self, *, include_deleted: bool = False) -> list[Posted]:
        """The messages made, in order."""
        with self._lock:
            items = [self._state.posted[mid] for mid in self._state.order]
        return [copy.deepcopy(p) for p in items if include_deleted or not p.deleted]

    def in_conversation(self, conversation_id: str) -> list[Posted]:
        """The messages in a conversation: a channel's roots and replies, or a 1:1 chat."""
        return [p for p in self.posted() if p.channel_id == conversation_id]

    def chat_with(self, member_id: str) -> str | None:
        """The 1:1 conversation id made with *member_id* (Teams id or AAD object id), if any."""
        with self._lock:
            return self._state.chats.get(_teams_id(member_id))

    def requests(self) -> list[Request]:
        """Every request received, refused ones included."""
        with self._lock:
            return list(self._state.requests)

    def reset(self) -> None:
        """Forget the messages, requests and faults; 1:1 chats stay, as they do in Teams."""
        with self._lock:
            self._state = _State(
                chats=self._state.chats,
                refused=self._state.refused,
                last_id=self._state.last_id,
                rosters=self._state.rosters,
            )

    # -- the server ----------------------------------------------------------------------------

    def _new_id(self) -> str:
        now = int(time.time() * 1000)
        self._state.last_id = max(now, self._state.last_id + 1)
        return str(self._state.last_id)

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = unquote(urlsplit(handler.path).path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        query = dict(parse_qsl(urlsplit(handler.path).query))
        body: JSONDict | None = dict(query) if method == "GET" and query else None
        if raw:
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                self._reply(handler, method, path, None, 400, {"error": {"code": "BadSyntax"}})
                return
        authorization = handler.headers.get("Authorization")
        with self._lock:
            fault = self._take_fault(path)
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            error = {"error": {"code": "Throttled" if fault.status == 429 else "ServiceError"}}
            self._reply(handler, method, path, body, fault.status, error, headers)
            return
        if self.require_auth and not (authorization or "").startswith("Bearer "):
            self._reply(handler, method, path, body, 401, {"error": {"code": "Unauthorized"}})
            return
        if raw and len(raw) > self.max_bytes:
            self._reply(handler, method, path, body, 413, {"error": {"code": "MessageSizeTooBig"}})
            return
        with self._lock:
            refusal = self._refusal(method, path, body)
        if refusal is not None:
            code = "Forbidden" if refusal == 403 else "NotFound"
            self._reply(handler, method, path, body, refusal, {"error": {"code": code}})
            return
        status, answer = self._route(method, path, body)
        self._reply(handler, method, path, body, status, answer)

    def _refusal(self, method: str, path: str, body: JSONDict | None) -> int | None:
        """The status a refused member's 1:1 call gets (see :meth:`refuse_member`), if any."""
        refused = self._state.refused
        member = _MEMBER.match(path)
        if member and method == "GET":
            status = refused.get(_teams_id(member["uid"]))
            return status if status == 404 else None
        if path == "/v3/conversations" and method == "POST" and not (body or {}).get("isGroup"):
            ids = [str(m.get("id", "")) for m in (body or {}).get("members") or []]
            return next((refused[i] for i in ids if i in refused), None)
        activity = _ACTIVITIES.match(path)
        if activity:
            chat_of = {chat: member for member, chat in self._state.chats.items()}
            owner = chat_of.get(activity["cid"])
            return refused.get(owner) if owner else None
        return None

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._state.faults:
            if fault.match is None or fault.match in path:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._state.faults.remove(fault)
                return fault
        return None

    def _reply(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        body: JSONDict | None,
        status: int,
        answer: JSONDict | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        with self._lock:
            self._state.requests.append(
                Request(
                    method,
                    path,
                    copy.deepcopy(body),
                    handler.headers.get("Authorization"),
                    status,
                    time.time(),
                )
            )
        data = json.dumps(answer).encode() if answer is not None else b""
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _route(self, method: str, path: str, body: JSONDict | None) -> tuple[int, JSONDict | None]:
        if path == "/v3/conversations" and method == "POST":
            return self._create_conversation(body or {})
        member = _MEMBER.match(path)
        if member and method == "GET":
            user = member["uid"]
            return 200, {"id": _teams_id(user), "aadObjectId": _aad_id(user), "name": user}
        paged = _PAGED_MEMBERS.match(path)
        if paged and method == "GET":
            return 200, self._roster_page(paged["cid"], body or {})
        match = _ACTIVITIES.match(path)
        if match is None:
            return 404, {"error": {"code": "NotFound"}}
        cid, aid = match["cid"], match["aid"]
        with self._lock:
            if method == "POST":
                return 201, {"id": self._store(cid, body or {}, reply_to=aid)}
            existing = self._state.posted.get(aid or "")
            if existing is None:
                return 404, {"error": {"code": "ActivityNotFound"}}
            if method == "PUT":
                self._state.posted[existing.id] = Posted(
                    existing.id,
                    existing.conversation_id,
                    existing.channel_id,
                    existing.thread_root,
                    body or {},
                    existing.reply_to_id,
                    updates=existing.updates + 1,
                )
                return 200, {"id": existing.id}
            if method == "DELETE":
                self._state.posted[existing.id] = Posted(
                    existing.id,
                    existing.conversation_id,
                    existing.channel_id,
                    existing.thread_root,
                    existing.activity,
                    existing.reply_to_id,
                    deleted=True,
                    updates=existing.updates,
                )
                return 200, None
        return 405, {"error": {"code": "MethodNotAllowed"}}

    def _roster_page(self, conversation_id: str, query: JSONDict) -> JSONDict:
        with self._lock:
            roster = list(self._state.rosters.get(conversation_id, []))
        size = max(1, min(int(query.get("pageSize") or 200), 500))
        start = int(query.get("continuationToken") or 0)
        page = roster[start : start + size]
        following = start + size if start + size < len(roster) else None
        return {
            "members": [{"id": _teams_id(u), "aadObjectId": _aad_id(u), "name": u} for u in page],
            "continuationToken": str(following) if following is not None else None,
        }

    def _store(self, conversation_id: str, activity: JSONDict, *, reply_to: str | None) -> str:
        channel, _, root = conversation_id.partition(_THREAD)
        mid = self._new_id()
        self._state.posted[mid] = Posted(
            mid, conversation_id, channel, root or None, copy.deepcopy(activity), reply_to
        )
        self._state.order.append(mid)
        return mid

    def _create_conversation(self, body: JSONDict) -> tuple[int, JSONDict]:
        if not body.get("tenantId"):
            return 400, {"error": {"code": "BadArgument", "message": "tenantId is required"}}
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        with self._lock:
            if body.get("isGroup"):
                if not channel or not body.get("activity"):
                    return 400, {"error": {"code": "BadSyntax"}}
                mid = self._store(channel, body["activity"], reply_to=None)
                return 201, {"id": f"{channel}{_THREAD}{mid}", "activityId": mid}
            members = body.get("members") or []
            if len(members) != 1 or not str(members[0].get("id", "")).startswith("29:"):
                return 400, {"error": {"code": "BadSyntax"}}
            member = members[0]["id"]
            digest = hashlib.sha256(member.encode()).hexdigest()[:40]
            chat = self._state.chats.setdefault(member, f"a:1{digest}")
            if body.get("activity"):
                self._store(chat, body["activity"], reply_to=None)
            return 201, {"id": chat}


def _teams_id(user: str) -> str:
    """The fake's Teams (MRI) id of a user known by AAD object id or Teams id."""
    return user if user.startswith("29:") else f"29:{user}"


def _aad_id(user: str) -> str:
    return user.removeprefix("29:")
