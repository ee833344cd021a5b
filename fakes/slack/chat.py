"""Web API methods on messages: ``chat.postMessage``, ``chat.postEphemeral``, ``chat.update``,
``chat.delete``, ``chat.getPermalink`` and ``reactions.add``/``reactions.remove``; text and
blocks are checked against Slack's limits, metadata against its shape."""

from __future__ import annotations

from typing import Any

from fakes.slack.blocks import MAX_TEXT_CHARS, validate_message_blocks
from fakes.slack.params import _bool, _json_arg, _required, _str
from fakes.slack.records import JSONDict, _ApiError, _Channel, _Ctx
from fakes.slack.state import SlackState


class ChatMethods(SlackState):
    """``chat.*`` and ``reactions.*``."""

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
