"""What an inbox row may hold, and when it goes: one payload policy for every platform.

A stored payload is reduced to what processing reads (:func:`keep`) before it is written: Slack's
blocks, attachments, files, authorisations and tokens never reach the database, and a Teams row
holds only its envelope (kind, conversation, sender, and an installation's reference), never the
message text. What is kept still holds text and user ids, so it is erased on "forget me"
(:func:`forget`) and every row goes a week after it arrived, whatever its status (:func:`purge`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.storage.models import InboundEvent

# Long enough for redeliveries and crash recovery; a row still pending or failed by then will not
# be retried any more, and its text must not stay.
KEEP = timedelta(days=7)
_BATCH = 500

# The parts of a payload processing reads, as a tree: a key maps to the keys kept under it (of a
# dict, or of each dict in a list), or to None to keep its value whole.
Shape = Mapping[str, "Shape | None"]

_SLACK_MESSAGE: Shape = dict.fromkeys(("user", "text", "ts", "thread_ts", "bot_id"))
_SLACK_EVENT: Shape = {
    **dict.fromkeys(
        (
            "type",
            "subtype",
            "channel",
            "channel_type",
            "user",
            "text",
            "ts",
            "thread_ts",
            "deleted_ts",
            "reaction",
            "tab",
        )
    ),
    "item": dict.fromkeys(("type", "channel", "ts")),
    "message": _SLACK_MESSAGE,
}
_ID: Shape = {"id": None}
# Per kind of Slack item (see handlers.slack.listeners): what handling it reads.
_SLACK: Mapping[str, Shape] = {
    "event": {"event": _SLACK_EVENT},
    "command": dict.fromkeys(("user_id", "channel_id", "text", "trigger_id", "response_url")),
    "action": {
        "user": _ID,
        "channel": _ID,
        "response_url": None,
        "actions": dict.fromkeys(("action_id", "value")),
    },
    "shortcut": {"user": _ID, "channel": _ID, "response_url": None, "message": _SLACK_MESSAGE},
    "submission": {
        "user": _ID,
        "view": dict.fromkeys(("id", "callback_id", "private_metadata", "state")),
    },
}
# A Teams activity is worked on within its request; the row only makes redeliveries safe.
_TEAMS: Shape = dict.fromkeys(("type", "conversation", "from", "reference"))

# Keys under which payloads name the person who acted or wrote: Slack events (``user``,
# ``item_user``), commands (``user_id``), interactions (``user: {id}``), Teams (``from``,
# ``aadObjectId``). A payload naming the person there is theirs and is deleted whole.
_IDENTITY_KEYS = frozenset({"user", "user_id", "item_user", "from", "aadObjectId", "author_id"})


def keep(platform: Platform | str, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """*payload* reduced to what processing an item of *kind* reads (nothing for a kind unknown)."""
    if platform == Platform.SLACK:
        shape = _SLACK.get(kind, {})
    elif platform == Platform.TEAMS:
        shape = _TEAMS
    else:
        shape = {}
    return _pick(payload, shape)


def _pick(value: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, inner in shape.items():
        if key not in value:
            continue
        item = value[key]
        if inner is None:
            kept[key] = item
        elif isinstance(item, Mapping):
            kept[key] = _pick(item, inner)
        elif isinstance(item, list):
            kept[key] = [_pick(part, inner) for part in item if isinstance(part, Mapping)]
    return kept


def names(payload: Any, user_id: str) -> bool:
    """True when a payload names *user_id* as the one who acted or wrote."""
    if isinstance(payload, dict):
        mention = payload.get("type") == "user"  # a rich-text @mention names, it does not act
        for key, item in payload.items():
            if key in _IDENTITY_KEYS and not mention:
                if item == user_id:
                    return True
                if isinstance(item, dict) and user_id in (item.get("id"), item.get("aadObjectId")):
                    return True
            if names(item, user_id):
                return True
        return False
    if isinstance(payload, list):
        return any(names(item, user_id) for item in payload)
    return False


def forget(
    session: Session,
    platform: str,
    workspace_id: str,
    user_id: str,
    erase: Callable[[Any], Any],
) -> int:
    """Delete the person's rows (any status); *erase* their text from anyone else's; how many.

    A pending row of theirs is deleted too: processed later, it would store their text again.
    """
    rows = session.execute(
        select(InboundEvent.id, InboundEvent.payload).where(
            InboundEvent.platform == platform, InboundEvent.workspace_id == workspace_id
        )
    ).yield_per(_BATCH)
    doomed: list[int] = []
    edited: dict[int, Any] = {}
    for row_id, payload in rows:
        if names(payload, user_id):
            doomed.append(row_id)
            continue
        cleaned = erase(payload)
        if cleaned != payload:
            edited[row_id] = cleaned
    for chunk in _chunks(doomed):
        session.execute(delete(InboundEvent).where(InboundEvent.id.in_(chunk)))
    for row_id, cleaned in edited.items():
        session.execute(
            update(InboundEvent).where(InboundEvent.id == row_id).values(payload=cleaned)
        )
    return len(doomed) + len(edited)


def purge(session: Session, now: datetime, keep: timedelta = KEEP) -> int:
    """Delete rows received more than *keep* ago, of any status; how many went."""
    result = session.execute(delete(InboundEvent).where(InboundEvent.received_at < now - keep))
    return int(getattr(result, "rowcount", 0) or 0)


def _chunks(ids: list[int], size: int = _BATCH) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
