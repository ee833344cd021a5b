"""Block Kit validation: pure functions, usable on their own.

:func:`validate_message_blocks` gives Slack's answer to a message's ``blocks`` (``invalid_blocks``
or ``msg_blocks_too_long``), :func:`validate_view` the problems Slack reports for a view, and
:func:`blocks_json_length` what ``msg_blocks_too_long`` measures.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fakes.slack.records import JSONDict

MAX_MESSAGE_BLOCKS: Final = 50
MAX_VIEW_BLOCKS: Final = 100
MAX_BLOCKS_JSON_CHARS: Final = 13_000
MAX_TEXT_CHARS: Final = 40_000

_BLOCK_TYPES: Final = frozenset(
    {
        "actions",
        "call",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
_TEXT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})
_OPTION_LIMITS: Final = {
    "static_select": 100,
    "multi_static_select": 100,
    "overflow": 5,
    "checkboxes": 10,
    "radio_buttons": 10,
}


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def max_len(self, value: Any, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.err(f"must be less than {limit + 1} characters", pointer)

    def text(
        self,
        obj: Any,
        pointer: str,
        *,
        limit: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.err("missing required field: text", pointer)
            return
        if not isinstance(obj, dict):
            self.err("must be a text object", pointer)
            return
        kind = obj.get("type")
        if plain_only and kind != "plain_text":
            self.err("must be plain_text", f"{pointer}/type")
        elif kind not in _TEXT_TYPES:
            self.err("must be one of plain_text, mrkdwn", f"{pointer}/type")
        value = obj.get("text")
        if not isinstance(value, str):
            self.err("missing required field: text", f"{pointer}/text")
            return
        if not value:
            self.err("must be more than 0 characters", f"{pointer}/text")
        self.max_len(value, limit, f"{pointer}/text")

    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict):
            self.err("must be an object", pointer)
            return
        kind = el.get("type")
        if not isinstance(kind, str):
            self.err("missing required field: type", pointer)
            return
        self.max_len(el.get("action_id"), 255, f"{pointer}/action_id")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{pointer}/placeholder", limit=150, plain_only=True)
        if kind == "button":
            self.text(el.get("text"), f"{pointer}/text", limit=75, plain_only=True)
            self.max_len(el.get("value"), 2000, f"{pointer}/value")
            self.max_len(el.get("url"), 3000, f"{pointer}/url")
        elif kind == "plain_text_input":
            max_length = el.get("max_length")
            if isinstance(max_length, int) and max_length > 3000:
                self.err("must be less than or equal to 3000", f"{pointer}/max_length")
        limit = _OPTION_LIMITS.get(kind)
        options = el.get("options")
        if limit is not None and isinstance(options, list) and len(options) > limit:
            self.err(f"no more than {limit} items allowed", f"{pointer}/options")

    def block(self, block: Any, pointer: str, seen_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.err("must be an object", pointer)
            return
        kind = block.get("type")
        if kind is None:
            self.err("missing required field: type", pointer)
            return
        if kind not in _BLOCK_TYPES:
            self.err(f"unsupported type: {kind}", f"{pointer}/type")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str):
                self.err("must be a string", f"{pointer}/block_id")
            else:
                self.max_len(block_id, 255, f"{pointer}/block_id")
                if block_id in seen_ids:
                    self.err(f"duplicate block_id: {block_id}", f"{pointer}/block_id")
                seen_ids.add(block_id)
        if kind == "section":
            self._section(block, pointer)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", limit=150, plain_only=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("missing required field: elements", f"{pointer}/elements")
            elif len(elements) > 10:
                self.err("no more than 10 items allowed", f"{pointer}/elements")
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err("missing required field: elements", f"{pointer}/elements")
            else:
                if len(elements) > 25:
                    self.err("no more than 25 items allowed", f"{pointer}/elements")
                for i, el in enumerate(elements):
                    self.element(el, f"{pointer}/elements/{i}")
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", limit=2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{pointer}/hint", limit=2000, plain_only=True)
            if "element" not in block:
                self.err("missing required field: element", f"{pointer}/element")
            else:
                self.element(block["element"], f"{pointer}/element")
        elif kind == "image":
            if "image_url" not in block and "slack_file" not in block:
                self.err("missing required field: image_url", f"{pointer}/image_url")
            if not isinstance(block.get("alt_text"), str):
                self.err("missing required field: alt_text", f"{pointer}/alt_text")
            self.max_len(block.get("alt_text"), 2000, f"{pointer}/alt_text")
        elif kind == "markdown":
            if not isinstance(block.get("text"), str):
                self.err("missing required field: text", f"{pointer}/text")
            self.max_len(block.get("text"), 12_000, f"{pointer}/text")

    def _section(self, block: JSONDict, pointer: str) -> None:
        fields = block.get("fields")
        if "text" not in block and not fields:
            self.err("must provide either text or fields", pointer)
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", limit=3000)
        if fields is not None:
            if not isinstance(fields, list):
                self.err("must be an array", f"{pointer}/fields")
            else:
                if len(fields) > 10:
                    self.err("no more than 10 items allowed", f"{pointer}/fields")
                for i, item in enumerate(fields):
                    self.text(item, f"{pointer}/fields/{i}", limit=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")

    def blocks(self, blocks: list[Any], pointer: str, max_blocks: int) -> None:
        if len(blocks) > max_blocks:
            self.err(f"no more than {max_blocks} items allowed", pointer)
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}", seen)


def blocks_json_length(blocks: list[Any]) -> int:
    """Characters in the compact JSON of ``blocks``: what ``msg_blocks_too_long`` measures."""
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def validate_message_blocks(blocks: list[Any]) -> JSONDict | None:
    """Slack's answer to a message with ``blocks``, or ``None`` when Slack would accept them."""
    v = _Validator()
    v.blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    if v.errors:
        return {
            "ok": False,
            "error": "invalid_blocks",
            "errors": v.errors,
            "response_metadata": {"messages": [f"[ERROR] {e}" for e in v.errors]},
        }
    if blocks_json_length(blocks) > MAX_BLOCKS_JSON_CHARS:
        return {"ok": False, "error": "msg_blocks_too_long"}
    return None


def validate_view(view: Any, *, home: bool = False) -> list[str]:
    """Problems Slack would report (as ``invalid_arguments``) for a view payload."""
    v = _Validator()
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        v.err("must be one of modal, home", "/view/type")
    elif home and kind != "home":
        v.err("must be home", "/view/type")
    if kind == "modal":
        v.text(view.get("title"), "/view/title", limit=24, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            v.text(view[key], f"/view/{key}", limit=24, plain_only=True)
    v.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    v.max_len(view.get("callback_id"), 255, "/view/callback_id")
    v.max_len(view.get("external_id"), 255, "/view/external_id")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        v.err("missing required field: blocks", "/view/blocks")
    else:
        v.blocks(blocks, "/view/blocks", MAX_VIEW_BLOCKS)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if kind == "modal" and has_input and "submit" not in view:
            v.err("submit is required when an input block is within the blocks array", "/view")
    return v.errors
