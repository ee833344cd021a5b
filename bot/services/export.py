"""Exports of the collected good practices (CSV, JSON, Markdown) and the cycle as a calendar."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import CycleDocument, ForumInfo, Language
from bot.i18n import t
from bot.services.forums import moments
from bot.storage.models import Contribution
from bot.timing import Period, period_at, theme_moment

FIELDS = (
    "id",
    "forum_id",
    "channel_id",
    "period",
    "theme_sv",
    "theme_en",
    "author",
    "anonymous",
    "source",
    "created_at",
    "edited_at",
    "permalink",
    "text",
)


def rows(session: Session, forum_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The contributions of some forums, oldest first, as plain dictionaries."""
    query = (
        select(Contribution)
        .where(Contribution.forum_id.in_(list(forum_ids)))
        .order_by(Contribution.created_at, Contribution.id)
    )
    return [
        {
            "id": c.id,
            "forum_id": c.forum_id,
            "channel_id": c.channel_id,
            "period": c.period,
            "theme_sv": c.theme_title_sv or "",
            "theme_en": c.theme_title_en or "",
            "author": "" if c.anonymous else c.author_name,
            "anonymous": c.anonymous,
            "source": c.source,
            "created_at": c.created_at.isoformat(),
            "edited_at": c.edited_at.isoformat() if c.edited_at else "",
            "permalink": c.permalink or "",
            "text": c.text,
        }
        for c in session.scalars(query)
    ]


def _csv_safe(value: Any) -> Any:
    # Spreadsheet programs run cells that start with these as formulas (CSV injection).
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def as_csv(items: list[dict[str, Any]]) -> str:
    """CSV with a header row; cells that a spreadsheet would execute are defused."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({key: _csv_safe(value) for key, value in item.items()})
    return buffer.getvalue()


def as_json(items: list[dict[str, Any]]) -> str:
    """A JSON array."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def as_markdown(items: list[dict[str, Any]], lang: Language) -> str:
    """A readable document grouped by theme period, newest first."""
    lines = [f"# {t(lang, 'export.title')}", ""]
    by_period: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_period.setdefault(item["period"], []).append(item)
    for period in sorted(by_period, reverse=True):
        group = by_period[period]
        theme = group[0]["theme_" + lang] or t(lang, "digest.no_theme")
        lines += [f"## {period} — {theme}", ""]
        for item in group:
            author = item["author"] or t(lang, "digest.anonymous")
            text = item["text"].replace("\n", "\n  ")
            lines.append(f"- **{author}** ({item['created_at'][:10]}): {text}")
            if item["permalink"]:
                lines.append(f"  <{item['permalink']}>")
        lines.append("")
    return "\n".join(lines)


def cycle_calendar(
    doc: CycleDocument, forum: ForumInfo, start: datetime, lang: Language, months: int = 12
) -> str:
    """The coming *months* theme posts as an iCalendar file (one event per posting moment)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Ledarforum//Yearly cycle//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", doc.name or "Ledarforum")
    period: Period = period_at(start, moments(forum))
    for _ in range(months):
        period = period.next()
        theme = doc.theme_for(period.month)
        if theme is None:
            continue
        begins = theme_moment(period, moments(forum))
        event = Event()
        event.add("uid", f"ledarforum-{forum.id}-{period.key}@ledarforum")
        event.add("summary", theme.title.get(lang))
        event.add("description", theme.why_now.get(lang))
        event.add("dtstart", begins)
        event.add("dtend", begins + timedelta(hours=1))
        event.add("dtstamp", start)
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
