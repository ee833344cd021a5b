"""A forum's year, its library of good practices, the downloads and participation: read-only pages.

Every page first asks :func:`handlers.site.sessions.forum_for` who is reading and whether they may
see the forum (signed-out visitors are sent to sign in, another workspace's people get 404), and
only then reads the database. Database work (and the access check, which reads it too) runs in the
thread pool, so a slow query never stalls the event loop that also serves the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot import i18n
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Language, ThemeContent, is_language
from bot.services import book, cohorts, comeback, cycles, export, library, review, stats
from bot.services.trends import KIND as TREND
from bot.timing import Period
from handlers.site import sessions
from handlers.site.language import page_language
from handlers.site.templating import SECURITY_HEADERS, Pages

# The library page lists at most this many examples; the downloads have them all.
PAGE_LIMIT = 200
FIRST_YEAR, LAST_YEAR = 2000, 2100
# The site's icon; base.html links it, and /favicon.ico serves it for browsers that ask anyway.
ICON = Path(__file__).parent / "static" / "icon.svg"


@dataclass(frozen=True)
class Reader:
    """Who reads which forum, whether they organise it, and in which language."""

    actor: Actor
    forum: ForumInfo
    organiser: bool
    lang: Language

    def context(self, **more: Any) -> dict[str, Any]:
        """What every forum page's template needs (base.html draws the forum's menu from it)."""
        return {"forum": self.forum, "organiser": self.organiser, **more}


def safe_url(url: str | None) -> str | None:
    """*url* when it is a web address; None for anything a browser would run (``javascript:``)."""
    if url and url.strip().casefold().startswith(("https://", "http://")):
        return url.strip()
    return None


def _language(request: Request, actor: Actor, forum: ForumInfo) -> Language:
    # Asked (?lang=, cookie, browser) first; then the person's platform language; then the forum's.
    tag = (actor.locale or "").split("-")[0].casefold()
    return page_language(request, tag if is_language(tag) else forum.language)


async def _reader(request: Request, core: Core, forum_id: int) -> Reader:
    actor, forum = await run_in_threadpool(sessions.forum_for, request, core, forum_id)
    organiser = await run_in_threadpool(core.dialogue.is_organiser, actor, forum)
    return Reader(actor, forum, organiser, _language(request, actor, forum))


def _year(value: str) -> int | None:
    """A year from a URL or a form, or None when it is not a plausible one."""
    # Four ASCII digits: str.isdigit() also accepts "²", which int() refuses (a 500, not a 404).
    if (
        len(value) == 4
        and value.isascii()
        and value.isdigit()
        and FIRST_YEAR <= int(value) <= LAST_YEAR
    ):
        return int(value)
    return None


# ---------------------------------------------------------------- data gathered per page


@dataclass(frozen=True)
class YearMonth:
    """One month of the year as listed beside the wheel."""

    month: int
    theme: ThemeContent | None
    current: bool


@dataclass(frozen=True)
class Bar:
    """One row of a participation chart: this year's and last year's figures and bar lengths."""

    label: str
    now: stats.Figures
    last: stats.Figures
    now_width: float  # 0..100, the bar's share of the chart's width
    last_width: float
    current: bool = False


def _widths(rows: list[tuple[stats.Figures, stats.Figures]]) -> list[tuple[float, float]]:
    # Share of the members when the member count is known (an absolute scale), else relative to
    # the most contributors in any row, so the bars still compare months with each other.
    most = max([1, *(max(now.contributors, last.contributors) for now, last in rows)])

    def width(figures: stats.Figures) -> float:
        if figures.share is not None:
            return round(min(figures.share, 1.0) * 100, 1)
        return round(figures.contributors / most * 100, 1)

    return [(width(now), width(last)) for now, last in rows]


def month_bars(
    participation: stats.Participation, lang: Language, current: int | None
) -> list[Bar]:
    """A bar per month of the year, the current month marked."""
    pairs = [(row.now, row.last_year) for row in participation.months]
    return [
        Bar(
            i18n.month_name(lang, row.month).capitalize(),
            row.now,
            row.last_year,
            *w,
            current=row.month == current,
        )
        for row, w in zip(participation.months, _widths(pairs), strict=True)
    ]


def theme_bars(participation: stats.Participation, lang: Language) -> list[Bar]:
    """A bar per theme of the year (in cycle order), with the same theme last year."""
    pairs = [(row.now, row.last_year) for row in participation.themes]
    return [
        Bar(row.title.get(lang) if row.title else row.key, row.now, row.last_year, *w)
        for row, w in zip(participation.themes, _widths(pairs), strict=True)
    ]


@dataclass(frozen=True)
class YearData:
    year: int  # the year shown (?year=), not always the current one
    period: Period  # the current theme period
    theme: ThemeContent | None  # the current period's theme
    months: tuple[YearMonth, ...]
    participation: stats.Participation
    # In the cycle's last month the next one lies in next year: its theme, so that the page
    # points there (None when next month has no theme or the page shows another year).
    coming: ThemeContent | None = None

    @property
    def is_current(self) -> bool:
        return self.year == self.period.year

    @property
    def last_month(self) -> bool:
        """The current month is December: next month's theme is on next year's page."""
        return self.is_current and self.period.month == 12


def _participation(core: Core, forum: ForumInfo, year: int, now: datetime) -> stats.Participation:
    # Asks the platform for the channel's member count at most once a day (the share needs it).
    counter = core.posters.get(forum.platform)
    return stats.forum_participation(core.db, forum, counter, year=year, now=now)


def _year_data(core: Core, forum: ForumInfo, now: datetime, year: int | None = None) -> YearData:
    with core.db.transaction() as session:
        current = cycles.current(session, forum, now)
        shown = year or current.period.year
        doc = cycles.for_forum(session, forum, shown)
        coming = None
        if shown == current.period.year and current.period.month == 12 and shown < LAST_YEAR:
            coming = cycles.for_forum(session, forum, shown + 1).theme_for(1)
    months = tuple(
        YearMonth(month, doc.theme_for(month), current.period == Period(shown, month))
        for month in range(1, 13)
    )
    participation = _participation(core, forum, shown, now)
    return YearData(shown, current.period, current.theme, months, participation, coming)


@dataclass(frozen=True)
class LibraryData:
    found: list[library.Found]
    years: list[int]
    themes: list[tuple[str, Any]]
    period: Period
    theme: ThemeContent | None
    this_month: list[library.Found]
    last_year: list[library.Found]
    trends: list[library.Found] = field(default_factory=list)  # shared links, shown apart


def _library_data(
    core: Core, forum: ForumInfo, now: datetime, query: str, theme_key: str, year: int | None
) -> LibraryData:
    with core.db.transaction() as session:
        if query:
            found = library.search(session, forum.id, query, year=year, limit=PAGE_LIMIT)
            if theme_key:  # search ranks over every theme; the filter narrows it afterwards
                found = [f for f in found if f.theme_key == theme_key]
        else:
            found = library.examples(
                session, forum.id, year=year, theme_key=theme_key or None, limit=PAGE_LIMIT
            )
        current = cycles.current(session, forum, now)
        this_month: list[library.Found] = []
        last_year: list[library.Found] = []
        if current.theme is not None:
            this_month = [
                f
                for f in library.examples(session, forum.id, year=current.period.year)
                if f.period == current.period and f.kind != TREND
            ]
            last_year = comeback.last_year(session, forum, current.period, current.theme)
            last_year = [f for f in last_year if f.kind != TREND]
        return LibraryData(
            [f for f in found if f.kind != TREND],
            library.years(session, forum.id),
            list(library.themes(session, forum.id)),
            current.period,
            current.theme,
            this_month,
            last_year,
            [f for f in found if f.kind == TREND],
        )


def _my_cohorts(core: Core, actor: Actor, year: int, period: Period) -> list[cohorts.CohortRow]:
    # Only the cohorts the viewer organises: a leader of a cohort sees none here.
    mine = [
        forum
        for forum in sessions.my_forums(core, actor)
        if cohorts.is_cohort_forum(forum) and core.dialogue.is_organiser(actor, forum)
    ]
    # Stale member counts are asked of the platform first (at most once a day, failures shown
    # as no share), so the share of members is there without a stats page having been opened.
    return cohorts.refreshed_overview(
        core.db, mine, core.posters, year=year, period=period, now=core.dialogue.clock()
    )


# ---------------------------------------------------------------- routes


def routes(core: Core, view: Pages) -> list[BaseRoute]:
    """The pages of a forum: ``/``, ``/forums``, the year, library, downloads, book and stats."""

    async def home(request: Request) -> Response:
        signed_in = sessions.viewer(request) is not None
        return RedirectResponse("/forums" if signed_in else "/signin", status_code=303)

    async def favicon(request: Request) -> Response:
        # Browsers ask for /favicon.ico whatever the page declares: a 404 is a console error.
        return FileResponse(
            ICON,
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def forums_page(request: Request) -> Response:
        actor = sessions.viewer(request)
        if actor is None:
            return RedirectResponse("/signin?next=/forums", status_code=303)
        mine = await run_in_threadpool(sessions.my_forums, core, actor)
        if len(mine) == 1:
            return RedirectResponse(f"/forums/{mine[0].id}", status_code=303)
        lang = page_language(request, core.settings.language)
        return view.render(request, "forums.html", {"forums": mine}, lang=lang)

    async def year_page(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        asked = request.query_params.get("year", "").strip()
        year = _year(asked) if asked else None
        if asked and year is None:
            raise HTTPException(404)  # as /stats?year=: no such page, not a form error
        data = await run_in_threadpool(_year_data, core, reader.forum, core.dialogue.clock(), year)
        return view.render(
            request,
            "year.html",
            reader.context(
                data=data,
                safe_url=safe_url,
                bars=month_bars(
                    data.participation,
                    reader.lang,
                    data.period.month if data.is_current else None,
                ),
                percent=stats.percent,
                first_year=FIRST_YEAR,
                last_year=LAST_YEAR,
            ),
            lang=reader.lang,
        )

    async def library_page(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        params = request.query_params
        query = params.get("q", "").strip()
        theme_key = params.get("theme", "").strip()
        year_text = params.get("year", "").strip()
        errors: list[str] = []
        year = _year(year_text) if year_text else None
        if year_text and year is None:
            errors.append(i18n.t(reader.lang, "site.library.error.year"))
        if query:
            try:
                library.check(query)
            except library.SearchError as problem:  # too long, no words, too many words
                errors.append(i18n.t(reader.lang, problem.key, **problem.params))
                query = ""
        data = await run_in_threadpool(
            _library_data, core, reader.forum, core.dialogue.clock(), query, theme_key, year
        )
        if theme_key and theme_key not in {key for key, _ in data.themes}:
            errors.append(i18n.t(reader.lang, "site.library.error.theme"))
        return view.render(
            request,
            "library.html",
            reader.context(
                data=data,
                query=query,
                theme_key=theme_key,
                year=year,
                errors=errors,
                safe_url=safe_url,
                month_year=i18n.month_year,
            ),
            status=400 if errors else 200,
            lang=reader.lang,
        )

    def _download(body: str, media_type: str, filename: str) -> Response:
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",  # personal data: no shared caches
        }
        return Response(body, media_type=media_type, headers=headers)

    def _rows(forum_id: int) -> list[dict[str, Any]]:
        with core.db.transaction() as session:
            return export.rows(session, [forum_id])

    async def library_csv(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        rows = await run_in_threadpool(_rows, reader.forum.id)
        name = f"ledarforum-{reader.forum.id}-library.csv"
        return _download(export.as_csv(rows), "text/csv; charset=utf-8", name)

    async def library_json(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        rows = await run_in_threadpool(_rows, reader.forum.id)
        name = f"ledarforum-{reader.forum.id}-library.json"
        return _download(export.as_json(rows), "application/json", name)

    def _book(forum: ForumInfo, year: int, lang: Language) -> book.Book:
        with core.db.transaction() as session:
            return book.book(session, forum, year, lang)

    def _book_year(request: Request) -> int:
        year = _year(str(request.path_params["year"]))
        if year is None:
            raise HTTPException(404)
        return year

    async def book_markdown(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        year = _book_year(request)
        found = await run_in_threadpool(_book, reader.forum, year, reader.lang)
        name = f"ledarforum-{reader.forum.id}-book-{year}-{reader.lang}.md"
        return _download(book.book_markdown(found), "text/markdown; charset=utf-8", name)

    async def book_page(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        year = _book_year(request)
        found = await run_in_threadpool(_book, reader.forum, year, reader.lang)
        return view.render(
            request,
            "book.html",
            reader.context(book=found, year=year, safe_url=safe_url),
            lang=reader.lang,
        )

    def _review(forum: ForumInfo, year: int, lang: Language) -> review.Review:
        with core.db.transaction() as session:
            return review.so_far(session, forum, year, lang, now=core.dialogue.clock())

    async def review_markdown(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        year = _book_year(request)
        found = await run_in_threadpool(_review, reader.forum, year, reader.lang)
        name = f"ledarforum-{reader.forum.id}-review-{year}-{reader.lang}.md"
        return _download(review.review_markdown(found), "text/markdown; charset=utf-8", name)

    async def review_page(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        year = _book_year(request)
        found = await run_in_threadpool(_review, reader.forum, year, reader.lang)
        return view.render(
            request,
            "review.html",
            reader.context(
                review=found,
                year=year,
                safe_url=safe_url,
                figures_line=review.figures_line,
                theme_heading=review.theme_heading,
                byline=review.byline,
                meeting_line=review.meeting_line,
                long_date=i18n.long_date,
            ),
            lang=reader.lang,
        )

    async def stats_page(request: Request) -> Response:
        reader = await _reader(request, core, request.path_params["forum_id"])
        asked = request.query_params.get("year", "")
        year = _year(asked) if asked else None
        if asked and year is None:
            raise HTTPException(404)
        today = core.dialogue.clock().astimezone(ZoneInfo(reader.forum.timezone))
        year = year or today.year
        participation = await run_in_threadpool(
            _participation, core, reader.forum, year, core.dialogue.clock()
        )
        return view.render(
            request,
            "stats.html",
            reader.context(
                participation=participation,
                year=year,
                month_bars=month_bars(
                    participation, reader.lang, today.month if year == today.year else None
                ),
                theme_bars=theme_bars(participation, reader.lang),
                trends_line=stats.trends_text(participation, reader.lang),  # apart from examples
                first_year=FIRST_YEAR,
                last_year=LAST_YEAR,
                percent=stats.percent,
            ),
            lang=reader.lang,
        )

    async def cohorts_page(request: Request) -> Response:
        actor = sessions.viewer(request)
        if actor is None:
            return RedirectResponse("/signin?next=/cohorts", status_code=303)
        lang = page_language(request, core.settings.language)
        now = core.dialogue.clock()
        period = Period(now.year, now.month)
        rows = await run_in_threadpool(_my_cohorts, core, actor, now.year, period)
        return view.render(
            request,
            "cohorts.html",
            {"rows": rows, "year": now.year, "percent": stats.percent},
            lang=lang,
        )

    forum = "/forums/{forum_id:int}"
    return [
        Route("/", home, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/forums", forums_page, methods=["GET"]),
        Route("/cohorts", cohorts_page, methods=["GET"]),
        Route(forum, year_page, methods=["GET"]),
        Route(f"{forum}/library", library_page, methods=["GET"]),
        Route(f"{forum}/library.csv", library_csv, methods=["GET"]),
        Route(f"{forum}/library.json", library_json, methods=["GET"]),
        Route(f"{forum}/book/{{year:int}}.md", book_markdown, methods=["GET"]),
        Route(f"{forum}/book/{{year:int}}", book_page, methods=["GET"]),
        Route(f"{forum}/stats", stats_page, methods=["GET"]),
        Route(f"{forum}/review/{{year:int}}.md", review_markdown, methods=["GET"]),
        Route(f"{forum}/review/{{year:int}}", review_page, methods=["GET"]),
    ]
