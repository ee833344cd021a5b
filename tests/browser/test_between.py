"""Between the meetings, from a browser: the year in review and an organiser's cohorts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import CHANNEL, LEADER, ORGANISER, PEOPLE, Site, sign_in_with_link

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_year_in_review_reads_in_both_languages(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    sign_in_with_link(page, site, LEADER)
    visit(page, f"{site.forum}/review/2026", "review-sv")
    shown = page.locator("main").inner_text()
    assert "2026" in shown
    visit(page, f"{site.forum}/review/2026?lang=en", "review-en")
    assert page.locator("html").get_attribute("lang") == "en"


def test_an_organiser_sees_the_cohort_and_a_leader_sees_none(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    site.cli(
        "forum",
        "set",
        "--forum",
        CHANNEL,
        "cohort_name=Ledarprogrammet 2025",
        "cohort_start=2025-08-01",
        "cohort_end=2026-06-30",
    )
    sign_in_with_link(page, site, ORGANISER)
    visit(page, "/cohorts", "cohorts-organiser")
    shown = page.locator("main").inner_text()
    assert "Ledarprogrammet 2025" in shown
    assert not any(name in shown for name in PEOPLE.values() if name != PEOPLE[ORGANISER])
    page.context.clear_cookies()
    sign_in_with_link(page, site, LEADER)
    visit(page, "/cohorts", "cohorts-leader")
    assert "Ledarprogrammet 2025" not in page.locator("main").inner_text()
