"""A forum's year: the page, the wheel as the browser draws it, participation and the feed."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import combinations
from typing import Any

import pytest
from icalendar import Calendar

from bot.cycle_file import load_cycle
from tests.browser.conftest import LEADER, ORGANISER, Console, Site, shot_path, sign_in_with_link

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Every <text> of the wheel as the browser lays it out: its glyph box (getBBox, in the text's own
# user space) carried to screen pixels by its full transform, so rotated labels are measured as
# the rotated quadrilaterals they are, not as their axis-aligned hulls.
_TEXT_BOXES = """() => {
  const svg = document.querySelector('svg');
  const frame = svg.getBoundingClientRect();
  const boxes = [...svg.querySelectorAll('text')].map((el) => {
    const b = el.getBBox();
    const m = el.getScreenCTM();
    const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height],
                     [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
    return {text: el.textContent.replace(/\\s+/g, ' ').trim(), corners,
            empty: b.width === 0 || b.height === 0};
  });
  return {frame: [frame.left, frame.top, frame.right, frame.bottom], boxes};
}"""

# Glyph boxes (ascent to descent) of neighbouring lines may touch; real overlap is far more.
TOLERANCE = 1.0


def _overlap(a: list[list[float]], b: list[list[float]]) -> bool:
    """True when two convex quadrilaterals overlap by more than TOLERANCE on every axis (SAT)."""
    for quad in (a, b):
        for i in range(4):
            (x1, y1), (x2, y2) = quad[i], quad[(i + 1) % 4]
            axis = (y1 - y2, x2 - x1)
            length = (axis[0] ** 2 + axis[1] ** 2) ** 0.5
            if length == 0:
                continue
            pa = [(x * axis[0] + y * axis[1]) / length for x, y in a]
            pb = [(x * axis[0] + y * axis[1]) / length for x, y in b]
            if min(max(pa), max(pb)) - max(min(pa), min(pb)) <= TOLERANCE:
                return False
    return True


@pytest.mark.parametrize(
    ("lang", "words"),
    [("sv", "arbetsmiljöarbete"), ("en", "work environment")],
    ids=["sv", "en"],
)
def test_wheel_text_never_overlaps(
    request: pytest.FixtureRequest,
    page: Any,
    site: Site,
    visit: Callable[..., Any],
    lang: str,
    words: str,
) -> None:
    sign_in_with_link(page, site, LEADER)
    visit(page, f"{site.forum}?lang={lang}", "year")
    wheel = page.locator("img.wheel, main svg").first
    assert wheel.is_visible()
    if wheel.evaluate("el => el.tagName") == "IMG":
        assert wheel.evaluate("el => el.complete && el.naturalWidth > 0"), "the wheel did not load"
    response = page.goto(site.path(f"{site.forum}/wheel.svg?lang={lang}"))
    assert response is not None and response.ok
    assert response.headers["content-type"].startswith("image/svg+xml")
    # Its own size (a full-page screenshot of an SVG document never finishes in Chromium).
    size = page.evaluate("() => document.documentElement.getBoundingClientRect().toJSON()")
    page.set_viewport_size({"width": round(size["width"]), "height": round(size["height"])})
    page.screenshot(path=str(shot_path(request.node.name, "wheel", round(size["width"]))))
    measured = page.evaluate(_TEXT_BOXES)
    boxes = [box for box in measured["boxes"] if not box["empty"]]
    text = " ".join(box["text"] for box in boxes)
    assert words.casefold() in text.casefold(), text
    assert len(boxes) >= 12, text
    left, top, right, bottom = measured["frame"]
    for box in boxes:
        for x, y in box["corners"]:
            assert left - TOLERANCE <= x <= right + TOLERANCE, ("cut off", box["text"])
            assert top - TOLERANCE <= y <= bottom + TOLERANCE, ("cut off", box["text"])
    overlapping = [
        (a["text"], b["text"])
        for a, b in combinations(boxes, 2)
        if _overlap(a["corners"], b["corners"])
    ]
    assert overlapping == [], overlapping


# Every line of text (a <tspan>, or a <text> without any) must lie inside one shape of the wheel
# (a sector, the band of month names, the centre): a line that crosses a sector's edge is drawn
# over the divider and reads as part of the neighbouring month. Its glyph box, shrunk by the
# tolerance, is carried to each shape's own user space and tested with isPointInFill.
_OUTSIDE_SHAPES = """(tolerance) => {
  const svg = document.querySelector('svg');
  // A background disc behind the whole wheel would contain everything: of the shapes around the
  // centre keep only the smallest (the hub).
  const box = svg.viewBox.baseVal;
  const centre = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2);
  const area = (shape) => { const b = shape.getBBox(); return b.width * b.height; };
  const all = [...svg.querySelectorAll('path, circle, ellipse, polygon')];
  const central = all.filter((shape) => shape.isPointInFill(centre));
  const hub = central.sort((a, b) => area(a) - area(b))[0];
  const shapes = all.filter((shape) => !central.includes(shape) || shape === hub);
  const lines = [...svg.querySelectorAll('text')].flatMap((el) => {
    const spans = [...el.querySelectorAll('tspan')];
    return spans.length ? spans : [el];
  });
  const outside = [];
  for (const line of lines) {
    const b = line.getBBox();
    if (!b.width || !b.height || !line.textContent.trim()) continue;
    // The box is the font's cell: above capitals (about a fifth of it) and below the baseline
    // (descenders, about a seventh) there is room no letter of a word like "Reflektion" fills.
    const t = Math.min(tolerance, b.width / 4);
    const top = b.y + b.height * 0.2;
    const bottom = b.y + b.height * 0.85;
    const m = line.getScreenCTM();
    const corners = [[b.x + t, top], [b.x + b.width - t, top],
                     [b.x + b.width - t, bottom], [b.x + t, bottom]]
      .map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
    const inside = shapes.some((shape) => {
      const back = shape.getScreenCTM().inverse();
      return corners.every((p) => shape.isPointInFill(p.matrixTransform(back)));
    });
    if (!inside) outside.push(line.textContent.replace(/\\s+/g, ' ').trim());
  }
  return outside;
}"""


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_wheel_text_stays_inside_its_sector(page: Any, site: Site, lang: str) -> None:
    sign_in_with_link(page, site, LEADER)
    response = page.goto(site.path(f"{site.forum}/wheel.svg?lang={lang}"))
    assert response is not None and response.ok
    outside = page.evaluate(_OUTSIDE_SHAPES, TOLERANCE)
    assert outside == [], f"lines crossing a sector's edge: {outside}"


def test_year_and_stats_pages(page: Any, site: Site, visit: Callable[..., Any]) -> None:
    sign_in_with_link(page, site, LEADER)
    visit(page, site.forum, "year")
    main = page.locator("main")
    # This month's theme and participation at group level; no person's name in the statistics.
    assert main.get_by_role("heading", level=1).count() == 1
    visit(page, f"{site.forum}/stats", "stats")
    assert "Kim Lind" not in page.locator("main").inner_text()
    visit(page, f"{site.forum}/stats?lang=en", "stats-en")


def test_calendar_feed_parses_into_twelve_themes(
    new_page: Callable[..., Any],
    browser: Any,
    site: Site,
    visit: Callable[..., Any],
    console: Console,
) -> None:
    page = new_page()
    sign_in_with_link(page, site, LEADER)
    visit(page, site.forum, "year")
    page.locator(f'a[href="{site.forum}/calendar"]').first.click()
    page.wait_for_url(re.compile(re.escape(site.path(f"{site.forum}/calendar"))))
    visit.seen(page, "calendar")  # type: ignore[attr-defined]
    feed = page.evaluate(
        """() => [...document.querySelectorAll('a[href], input[value], code')]
             .map((el) => el.href || el.value || el.textContent)
             .find((url) => /\\/calendar\\/[^/]+\\.ics/.test(url || ''))"""
    )
    assert feed, "the calendar page shows no feed URL"
    feed = re.sub("^webcals?://", "http://", feed.strip())
    # The feed is public: a calendar app fetches it without anyone's session.
    stranger = browser.new_context()
    try:
        response = stranger.request.get(feed)
        assert response.ok, response.status
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.body())
    finally:
        stranger.close()
    events = calendar.walk("VEVENT")
    assert len(events) == 12, [str(e.get("SUMMARY")) for e in events]
    months = {e.decoded("DTSTART").month for e in events}
    assert months == set(range(1, 13))
    cycle = load_cycle(site.cycle_file.read_text(encoding="utf-8"), site.cycle_file.name)
    titles = {theme.title.sv for theme in cycle.themes.values()} | {
        theme.title.en for theme in cycle.themes.values()
    }
    from tests.browser.test_organiser import EDITED_TITLE

    summaries = [str(e.get("SUMMARY")) for e in events]
    assert all(any(t in s for t in (*titles, EDITED_TITLE)) for s in summaries), summaries


def test_organiser_sees_and_renews_the_feed(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    sign_in_with_link(page, site, ORGANISER)
    visit(page, f"{site.forum}/calendar", "calendar-organiser")
    feed = page.get_by_label(re.compile(r"^(Kalenderns adress|The calendar's address)$"))
    before = feed.input_value()
    page.get_by_role("button", name=re.compile("Förnya|Renew")).click()
    page.wait_for_load_state("load")
    visit.seen(page, "renewed")  # type: ignore[attr-defined]
    after = feed.input_value()
    old = re.search(r"/calendar/([^/\s]+)\.ics", before)
    new = re.search(r"/calendar/([^/\s]+)\.ics", after)
    assert old and new and old.group(1) != new.group(1), (before, after)
    revoked = page.request.get(site.path(f"/calendar/{old.group(1)}.ics"))
    assert revoked.status == 404
    assert page.request.get(site.path(f"/calendar/{new.group(1)}.ics")).ok
