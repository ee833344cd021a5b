"""Reading a Web API call's arguments: JSON carried in form fields, multipart bodies, and typed
getters that raise Slack's error for a missing or malformed argument."""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any, Final

from fakes.slack.records import _ApiError

_JSON_FIELDS: Final = ("blocks", "attachments", "metadata", "view", "files")


def _decode_json_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key in _JSON_FIELDS:
        value = out.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(value)
    return out


def _str(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _required(params: Mapping[str, Any], key: str, error: str = "invalid_arguments") -> str:
    value = _str(params, key)
    if not value:
        raise _ApiError(error)
    return value


def _bool(params: Mapping[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return False


def _int(params: Mapping[str, Any], key: str, default: int) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _ApiError("invalid_arguments") from None


def _json_arg(params: Mapping[str, Any], key: str, error: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(error) from None
    return value


def _ts_key(ts: str) -> tuple[int, int]:
    whole, _, frac = ts.partition(".")
    try:
        return int(whole), int((frac or "0").ljust(6, "0")[:6])
    except ValueError:
        return 0, 0


def _ts_float(ts: str | None, default: float) -> float:
    if not ts:
        return default
    try:
        return float(ts)
    except ValueError:
        raise _ApiError("invalid_ts_latest") from None


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    out: dict[str, Any] = {}
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return out
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            out[name] = data
            out.setdefault("__filename__", part.get_filename())
        else:
            out[name] = data.decode("utf-8", "replace")
    return out
