"""The library of good practices: search, filters and the downloads, from a browser."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ANONYMOUS, LEADER, PEOPLE, SPRING, YEAR, Site, sign_in_with_link

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_search_finds_last_springs_medarbetarsamtal(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    sign_in_with_link(page, site, LEADER)
    visit(page, f"{site.forum}/library", "library")
    search = page.get_by_role("searchbox").or_(page.get_by_label(re.compile("Sök|Search"))).first
    search.fill("medarbetarsamtal")
    search.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=medarbetarsamtal"))
    visit.seen(page, "search")  # type: ignore[attr-defined]
    shown = page.locator("main").inner_text()
    # Every spring example is found, "medarbetarsamtalen" (an inflection) too...
    for _, _, text in SPRING:
        assert text in shown, text
    # ...with its author's name, and nothing that is not about medarbetarsamtal.
    assert PEOPLE["U3"] in shown
    for _, _, text in YEAR:
        assert text not in shown, text


def test_library_shows_every_example_and_anonymous(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    sign_in_with_link(page, site, LEADER)
    visit(page, f"{site.forum}/library?year=2026", "library-2026")
    shown = page.locator("main").inner_text()
    assert ANONYMOUS[2] in shown
    # The anonymous example's author (Alex Berg) shares others under their name: find the
    # anonymous one's entry and check that it does not name them.
    entry = page.locator("main li, main article, main tr").filter(has_text=ANONYMOUS[2]).last
    assert PEOPLE[ANONYMOUS[1]] not in entry.inner_text()
    assert re.search("anonym", entry.inner_text(), re.IGNORECASE)
    visit(page, f"{site.forum}/library?lang=en", "library-en")


def _download(page: Any, site: Site, suffix: str) -> tuple[str, str]:
    """Follow the page's own link ending in *suffix* (with the reader's session)."""
    link = page.locator(f'main a[href*="{suffix}"]').first
    href = link.get_attribute("href")
    assert href, suffix
    response = page.request.get(site.path(href) if href.startswith("/") else href)
    assert response.ok, (href, response.status)
    return response.headers.get("content-type", ""), response.text()


def test_downloads_contain_the_spring_example(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    sign_in_with_link(page, site, LEADER)
    visit(page, f"{site.forum}/library", "downloads")
    example = SPRING[1][2]

    kind, body = _download(page, site, "library.csv")
    assert kind.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert any(example in " ".join(row.values()) for row in rows), body[:500]

    kind, body = _download(page, site, "library.json")
    assert kind.startswith("application/json")
    assert example in json.dumps(json.loads(body), ensure_ascii=False)

    kind, book = _download(page, site, "/book/2026.md")
    assert kind.startswith("text/markdown")
    assert example in book
    assert book.lstrip().startswith("#")

    # The print-ready book: a page like the others.
    visit(page, f"{site.forum}/book/2026", "book")
    assert example in page.locator("main").inner_text()
