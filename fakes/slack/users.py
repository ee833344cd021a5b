"""The Web API method on people: ``users.info`` (``locale`` only with ``include_locale``); and
declaring and deactivating people."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fakes.slack.params import _bool, _required
from fakes.slack.records import DEFAULT_TEAM, JSONDict, _ApiError, _Ctx, _User
from fakes.slack.state import SlackState


class UserMethods(SlackState):
    """``users.info``."""

    # -- configuration -------------------------------------------------------------------------

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

    # -- methods -------------------------------------------------------------------------------

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
