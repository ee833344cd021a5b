"""Sign in with Slack (OpenID Connect): the authorize page, ``openid.connect.token`` and
``openid.connect.userInfo``.

``GET /openid/connect/authorize`` stands for the page where a person approves the sign-in: it
sends the browser straight back to ``redirect_uri`` with a one-time ``code`` and the ``state``,
for the person a test chose with :meth:`OpenIdMethods.signin_as`. The code is exchanged with the
client's id and secret (HTTP Basic, as slack_sdk sends them) for a user token and an ID token
carrying the request's nonce; ``openid.connect.userInfo`` answers that token with the claims.
"""

from __future__ import annotations

import base64
import secrets
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt

from fakes.slack.auth import AuthMethods
from fakes.slack.params import _decode_json_fields, _str
from fakes.slack.records import JSONDict, _ApiError, _Ctx, _Reply
from fakes.slack.server import HttpServing

_TOKEN_METHOD = "openid.connect.token"


class OpenIdMethods(HttpServing, AuthMethods):
    """Sign in with Slack; placed before :class:`HttpServing` so its two paths come first."""

    _openid_person: JSONDict | None = None

    def _openid(self, kind: str) -> dict[str, JSONDict]:
        """The issued codes or tokens (made on first use, beside the fake's own state)."""
        found: dict[str, JSONDict] = self.__dict__.setdefault(f"_openid_{kind}", {})
        return found

    # -- configuration -------------------------------------------------------------------------

    def signin_as(self, user_id: str, team_id: str, name: str, *, locale: str = "sv-SE") -> None:
        """The person the authorize page signs in from now on."""
        with self._lock:
            self._openid_person = {
                "https://slack.com/user_id": user_id,
                "https://slack.com/team_id": team_id,
                "name": name,
                "locale": locale,
                "sub": user_id,
            }

    # -- HTTP ----------------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path)
        if path.path != "/openid/connect/authorize":
            super()._serve(h)
            return
        self._send(h, self._authorize(dict(parse_qsl(path.query))))

    def _authorize(self, query: dict[str, str]) -> _Reply:
        with self._lock:
            person = self._openid_person
            client = self._oauth_client
            redirect = query.get("redirect_uri", "")
            if (
                person is None
                or query.get("response_type") != "code"
                or "openid" not in query.get("scope", "").split()
                or (client is not None and query.get("client_id") != client[0])
                or not redirect.startswith(("http://", "https://"))
            ):
                return _Reply(400, b"invalid_request", "text/plain")
            code = secrets.token_urlsafe(16)
            self._openid("codes")[code] = {
                "person": dict(person),
                "nonce": query.get("nonce"),
                "redirect_uri": redirect,
                "client_id": query.get("client_id"),
            }
        answer = urlencode({"code": code, "state": query.get("state", "")})
        return _Reply(302, b"", "text/plain", headers={"Location": f"{redirect}?{answer}"})

    def _serve_api(self, h: BaseHTTPRequestHandler, method: str, query: str, body: bytes) -> _Reply:
        if method != _TOKEN_METHOD:
            return super()._serve_api(h, method, query, body)
        # The client authenticates itself, not a token: read HTTP Basic (or the form's fields).
        params, mime = self._params(h, query, body)
        header = h.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            params.setdefault("client_id", client_id)
            params.setdefault("client_secret", secret)
        recorded = _decode_json_fields({k: v for k, v in params.items() if k != "client_secret"})
        with self._lock:
            handler = self._handlers()[_TOKEN_METHOD]
            try:
                response: JSONDict = {
                    "ok": True,
                    **handler(_Ctx(method, params, None, h.command, mime)),
                }
            except _ApiError as exc:
                response = {"ok": False, "error": exc.error}
        return self._finish(method, recorded, None, None, h.command, mime, response)

    # -- methods -------------------------------------------------------------------------------

    def _openid_connect_token(self, ctx: _Ctx) -> JSONDict:
        self._check_client(ctx.params)
        grant = self._openid("codes").pop(_str(ctx.params, "code") or "", None)
        if grant is None:
            raise _ApiError("invalid_code")
        if _str(ctx.params, "redirect_uri") != grant["redirect_uri"]:
            raise _ApiError("bad_redirect_uri")
        person = grant["person"]
        token = f"xoxp-{secrets.token_hex(12)}"
        self.add_token(
            token,
            person["https://slack.com/team_id"],
            None,
            None,
            user_name=person["name"],
            scopes="openid,profile",
        )
        self._openid("tokens")[token] = person
        now = int(time.time())
        claims = {
            **person,
            "iss": "https://slack.com",
            "aud": grant["client_id"],
            "iat": now,
            "exp": now + 3600,
            "nonce": grant["nonce"],
        }
        return {
            "access_token": token,
            "token_type": "Bearer",
            "id_token": jwt.encode(claims, secrets.token_hex(32), algorithm="HS256"),
        }

    def _openid_connect_userinfo(self, ctx: _Ctx) -> JSONDict:
        person = self._openid("tokens").get(ctx.auth.token)
        if person is None:
            raise _ApiError("invalid_auth")
        return dict(person)
