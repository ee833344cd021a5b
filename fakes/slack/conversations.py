"""Web API methods on conversations: ``conversations.history`` and ``conversations.replies``
(newest first / thread order, paged with cursors), ``conversations.open``, ``conversations.info``
(``num_members`` with ``include_num_members``) and ``conversations.join``; and declaring channels
and people's messages."""

from __future__ import annotations

import hashlib
from typing import Any

from fakes.slack.params import _bool, _int, _required, _str, _ts_float, _ts_key
from fakes.slack.records import DEFAULT_TEAM, JSONDict, _ApiError, _Channel, _Ctx
from fakes.slack.state import SlackState


class ConversationMethods(SlackState):
    """``conversations.*``."""

    # -- configuration -------------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        team_id: str = DEFAULT_TEAM,
        is_private: bool = False,
        is_archived: bool = False,
        num_members: int | None = None,
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
                num_members=num_members,
            )

    def set_num_members(self, channel_id: str, count: int, *, team_id: str = DEFAULT_TEAM) -> None:
        """What ``conversations.info`` with ``include_num_members`` answers for a channel."""
        with self._lock:
            self._ensure_channel(team_id, channel_id, create=True).num_members = count

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

    # -- methods -------------------------------------------------------------------------------

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

    def _conversations_info(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        out = self._channel_object(chan)
        if _bool(ctx.params, "include_num_members") and not chan.is_im:
            out["num_members"] = self._num_members(ctx.team_id, chan)
        return {"channel": out}

    def _num_members(self, team_id: str, chan: _Channel) -> int:
        # Unless a test set it, the channel has the people who wrote in it (Slack counts bots
        # too, but the fake's bot is not counted: a test sets the number it wants).
        if chan.num_members is not None:
            return chan.num_members
        people = {
            m["user"]
            for m in self._messages.get((team_id, chan.id), [])
            if m.get("source") == "human" and m.get("user")
        }
        return len(people)

    def _conversations_join(self, ctx: _Ctx) -> JSONDict:
        chan = self._resolve_channel(ctx)
        if chan.is_archived:
            raise _ApiError("is_archived")
        return {"channel": self._channel_object(chan)}
