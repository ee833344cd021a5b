"""Records and small values the fake's modules share.

The public records (:class:`Call`, :class:`UploadedFile`, :class:`ResponsePost`, the ``Fault`` type
and the default token and team) and the private ones: a token, a user and a channel as stored, a
prepared HTTP answer, a Slack error raised by a method, and the context a method runs in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

JSONDict = dict[str, Any]
#: An injected fault: an HTTP status (``500``, ``503``, ``429``, ...), ``"timeout"`` (wait longer
#: than the client's timeout, then answer 504 without doing the work), ``"slow"`` (do the work,
#: then answer only after the delay: the client times out although the call succeeded),
#: ``"reset"`` (close the socket with a TCP RST, no response) or a dict sent as a 200 JSON body
#: (e.g. ``{"ok": False, "error": "channel_not_found"}``).
Fault = int | str | JSONDict

DEFAULT_TOKEN: Final = "xoxb-test"
DEFAULT_TEAM: Final = "T1"

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
    num_members: int | None = None  # conversations.info's count; None: the people who wrote


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


def _html(status: int, reason: str) -> bytes:
    return f"<html><body><h1>{status} {reason}</h1></body></html>".encode()
