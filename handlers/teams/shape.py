"""Which request bodies are activities the adapter works on; the others never reach a listener.

The SDK answers 500 to anything its models refuse, and Teams delivers a 500 again and again. So a
body is checked twice: before authentication only the few fields the SDK reads first
(:func:`envelope_problem`), and after authentication the whole activity as the SDK will read it
(:func:`activity_problem`):

* an activity kind, event name, invoke name or installation action the SDK does not know is
  acknowledged unread (200), as Teams may add new ones;
* anything else the SDK's models refuse (a missing ``from``, ``text`` as a number, ``entities``
  not a list, …) is malformed (400);
* so is an activity whose ``serviceUrl`` is not an http(s) URL (every answer goes there, and it
  is kept as the forum's address), or whose identifiers could not be stored: empty, with control
  characters or non-ASCII, or longer than any Teams identifier (tenant ids are GUIDs), or a
  person's or channel's name with control characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from microsoft_teams.api import ActivityBase, ActivityTypeAdapter
from microsoft_teams.apps.events import CoreActivity
from pydantic import ValidationError

MAX_ID_CHARS = 200  # Teams' conversation, user and message ids are well under this
MAX_TENANT_CHARS = 64  # a GUID; what the database keeps as the workspace id
_ID = re.compile(r"[!-~]+")  # printable ASCII without spaces
_UNKNOWN_TAG = "union_tag_invalid"  # pydantic: a discriminator value no model matches


@dataclass(frozen=True)
class Refusal:
    """The answer to a body that must not reach a listener: ``error`` is None for 200."""

    status: int
    error: str | None = None

    @property
    def body(self) -> dict[str, str] | None:
        """The JSON body of the answer."""
        return {"error": self.error} if self.error else None


UNKNOWN = Refusal(200)


def envelope_problem(body: dict[str, Any]) -> Refusal | None:
    """What is wrong with the fields the SDK reads before authentication, if anything."""
    try:
        CoreActivity.model_validate(body)
    except (ValidationError, RecursionError):
        return Refusal(400, "the body is not an activity")
    return None


def activity_problem(body: dict[str, Any]) -> Refusal | None:
    """What is wrong with *body* (as the SDK passes it on), if anything."""
    try:
        activity = ActivityTypeAdapter.validate_python(body)
    except ValidationError as exc:
        if all(error["type"] == _UNKNOWN_TAG for error in exc.errors()):
            return UNKNOWN
        return Refusal(400, "malformed activity")
    except (RecursionError, ValueError, TypeError):
        return Refusal(400, "malformed activity")
    return _fields_problem(activity)


def _fields_problem(activity: ActivityBase) -> Refusal | None:
    if not _http_url(activity.service_url):
        return Refusal(400, "serviceUrl is not an http(s) URL")
    data = activity.channel_data
    tenants = [
        activity.conversation.tenant_id,
        data.tenant.id if data and data.tenant else None,
    ]
    ids = [
        activity.id,
        activity.from_.id,
        activity.recipient.id,
        activity.conversation.id,
    ]
    optional_ids = [
        activity.from_.aad_object_id,
        data.channel.id if data and data.channel else None,
        data.team.id if data and data.team else None,
        data.team.aad_group_id if data and data.team else None,
    ]
    names = [
        activity.from_.name,
        data.channel.name if data and data.channel else None,
    ]
    if not all(_identifier(value, MAX_ID_CHARS) for value in ids):
        return Refusal(400, "an identifier is missing or malformed")
    if not all(value is None or _identifier(value, MAX_ID_CHARS) for value in optional_ids):
        return Refusal(400, "an identifier is malformed")
    if not all(value is None or _identifier(value, MAX_TENANT_CHARS) for value in tenants):
        return Refusal(400, "the tenant id is malformed")
    if not all(value is None or _name(value) for value in names):
        return Refusal(400, "a name is malformed")
    return None


def _http_url(value: str | None) -> bool:
    if not value or not _ID.fullmatch(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _identifier(value: str, limit: int) -> bool:
    return 0 < len(value) <= limit and _ID.fullmatch(value) is not None


def _name(value: str) -> bool:
    # Any text but control characters (a NUL cannot even be stored in PostgreSQL).
    return not any(unicodedata.category(ch) == "Cc" for ch in value)
