"""A meeting as people write it: checked from its parts, before it is stored.

The chat command, ``ledarforum meetings import`` and the cycle file's ``meetings:`` list all read a
meeting through :func:`new_meeting` (one item of a file through :func:`from_items`), so every way
in gives the same translated :class:`MeetingError` (a key of ``meetings.po``). Pure: no database,
so the cycle-file reader can use it (:mod:`bot.services.meetings` re-exports these names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from urllib.parse import urlsplit

DEFAULT_MINUTES, MIN_MINUTES, MAX_MINUTES = 90, 15, 12 * 60
PLACE_MAX, LINK_MAX, AGENDA_MAX = 500, 1000, 2000
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLOCK = re.compile(r"^\d{1,2}[:.]\d{2}$")
LENGTH_PATTERN = re.compile(r"^(\d{1,3})(?:m|min)$", re.IGNORECASE)
FILE_FIELDS = ("date", "time", "minutes", "place", "link", "agenda")
"""The fields of one meeting in a file (YAML, JSON, CSV, the cycle file)."""


class MeetingError(Exception):
    """Bad meeting input: a text key of ``meetings.po`` and its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class NewMeeting:
    """A meeting before it is stored: local date and time, in the forum's zone."""

    day: date
    clock: time
    minutes: int = DEFAULT_MINUTES
    place: str = ""
    link: str | None = None
    agenda: str | None = None


def is_url(text: str) -> bool:
    return "://" in text or text.casefold().startswith("www.")


def check_link(link: str) -> str:
    """*link* if it is an http(s) address with a host; else :class:`MeetingError`."""
    parts = urlsplit(link)
    if parts.scheme.casefold() not in {"http", "https"} or not parts.hostname:
        raise MeetingError("meetings.error.link")
    if len(link) > LINK_MAX or any(ch.isspace() for ch in link):
        raise MeetingError("meetings.error.link")
    return link


def parse_day(text: str) -> date:
    """``2027-02-10`` as a date; else :class:`MeetingError`."""
    if not DATE_PATTERN.match(text):
        raise MeetingError("meetings.error.date", value=text[:40])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MeetingError("meetings.error.date", value=text[:40]) from None


def parse_clock(text: str) -> time:
    """``13:00`` (or ``13.00``) as a time; else :class:`MeetingError`."""
    if not _CLOCK.match(text):
        raise MeetingError("meetings.error.time", value=text[:40])
    hours, minutes = re.split(r"[:.]", text)
    if int(hours) > 23 or int(minutes) > 59:
        raise MeetingError("meetings.error.time", value=text[:40])
    return time(int(hours), int(minutes))


def new_meeting(
    day: str,
    clock: str,
    *,
    minutes: int | str | None = None,
    place: str = "",
    link: str | None = None,
    agenda: str | None = None,
) -> NewMeeting:
    """A checked :class:`NewMeeting` from its parts (the cycle file, CSV, the CLI)."""
    length = DEFAULT_MINUTES
    if minutes not in (None, ""):
        text = str(minutes).strip()
        match = LENGTH_PATTERN.match(text)
        digits = match.group(1) if match else text
        if not digits.isdigit() or not MIN_MINUTES <= int(digits) <= MAX_MINUTES:
            raise MeetingError("meetings.error.length", low=MIN_MINUTES, high=MAX_MINUTES)
        length = int(digits)
    place = " ".join(place.split())
    if len(place) > PLACE_MAX:
        raise MeetingError("meetings.error.place_long", limit=PLACE_MAX)
    checked = check_link(link.strip()) if link and link.strip() else None
    if not place and checked is None:
        raise MeetingError("meetings.error.where")
    note = (agenda or "").strip() or None
    if note is not None and len(note) > AGENDA_MAX:
        raise MeetingError("meetings.error.agenda_long", limit=AGENDA_MAX)
    return NewMeeting(
        parse_day(day.strip()), parse_clock(clock.strip()), length, place, checked, note
    )


def from_items(items: object) -> list[NewMeeting]:
    """Checked meetings from a file's list of mappings; a bad item is a :class:`MeetingError`
    whose ``params["item"]`` is its 1-based number."""
    if isinstance(items, dict) and set(items) == {"meetings"}:
        items = items["meetings"]
    if not isinstance(items, list):
        raise MeetingError("meetings.error.file")
    out: list[NewMeeting] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not set(map(str, item)) <= set(FILE_FIELDS):
            raise MeetingError("meetings.error.item", item=number)
        fields = {str(k): "" if v is None else str(v) for k, v in item.items()}
        try:
            out.append(
                new_meeting(
                    fields.get("date", ""),
                    fields.get("time", ""),
                    minutes=fields.get("minutes") or None,
                    place=fields.get("place", ""),
                    link=fields.get("link") or None,
                    agenda=fields.get("agenda") or None,
                )
            )
        except MeetingError as exc:
            exc.params["item"] = number
            raise
    return out


def item_data(meeting: NewMeeting) -> dict[str, object]:
    """*meeting* as one item of a file: the fields of :data:`FILE_FIELDS` that are set, in the
    form :func:`from_items` reads back to the same meeting."""
    data: dict[str, object] = {
        "date": meeting.day.isoformat(),
        "time": meeting.clock.strftime("%H:%M"),
        "minutes": meeting.minutes,
        "place": meeting.place,
        "link": meeting.link or "",
        "agenda": meeting.agenda or "",
    }
    return {key: value for key, value in data.items() if value != ""}
