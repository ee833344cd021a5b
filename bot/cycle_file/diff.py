"""What changes between two yearly cycles, month by month and field by field.

The cycle editor shows this before an uploaded file is applied, so an organiser sees exactly what
the file would change: its months, and the meetings of its ``meetings:`` list that would be added
(*old* then carries the forum's stored meetings). Each :class:`Change` names its month and field
in the reader's language (:meth:`Change.label`) and carries the texts before and after as plain
strings (a list of questions or links as one line each), ready to be shown side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import Bilingual, CycleDocument, Language, ThemeContent
from bot.i18n import month_name, t
from bot.meeting_items import NewMeeting

# The fields compared, in the order a theme is read; each with how to show it as text.
_FIELDS: tuple[tuple[str, Callable[[ThemeContent], str | None]], ...] = (
    ("title.sv", lambda theme: theme.title.sv),
    ("title.en", lambda theme: theme.title.en),
    ("why_now.sv", lambda theme: theme.why_now.sv),
    ("why_now.en", lambda theme: theme.why_now.en),
    ("questions.sv", lambda theme: "\n".join(q.sv for q in theme.questions)),
    ("questions.en", lambda theme: "\n".join(q.en for q in theme.questions)),
    ("delivery.sv", lambda theme: theme.delivery.sv if theme.delivery else None),
    ("delivery.en", lambda theme: theme.delivery.en if theme.delivery else None),
    ("links", lambda theme: links_text(theme) or None),
    # Theme keys and "follows" exist once the cycle file has them; absent, they never differ.
    ("key", lambda theme: _optional(theme, "key")),
    ("follows", lambda theme: _optional(theme, "follows")),
)

FIELDS: tuple[str, ...] = ("name", "theme", *(name for name, _ in _FIELDS), "meeting")
"""Every field a change can name (``theme``: a whole month added or removed; ``meeting``: a
meeting the file adds)."""


def _optional(theme: ThemeContent, name: str) -> str | None:
    value = getattr(theme, name, None)
    if value is None or value == () or value == []:
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def link_line(title: Bilingual, url: str) -> str:
    """A link as one line: ``title | url``, or ``title sv | title en | url`` when they differ.

    The cycle file forbids ``|`` in link titles, so the line reads back unambiguously.
    """
    if title.sv == title.en:
        return f"{title.sv} | {url}"
    return f"{title.sv} | {title.en} | {url}"


def links_text(theme: ThemeContent) -> str:
    """A theme's links, one :func:`link_line` a line."""
    return "\n".join(link_line(link.title, link.url) for link in theme.links)


def theme_summary(theme: ThemeContent) -> str:
    """A whole theme in a few lines (a month added or removed)."""
    lines = [f"{theme.title.sv} / {theme.title.en}"]
    lines += [f"• {q.sv} / {q.en}" for q in theme.questions]
    return "\n".join(lines)


def meeting_line(meeting: NewMeeting) -> str:
    """A meeting as one line: ``2027-02-10 13:00 · 90 min · place · link | agenda``."""
    when = f"{meeting.day.isoformat()} {meeting.clock.strftime('%H:%M')}"
    parts = [when, f"{meeting.minutes} min", meeting.place, meeting.link or ""]
    line = " · ".join(part for part in parts if part)
    return f"{line} | {meeting.agenda}" if meeting.agenda else line


@dataclass(frozen=True)
class Change:
    """One field of one month that differs; ``month`` None for the cycle's name.

    ``before`` is None when the field (or the month's theme) is new, ``after`` None when it goes.
    """

    month: int | None
    field: str
    before: str | None
    after: str | None

    def label(self, lang: Language) -> str:
        """Which month and field, in *lang*: "Mars · Rubrik (svenska)"."""
        what = t(lang, f"editor.diff.field.{self.field}")
        if self.month is None:
            return what
        return f"{month_name(lang, self.month).capitalize()} · {what}"


def diff(old: CycleDocument, new: CycleDocument) -> list[Change]:
    """Every difference between *old* and *new*, the name first, then month by month."""
    changes: list[Change] = []
    if old.name != new.name:
        changes.append(Change(None, "name", old.name or None, new.name or None))
    for month in range(1, 13):
        before, after = old.theme_for(month), new.theme_for(month)
        if before is None and after is None:
            continue
        if before is None or after is None:
            changes.append(
                Change(
                    month,
                    "theme",
                    theme_summary(before) if before else None,
                    theme_summary(after) if after else None,
                )
            )
            continue
        for name, shown in _FIELDS:
            was, now = shown(before), shown(after)
            if was != now:
                changes.append(Change(month, name, was, now))
    # Importing adds the file's meetings and keeps those already stored at the same time (never
    # removes or rewrites one), so the only change a meeting makes is being added.
    stored = {(meeting.day, meeting.clock) for meeting in old.meetings}
    changes += [
        Change(None, "meeting", None, meeting_line(meeting))
        for meeting in new.meetings
        if (meeting.day, meeting.clock) not in stored
    ]
    return changes
