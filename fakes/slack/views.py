"""Web API methods on views: ``views.open``, ``views.push`` and ``views.update`` (modals) and
``views.publish`` (the Home tab), with single-use trigger ids that expire."""

from __future__ import annotations

import copy
import re
import secrets
import time
from typing import Final

from fakes.slack.blocks import validate_view
from fakes.slack.params import _json_arg, _required, _str
from fakes.slack.records import JSONDict, _ApiError, _Ctx
from fakes.slack.state import SlackState

_TRIGGER_RE: Final = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")


class ViewMethods(SlackState):
    """``views.*``."""

    # -- configuration -------------------------------------------------------------------------

    def new_trigger_id(self) -> str:
        """A trigger id that ``views.open``/``views.push`` accept once, within ``trigger_ttl``."""
        trigger = f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger] = (time.monotonic(), False)
        return trigger

    # -- methods -------------------------------------------------------------------------------

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
