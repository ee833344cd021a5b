"""Web API methods of authentication and installation: ``auth.test``, ``auth.revoke``,
``apps.uninstall``, ``oauth.v2.access`` (with its client check and one-time codes) and
``team.info``."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from fakes.slack.params import _bool, _str
from fakes.slack.records import _DEFAULT_SCOPES, JSONDict, _ApiError, _Ctx
from fakes.slack.state import SlackState


class AuthMethods(SlackState):
    """``auth.*``, ``apps.uninstall``, ``oauth.v2.access`` and ``team.info``."""

    # -- configuration -------------------------------------------------------------------------

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

    # -- methods -------------------------------------------------------------------------------

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
