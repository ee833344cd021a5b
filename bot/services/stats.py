"""Participation at group level: counts per theme period, month and theme, never who wrote what."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, select, update
from sqlalchemy.orm import Session

from bot.domain import Bilingual, ForumInfo, Language, theme_slug
from bot.i18n import month_name, month_year, t
from bot.ports import MemberCounter
from bot.services import cycles, subscriptions
from bot.storage.db import Database
from bot.storage.models import Contribution, Forum
from bot.timing import Period

log = logging.getLogger(__name__)
# A contribution of this kind is a trend (bot.services.trends), not a good example: every count
# here keeps the two apart. (Logbook entries live in their own table and never count.)
TREND = "trend"


@dataclass(frozen=True)
class PeriodStats:
    """One theme period's participation."""

    period: str
    contributions: int
    contributors: int


@dataclass(frozen=True)
class ForumStats:
    """A forum's participation overview."""

    periods: tuple[PeriodStats, ...]
    subscribers: int
    ended: int = 0  # subscriptions ended because the digest could not reach the person
    trends: int = 0  # links shared as trends, counted apart from the good examples

    @property
    def total(self) -> int:
        """All contributions."""
        return sum(p.contributions for p in self.periods)


def forum_stats(session: Session, forum_id: int, last: int = 12) -> ForumStats:
    """Good examples for the latest *last* periods with any, and all trends shared."""
    shared = session.scalar(
        select(func.count(Contribution.id)).where(
            Contribution.forum_id == forum_id, Contribution.kind == TREND
        )
    )
    rows = session.execute(
        select(
            Contribution.period,
            func.count(Contribution.id),
            func.count(distinct(Contribution.author_id)),
        )
        .where(Contribution.forum_id == forum_id, Contribution.kind != TREND)
        .group_by(Contribution.period)
        .order_by(Contribution.period.desc())
        .limit(last)
    )
    subscribers, ended = subscriptions.counts(session, forum_id)
    return ForumStats(
        tuple(PeriodStats(period, int(count), int(people)) for period, count, people in rows),
        subscribers,
        ended,
        int(shared or 0),
    )


# -- participation with trends (issue 13) ---------------------------------------------------------

MEMBER_COUNT_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Figures:
    """Participation in one slice of time: never who, only how many."""

    contributions: int
    contributors: int
    share: float | None  # contributors / channel members; None when the member count is unknown


@dataclass(frozen=True)
class MonthRow:
    """One month of the year beside the same month a year earlier."""

    month: int
    now: Figures
    last_year: Figures


@dataclass(frozen=True)
class ThemeRow:
    """One theme of the year beside the same theme (same key) a year earlier."""

    key: str
    title: Bilingual | None
    month: int | None  # the theme's month in this year's cycle, if it is in the cycle
    now: Figures
    last_year: Figures


@dataclass(frozen=True)
class Participation:
    """A forum's participation in *year*, per month and per theme, with last year beside it.

    Shares are measured against the member count known today (``members``) for both years: the
    platforms tell only how many are in a channel now.
    """

    forum_id: int
    year: int
    members: int | None
    months: tuple[MonthRow, ...]
    themes: tuple[ThemeRow, ...]
    total: Figures
    last_total: Figures
    # Links shared as trends in the year and the year before: counted apart from good examples.
    trends: Figures = Figures(0, 0, None)
    last_trends: Figures = Figures(0, 0, None)

    def month(self, month: int) -> MonthRow:
        """The row of *month* (1..12)."""
        return self.months[month - 1]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: group figures only."""
        return {
            "forum_id": self.forum_id,
            "year": self.year,
            "members": self.members,
            "total": asdict(self.total),
            "last_year_total": asdict(self.last_total),
            "trends": _pair(self.trends, self.last_trends),
            "months": [{"month": m.month, **_pair(m.now, m.last_year)} for m in self.months],
            "themes": [
                {
                    "key": row.key,
                    "title_sv": row.title.sv if row.title else None,
                    "title_en": row.title.en if row.title else None,
                    "month": row.month,
                    **_pair(row.now, row.last_year),
                }
                for row in self.themes
            ],
        }


def _pair(now: Figures, last: Figures) -> dict[str, Any]:
    return {"now": asdict(now), "last_year": asdict(last)}


class _Tally:
    """Contributions and the distinct people behind them, gathered before they become Figures."""

    __slots__ = ("count", "people")

    def __init__(self) -> None:
        self.count = 0
        self.people: set[str] = set()

    def add(self, count: int, person: str) -> None:
        self.count += count
        self.people.add(person)

    def figures(self, members: int | None) -> Figures:
        people = len(self.people)
        share = people / members if members else None
        return Figures(self.count, people, share)


def participation(
    session: Session, forum: ForumInfo, *, year: int, members: int | None
) -> Participation:
    """Contributions and distinct contributors per month and per theme of *year* and *year - 1*.

    One grouped query (period, theme, author → count) gives everything: distinct people per
    month, per theme and per year are exact, because they are counted from the same rows in
    Python, and the ids never leave this function. Themes come in the order of the forum's
    cycle; themes of contributions that are no longer in the cycle follow in the order of the
    month they were first contributed to.
    """
    members = members if members and members > 0 else None
    key_col = Contribution.theme_key
    rows = session.execute(
        select(
            Contribution.period,
            key_col,
            Contribution.theme_title_sv,
            Contribution.theme_title_en,
            Contribution.author_id,
            func.count(Contribution.id),
        )
        .where(
            Contribution.forum_id == forum.id,
            Contribution.kind != TREND,
            Contribution.period.between(f"{year - 1:04d}-01", f"{year:04d}-12"),
        )
        .group_by(
            Contribution.period,
            key_col,
            Contribution.theme_title_sv,
            Contribution.theme_title_en,
            Contribution.author_id,
        )
    ).all()
    months: dict[tuple[int, int], _Tally] = defaultdict(_Tally)
    themes: dict[tuple[int, str], _Tally] = defaultdict(_Tally)
    totals: dict[int, _Tally] = defaultdict(_Tally)
    titles: dict[str, Bilingual] = {}
    first_month: dict[str, tuple[int, int]] = {}  # key -> (0 this year / 1 last year, month)
    for period, key, title_sv, title_en, author, count in rows:
        when = Period.parse(period)
        # Examples recorded before themes had keys are known by their Swedish title's slug.
        theme = key or theme_slug(title_sv or title_en or "")
        months[(when.year, when.month)].add(int(count), author)
        totals[when.year].add(int(count), author)
        if not theme:
            continue
        themes[(when.year, theme)].add(int(count), author)
        if title_sv or title_en:
            titles.setdefault(
                theme, Bilingual(title_sv or title_en or "", title_en or title_sv or "")
            )
        order = (0 if when.year == year else 1, when.month)
        first_month[theme] = min(first_month.get(theme, order), order)

    empty = _Tally()
    cycle = cycles.for_forum(session, forum, year)  # the cycle of that year, if it has its own
    ordered: list[tuple[str, Bilingual | None, int | None, tuple[str, ...]]] = []
    for month in range(1, 13):
        content = cycle.theme_for(month)
        if content is not None and all(content.key != k for k, *_ in ordered):
            ordered.append((content.key, content.title, month, content.follows))
    known = {key for key, *_ in ordered}
    for key in sorted(set(first_month) - known, key=lambda k: (first_month[k], k)):
        ordered.append((key, titles.get(key), None, ()))

    theme_rows = []
    for key, title, in_cycle, follows in ordered:
        last = themes.get((year - 1, key))
        # A theme that continues an earlier one (its "follows") compares with that one.
        for earlier in follows:
            if last is not None:
                break
            last = themes.get((year - 1, earlier))
        theme_rows.append(
            ThemeRow(
                key,
                title or titles.get(key),
                in_cycle,
                themes.get((year, key), empty).figures(members),
                (last or empty).figures(members),
            )
        )
    return Participation(
        forum.id,
        year,
        members,
        tuple(
            MonthRow(
                month,
                months.get((year, month), empty).figures(members),
                months.get((year - 1, month), empty).figures(members),
            )
            for month in range(1, 13)
        ),
        tuple(theme_rows),
        totals.get(year, empty).figures(members),
        totals.get(year - 1, empty).figures(members),
        *_trend_figures(session, forum.id, year, members),
    )


def _trend_figures(
    session: Session, forum_id: int, year: int, members: int | None
) -> tuple[Figures, Figures]:
    """The trends shared in *year* and *year - 1*, and by how many people."""
    rows = session.execute(
        select(Contribution.period, Contribution.author_id, func.count(Contribution.id))
        .where(
            Contribution.forum_id == forum_id,
            Contribution.kind == TREND,
            Contribution.period.between(f"{year - 1:04d}-01", f"{year:04d}-12"),
        )
        .group_by(Contribution.period, Contribution.author_id)
    ).all()
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    for period, author, count in rows:
        tallies[Period.parse(period).year].add(int(count), author)
    empty = _Tally()
    return (
        tallies.get(year, empty).figures(members),
        tallies.get(year - 1, empty).figures(members),
    )


# -- the channel's member count -------------------------------------------------------------------


def stored_member_count(session: Session, forum_id: int) -> tuple[int | None, datetime | None]:
    """The member count last asked of the platform, and when it was asked (None: never)."""
    row = session.execute(
        select(Forum.member_count, Forum.member_count_at).where(Forum.id == forum_id)
    ).one_or_none()
    if row is None:
        return None, None
    return row[0], row[1]


def member_count(
    db: Database, forum: ForumInfo, counter: object | None, *, now: datetime
) -> int | None:
    """The forum channel's member count, asked of the platform at most once a day.

    *counter* is the forum platform's poster; it is asked only when it offers
    :class:`~bot.ports.MemberCounter` and the stored answer is a day old or missing. The answer
    is stored even when it is None (a platform failure): the next attempt waits a day, so no
    page or command waits on a failing platform more than once a day. A failure is logged and
    never reaches the person asking.
    """
    with db.transaction() as session:
        count, asked = stored_member_count(session, forum.id)
    if asked is not None and now - asked < MEMBER_COUNT_MAX_AGE:
        return count
    if not isinstance(counter, MemberCounter):
        return count  # this platform cannot tell (the console): keep whatever is stored
    try:
        fresh = counter.member_count(forum)
    except Exception:  # any platform failure: no share shown, never an error to the person
        log.warning("member count of forum %s failed", forum.id, exc_info=True)
        fresh = None
    if fresh is not None and fresh < 0:
        fresh = None
    with db.transaction() as session:
        session.execute(
            update(Forum)
            .where(Forum.id == forum.id)
            .values(member_count=fresh, member_count_at=now)
        )
    return fresh


def forum_participation(
    db: Database, forum: ForumInfo, counter: object | None, *, year: int, now: datetime
) -> Participation:
    """:func:`participation` with the member count refreshed first (at most once a day)."""
    members = member_count(db, forum, counter, now=now)
    with db.transaction() as session:
        return participation(session, forum, year=year, members=members)


# -- in words and as files (chat, App Home, the command line) ------------------------------------

CSV_FIELDS = (
    "scope",
    "month",
    "theme_key",
    "title_sv",
    "title_en",
    "contributions",
    "contributors",
    "share",
    "last_year_contributions",
    "last_year_contributors",
    "last_year_share",
)


def percent(lang: Language, share: float) -> str:
    """A share as a whole percent in the reader's style ("25 %", "25%")."""
    return t(lang, "stats.percent", value=round(share * 100))


def figures_text(lang: Language, figures: Figures) -> str:
    """Counts only ("5 good examples from 3 people, 25%"), the share when known; or "none"."""
    if not figures.contributions:
        return t(lang, "stats.none")
    text = t(
        lang,
        "stats.figures",
        count=figures.contributions,
        people=t(lang, "admin.stats.people", count=figures.contributors),
    )
    return f"{text}, {percent(lang, figures.share)}" if figures.share is not None else text


def row_text(lang: Language, label: str, now: Figures, last: Figures, last_year: int) -> str:
    """One line: a month, a theme or the year, with last year beside it."""
    return t(
        lang,
        "stats.row",
        label=label,
        now=figures_text(lang, now),
        year=last_year,
        last=figures_text(lang, last),
    )


def trend_figures_text(lang: Language, figures: Figures) -> str:
    """Trends shared ("3 trends from 2 people"), or "none": never called good examples."""
    if not figures.contributions:
        return t(lang, "stats.none")
    return t(
        lang,
        "stats.trend_figures",
        count=figures.contributions,
        people=t(lang, "admin.stats.people", count=figures.contributors),
    )


def trends_text(p: Participation, lang: Language) -> str:
    """The year's trends with last year's beside them, as one line."""
    return t(
        lang,
        "stats.row",
        label=t(lang, "stats.trends", year=p.year),
        now=trend_figures_text(lang, p.trends),
        year=p.year - 1,
        last=trend_figures_text(lang, p.last_trends),
    )


def members_text(lang: Language, members: int | None) -> str:
    """What the shares are measured against, or why there are none."""
    if members is None:
        return t(lang, "stats.members.unknown")
    return t(lang, "stats.members", count=members)


def trend_lines(p: Participation, month: int, lang: Language) -> tuple[str, ...]:
    """*month* of the year against the same month last year, then the whole years; then the
    trends shared, when there are any (counted apart from the good examples)."""
    row = p.month(month)
    lines: tuple[str, ...] = (
        row_text(lang, month_year(lang, p.year, month), row.now, row.last_year, p.year - 1),
        row_text(lang, t(lang, "stats.whole_year", year=p.year), p.total, p.last_total, p.year - 1),
    )
    if p.trends.contributions or p.last_trends.contributions:
        lines += (trends_text(p, lang),)
    return lines


def theme_lines(p: Participation, lang: Language) -> tuple[str, ...]:
    """Each theme that had contributions this year or last, in cycle order."""
    return tuple(
        row_text(
            lang, row.title.get(lang) if row.title else row.key, row.now, row.last_year, p.year - 1
        )
        for row in p.themes
        if row.now.contributions or row.last_year.contributions
    )


def month_lines(p: Participation, lang: Language) -> tuple[str, ...]:
    """Every month of the year, with the same month last year beside it."""
    return tuple(
        row_text(lang, month_name(lang, row.month), row.now, row.last_year, p.year - 1)
        for row in p.months
    )


def as_text(p: Participation, lang: Language) -> str:
    """A plain report: per month, per theme and the whole year, each with last year beside it."""
    lines = [t(lang, "stats.title", year=p.year), members_text(lang, p.members), ""]
    lines += [t(lang, "stats.by_month"), *(f"  {line}" for line in month_lines(p, lang)), ""]
    themes = theme_lines(p, lang)
    lines += [t(lang, "stats.by_theme"), *(f"  {line}" for line in themes)]
    if not themes:
        lines.append(f"  {t(lang, 'stats.no_themes')}")
    lines += [
        "",
        row_text(lang, t(lang, "stats.whole_year", year=p.year), p.total, p.last_total, p.year - 1),
        trends_text(p, lang),
    ]
    return "\n".join(lines) + "\n"


def _csv_cell(value: Any) -> Any:
    # As bot.services.export does: spreadsheets run cells starting with these (CSV injection).
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def csv_rows(p: Participation) -> list[dict[str, Any]]:
    """One row per month, per theme and for the year, then one of the year's trends (scope
    ``trends``: its contributions are trends shared); the same columns for each."""

    def row(scope: str, now: Figures, last: Figures, **where: Any) -> dict[str, Any]:
        return {
            "scope": scope,
            "month": where.get("month", ""),
            "theme_key": where.get("key", ""),
            "title_sv": where.get("sv", ""),
            "title_en": where.get("en", ""),
            "contributions": now.contributions,
            "contributors": now.contributors,
            "share": _share(now.share),
            "last_year_contributions": last.contributions,
            "last_year_contributors": last.contributors,
            "last_year_share": _share(last.share),
        }

    rows = [row("month", m.now, m.last_year, month=m.month) for m in p.months]
    rows += [
        row(
            "theme",
            th.now,
            th.last_year,
            month=th.month or "",
            key=th.key,
            sv=th.title.sv if th.title else "",
            en=th.title.en if th.title else "",
        )
        for th in p.themes
    ]
    rows.append(row("year", p.total, p.last_total))
    rows.append(row("trends", p.trends, p.last_trends))  # links shared as trends, not examples
    return rows


def as_csv(items: list[Participation]) -> str:
    """CSV with a header row and the forum and year on each row; formulas are defused."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=("forum_id", "year", "members", *CSV_FIELDS), lineterminator="\n"
    )
    writer.writeheader()
    for p in items:
        for values in csv_rows(p):
            cells = {"forum_id": p.forum_id, "year": p.year, "members": p.members or "", **values}
            writer.writerow({key: _csv_cell(value) for key, value in cells.items()})
    return buffer.getvalue()


def as_json(items: list[Participation]) -> str:
    """A JSON array, one object per forum."""
    return json.dumps([p.as_dict() for p in items], ensure_ascii=False, indent=2) + "\n"
