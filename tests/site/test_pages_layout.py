"""What the pages' layout relies on: the site's icon, other years on the year page (December points
to next year), chart captions outside their scroll boxes and the library's theme heading."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import cycles, forums
from tests.site.conftest import sign_in
from tests.support import FakeClock

# The core's clock (tests/conftest.py) stands at Monday 23 November 2026.


@pytest.fixture
def forum(site_core: Core) -> ForumInfo:
    with site_core.db.transaction() as session:
        made, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
        )
    return made


@pytest.fixture
def reader(client: TestClient, site_core: Core, forum: ForumInfo) -> TestClient:
    sign_in(client, site_core, Platform.SLACK, "T1", "ULEIF")
    return client


def test_the_site_has_an_icon(client: TestClient) -> None:
    # Served without sign-in: the sign-in page asks for it too.
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg")
    linked = client.get("/static/icon.svg")
    assert linked.status_code == 200 and linked.content == icon.content
    page = client.get("/signin").text
    assert '<link rel="icon" href="/static/icon.svg" type="image/svg+xml">' in page


def test_the_year_page_shows_another_year(
    reader: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    base = f"/forums/{forum.id}"
    page = reader.get(f"{base}?year=2025&lang=en")
    assert page.status_code == 200
    text = page.text
    assert "<h1>The year 2025" in text
    assert f'src="{base}/wheel.svg?lang=en&amp;year=2025"' in text
    assert 'href="?year=2024" rel="prev"' in text and 'href="?year=2026" rel="next"' in text
    assert f'<a href="{base}">Back to the current year (2026)</a>' in text
    # Another year has no "now": no month marked, no current theme card.
    assert 'aria-current="date"' not in text and 'id="theme-heading"' not in text
    with site_core.db.transaction() as session:
        march = cycles.for_forum(session, forum, 2025).theme_for(3)
    assert march is not None and html.escape(march.title.en) in text
    # The current year (no ?year=) keeps its month marked and has no "back" link.
    current = reader.get(f"{base}?lang=en").text
    assert 'aria-current="date"' in current and "Back to the current year" not in current
    assert 'href="?year=2027" rel="next">' in current  # not highlighted before December


@pytest.mark.parametrize("year", ["1999", "2101", "abc", "20x6", "-1", "02026", "２０２６", "²⁰²⁶"])
def test_a_year_out_of_range_is_404(reader: TestClient, forum: ForumInfo, year: str) -> None:
    assert reader.get(f"/forums/{forum.id}", params={"year": year}).status_code == 404


def test_the_edges_of_the_range_have_no_link_beyond(reader: TestClient, forum: ForumInfo) -> None:
    first = reader.get(f"/forums/{forum.id}?year=2000").text
    assert 'rel="prev"' not in first and 'href="?year=2001" rel="next"' in first
    last = reader.get(f"/forums/{forum.id}?year=2100").text
    assert 'rel="next"' not in last and 'href="?year=2099" rel="prev"' in last


def test_in_december_the_page_points_to_next_year(
    reader: TestClient, site_core: Core, forum: ForumInfo, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 12, 5, 9, tzinfo=UTC))
    with site_core.db.transaction() as session:
        january = cycles.for_forum(session, forum, 2027).theme_for(1)
    assert january is not None
    sv = reader.get(f"/forums/{forum.id}?lang=sv").text
    coming = re.search(r'<section aria-labelledby="coming-heading".*?</section>', sv, re.S)
    assert coming is not None, "no next-month section in December"
    assert "Nästa månad: januari 2027" in coming.group(0)
    assert html.escape(january.title.sv) in html.unescape(coming.group(0)) or (
        january.title.sv in html.unescape(coming.group(0))
    )
    assert 'href="?year=2027">Se året 2027</a>' in coming.group(0)
    # The next-year link in the year menu stands out as a button in December.
    assert 'href="?year=2027" rel="next" class="button">2027 →</a>' in sv
    en = reader.get(f"/forums/{forum.id}?lang=en").text
    assert "Next month: January 2027" in en and "See the year 2027" in en
    # Next year's own page has no such section (its December is a year away).
    assert 'id="coming-heading"' not in reader.get(f"/forums/{forum.id}?year=2027").text


def test_november_has_no_next_year_section(reader: TestClient, forum: ForumInfo) -> None:
    assert 'id="coming-heading"' not in reader.get(f"/forums/{forum.id}").text


def test_chart_captions_sit_outside_the_scroll_box(reader: TestClient, forum: ForumInfo) -> None:
    # Inside a sideways-scrolling box a caption is as wide as the table: a phone cuts it off.
    stats = reader.get(f"/forums/{forum.id}/stats").text
    year = reader.get(f"/forums/{forum.id}").text
    for page, chart in ((stats, "month-chart"), (stats, "theme-chart"), (year, "year-chart")):
        assert "<caption" not in page
        caption = page.index(f'<p class="caption" id="{chart}">')
        box = page.index(f'<div class="scroll" role="region" aria-labelledby="{chart}"')
        assert caption < box
        assert f'<table class="chart" aria-labelledby="{chart}">' in page


def test_the_librarys_theme_heading_reads_as_a_title(
    reader: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    with site_core.db.transaction() as session:
        theme = cycles.current(session, forum, datetime(2026, 11, 23, 9, tzinfo=UTC)).theme
    assert theme is not None
    for lang, label, sub in (
        ("sv", "Månadens tema", "Goda exempel i år och från samma tema förra året"),
        ("en", "This month's theme", "Good practices this year and on the same theme last year"),
    ):
        page = html.unescape(reader.get(f"/forums/{forum.id}/library?lang={lang}").text)
        heading = f'<h2 id="comeback-heading">{label}: {theme.title.get(lang)}</h2>'
        assert heading in page, lang
        assert f'<p class="subheading">{sub}</p>' in page
