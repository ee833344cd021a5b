"""Serving the fake over HTTP: starting and stopping it, and answering a request.

A call to ``/api/<method>`` is read (form, JSON or multipart), authenticated, checked against the
rate limits and injected faults, dispatched to its method and recorded; ``/upload/<file id>``
takes the bytes of an external upload and ``/response/<id>`` the POSTs to a ``response_url``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qsl, urlsplit

from fakes.slack.blocks import validate_message_blocks
from fakes.slack.faults import FaultInjection
from fakes.slack.params import _decode_json_fields, _parse_multipart, _str
from fakes.slack.records import Call, JSONDict, ResponsePost, _ApiError, _Ctx, _html, _Reply
from fakes.slack.transport import _read_body, _Server

_NO_AUTH_METHODS: Final = frozenset({"api.test", "oauth.v2.access", "oauth.access"})


class HttpServing(FaultInjection):
    """The fake as an HTTP server; the Web API methods come from :meth:`_handlers`."""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def new_response_url(self) -> str:
        """A ``response_url`` served by this fake; POSTs to it land in :attr:`responses`."""
        with self._lock:
            self._counter += 1
            rid = f"R{self._counter:06d}{secrets.token_hex(4)}"
        return f"{self.base_url}response/{rid}"

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

    def _handlers(self) -> dict[str, Callable[[_Ctx], JSONDict]]:
        """The Web API methods by name."""
        raise NotImplementedError
