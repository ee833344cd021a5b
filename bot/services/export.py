"""Exports of the collected good practices (CSV, JSON, Markdown) and the cycle as a calendar."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import CycleDocument, ForumInfo, Language
from bot.i18n import t
from bot.services.book import markdown_quote, markdown_text
from bot.services.forums import moments
from bot.storage.models import Contribution

if TYPE_CHECKING:
    from bot.services.meetings import MeetingInfo
from bot.timing import (
    digest_moment_at_or_before,
    local_moment,
    period_at,
    shift_digest_moment,
    theme_day,
)

TREND = "trend"  # bot.services.trends.KIND: a shared link, listed apart from good examples

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
    "kind",
    "url",
    "url_title",
)
"""The columns of an export; ``kind`` is ``practice`` (a good example) or ``trend`` (a link shared
from environmental scanning: its ``url`` and ``url_title``, with the sharer's comment as ``text``).
Logbook entries are private and have their own table: they are never exported here."""


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
            "kind": c.kind,
            "url": c.url or "",
            "url_title": c.url_title or "",
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
    """A readable document: the good examples grouped by theme period, newest first, then the
    trends shared (each its title, link and comment) in a section of their own."""
    lines = [f"# {t(lang, 'export.title')}", ""]
    by_period: dict[str, list[dict[str, Any]]] = {}
    shared = [item for item in items if item.get("kind") == TREND]
    for item in items:
        if item.get("kind") != TREND:
            by_period.setdefault(item["period"], []).append(item)
    for period in sorted(by_period, reverse=True):
        group = by_period[period]
        theme = group[0]["theme_" + lang] or t(lang, "digest.no_theme")
        lines += [f"## {period} — {markdown_text(theme)}", ""]
        for item in group:
            # What people wrote is escaped: it cannot break the document's structure or ping.
            author = markdown_text(item["author"] or t(lang, "digest.anonymous"))
            lines.append(f"**{author}** ({item['created_at'][:10]}):")
            lines.append("")
            lines.append(markdown_quote(item["text"]))
            if item["permalink"]:
                lines += ["", f"<{item['permalink']}>"]
            lines.append("")
    if shared:
        lines += [f"## {t(lang, 'export.trends')}", ""]
    for item in sorted(shared, key=lambda found: found["created_at"], reverse=True):
        author = markdown_text(item["author"] or t(lang, "digest.anonymous"))
        title = markdown_text(item["url_title"] or item["url"])
        lines.append(f"**{author}** ({item['created_at'][:10]}): [{title}](<{item['url']}>)")
        if item["text"]:
            lines += ["", markdown_quote(item["text"])]
        lines.append("")
    return "\n".join(lines)


def cycle_calendar(
    doc: CycleDocument,
    forum: ForumInfo,
    start: datetime,
    lang: Language,
    months: int = 12,
    *,
    digests: bool = False,
    doc_for_year: Callable[[int], CycleDocument] | None = None,
    meetings: Sequence[MeetingInfo] = (),
) -> str:
    """The theme posts of *months* months from *start*'s period as an iCalendar file.

    Each theme is an all-day event on its posting day (the time rules of :mod:`bot.timing`),
    described by its "why now" and its questions; UIDs are stable (forum and period), so a
    subscribed calendar updates an event instead of adding another. With *digests*, every
    digest moment in those months is a timed event in the forum's zone. *doc_for_year* gives
    the cycle of a calendar year when a forum's cycle differs from year to year. *meetings*
    are timed events with their place or link, the agenda note as the description.
    """
    from icalendar import Calendar, Event  # only when a calendar file is made

    calendar = Calendar()
    calendar.add("prodid", "-//Ledarforum//Yearly cycle//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", doc.name or "Ledarforum")
    when = moments(forum)
    first = period = period_at(start, when)
    for _ in range(months):
        year_doc = doc_for_year(period.year) if doc_for_year else doc
        theme = year_doc.theme_for(period.month)
        if theme is not None:
            day = theme_day(period, when)
            event = Event()
            event.add("uid", f"ledarforum-{forum.id}-{period.key}@ledarforum")
            event.add("summary", theme.title.get(lang))
            questions = "\n".join(f"– {question.get(lang)}" for question in theme.questions)
            parts = [theme.why_now.get(lang), questions]
            if theme.delivery:
                parts.append(t(lang, "calendar.ics.delivery", text=theme.delivery.get(lang)))
            event.add("description", "\n\n".join(part for part in parts if part))
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("dtstamp", start)
            event.add("transp", "TRANSPARENT")  # a theme does not make anyone busy
            calendar.add_component(event)
        period = period.next()
    if digests:
        end = local_moment(date(period.year, period.month, 1), time(0), when.zone)
        moment = digest_moment_at_or_before(
            local_moment(date(first.year, first.month, 1), time(0), when.zone), when
        )
        while moment < end:
            moment = shift_digest_moment(moment, when, 1)
            if moment >= end:
                break
            event = Event()
            local = moment.astimezone(when.zone)
            event.add("uid", f"ledarforum-{forum.id}-digest-{local:%Y%m%d}@ledarforum")
            event.add("summary", t(lang, "calendar.ics.digest"))
            event.add("description", t(lang, "calendar.ics.digest_description"))
            event.add("dtstart", local)
            event.add("dtend", local + timedelta(minutes=30))
            event.add("dtstamp", start)
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
        calendar.add_missing_timezones()  # the VTIMEZONE the timed events refer to
    if meetings:
        from bot.services.meetings import add_to_calendar  # meetings imports the publisher

        add_to_calendar(calendar, list(meetings), forum, lang, start)
        calendar.add_missing_timezones()
    return str(calendar.to_ical().decode("utf-8"))
