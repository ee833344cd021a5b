"""The cycle editor: an organiser previews and saves a month; nobody else gets in; CSRF holds."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import LEADER, ORGANISER, Console, Site, sign_in_with_link

pytestmark = [pytest.mark.slow, pytest.mark.browser]

EDITED_TITLE = "Vinterns ledarsamtal om arbetsglädje"


def next_month() -> tuple[int, int]:
    """The month after this one in the forum's time zone (the server runs on the real clock)."""
    today = datetime.now(ZoneInfo("Europe/Stockholm"))
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _title_sv(page: Any) -> Any:
    """The Swedish title: the "Rubrik" field of the form's Swedish group."""
    swedish = page.get_by_role("group", name=re.compile("svenska|Swedish"))
    return swedish.get_by_label(re.compile("^(Rubrik|Title)"))


def _csrf(page: Any) -> str:
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    return str(token)


def _month_url(site: Site) -> str:
    year, month = next_month()
    return f"{site.forum}/cycle/{year}/{month}"


def test_organiser_previews_then_saves_next_month(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    year, _ = next_month()
    sign_in_with_link(page, site, ORGANISER)
    visit(page, site.forum, "year")
    page.locator(f'main a[href^="{site.forum}/cycle"]').first.click()
    page.wait_for_load_state("load")
    visit.seen(page, "cycle")  # type: ignore[attr-defined]
    if f"year={year}" not in page.url and str(year) not in page.locator("h1").inner_text():
        visit(page, f"{site.forum}/cycle?year={year}", "cycle-next-year")
    page.locator(f'main a[href="{_month_url(site)}"]').first.click()
    page.wait_for_url(site.path(_month_url(site)))
    visit.seen(page, "month")  # type: ignore[attr-defined]
    title = _title_sv(page)
    old_title = title.input_value()
    assert old_title and old_title != EDITED_TITLE
    title.fill(EDITED_TITLE)

    page.get_by_role("button", name=re.compile("Förhandsgranska|Preview")).click()
    page.wait_for_load_state("load")
    visit.seen(page, "preview")  # type: ignore[attr-defined]
    preview = page.locator(".preview, [data-preview], section").filter(has_text=EDITED_TITLE)
    assert preview.count() >= 1, "the preview does not show the new title"
    assert _title_sv(page).input_value() == EDITED_TITLE  # the form comes back as typed
    # Nothing is saved by a preview: a second look at the month shows the old title.
    other = page.context.new_page()
    other.goto(site.path(_month_url(site)))
    assert _title_sv(other).input_value() == old_title
    other.close()

    page.get_by_role("button", name=re.compile("^(Spara|Save)")).click()
    page.wait_for_load_state("load")
    visit.seen(page, "saved")  # type: ignore[attr-defined]
    assert page.url.startswith(site.path(site.forum))

    # The year shows it: the editor's year, the wheel drawn for that year and, when next month
    # is in this year, the year page (it shows this year only; in December next month is not).
    assert EDITED_TITLE in page.get_by_role("table").first.inner_text()
    wheel = page.request.get(site.path(f"{site.forum}/wheel.svg?lang=sv&year={year}"))
    assert "Vinterns" in wheel.text()
    visit(page, site.forum, "year-after")
    if year == datetime.now(ZoneInfo("Europe/Stockholm")).year:
        assert EDITED_TITLE in page.locator("main").inner_text()


def test_leader_cannot_reach_the_editor(
    page: Any, site: Site, visit: Callable[..., Any], console: Console
) -> None:
    year, _ = next_month()
    sign_in_with_link(page, site, LEADER)
    visit(page, site.forum, "year")
    assert page.locator(f'a[href*="{site.forum}/cycle"]').count() == 0
    token = _csrf(page)  # a valid token of the leader's own session

    refusals: dict[str, str] = {}
    for path in (f"{site.forum}/cycle", _month_url(site), f"{site.forum}/cycle/upload"):
        response = page.goto(site.path(path))
        assert response is not None and response.status == 403, path
        refusals[path] = page.evaluate("document.documentElement.lang")
    visit.seen(page, "forbidden")  # type: ignore[attr-defined]
    form = {
        "csrf_token": token,
        "action": "save",
        "title_sv": "Inte din titel",
        "title_en": "Not your title",
    }
    for path in (
        _month_url(site),
        f"{site.forum}/cycle/{year}/copy",
        f"{site.forum}/cycle/apply",
        f"{site.forum}/calendar/renew",
    ):
        response = page.request.post(
            site.path(path), form=form, headers={"Origin": site.url}, max_redirects=0
        )
        assert response.status == 403, (path, response.status)
    console.expect("status of 403")
    # Nothing changed: the organiser's editor still shows a title that is not the leader's.
    editor = page.context.browser.new_context()
    try:
        organiser = editor.new_page()
        sign_in_with_link(organiser, site, ORGANISER)
        organiser.goto(site.path(_month_url(site)))
        assert _title_sv(organiser).input_value() != "Inte din titel"
    finally:
        editor.close()
    # The refusal is a page in the reader's language like any other (checked last: the access
    # rules above matter more than how the refusal looks).
    assert all(lang in {"sv", "en"} for lang in refusals.values()), refusals


def test_forged_csrf_token_is_refused(
    page: Any, site: Site, visit: Callable[..., Any], console: Console
) -> None:
    sign_in_with_link(page, site, ORGANISER)
    visit(page, _month_url(site), "month")
    before = _title_sv(page).input_value()
    _title_sv(page).fill("Förfalskad titel")
    # The browser submits the real form with a token that is not this session's.
    page.evaluate(
        """() => document.querySelectorAll('input[name=csrf_token]')
                  .forEach((el) => { el.value = 'forged-' + el.value.slice(7); })"""
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=re.compile("^(Spara|Save)")).click()
    assert answer.value.status == 403
    # And without any token at all.
    response = page.request.post(
        site.path(_month_url(site)),
        form={"action": "save", "title_sv": "Förfalskad titel"},
        headers={"Origin": site.url},
    )
    assert response.status == 403
    console.expect("status of 403")
    page.goto(site.path(_month_url(site)))
    assert _title_sv(page).input_value() == before


def test_organiser_uploads_a_cycle_file_and_sees_the_diff_first(
    page: Any, site: Site, visit: Callable[..., Any], tmp_path: Path, console: Console
) -> None:
    year, _ = next_month()
    old = "Verksamhetsplan och budget för nästa år lämnas till fakulteten i slutet av oktober."
    new = "Verksamhetsplan och budget lämnas till fakulteten den 20 oktober."
    text = site.cycle_file.read_text(encoding="utf-8")
    assert old in text
    good = tmp_path / "arscykel.yaml"
    good.write_text(text.replace(old, new), encoding="utf-8")
    bad = tmp_path / "trasig.yaml"
    bad.write_text(text.replace("  october:\n", "  oktobr:\n"), encoding="utf-8")
    sign_in_with_link(page, site, ORGANISER)

    # A broken file: its problems as FILE:LINE, and nothing to apply.
    visit(page, f"{site.forum}/cycle/upload", "upload")
    page.get_by_label(re.compile(r"^(Fil|File) \(")).set_input_files(str(bad))
    page.get_by_label(re.compile("^(Filen ersätter|The file replaces)")).select_option(str(year))
    page.get_by_role("button", name=re.compile("Granska|Check")).click()
    page.wait_for_load_state("load")
    visit.seen(page, "problems")  # type: ignore[attr-defined]
    assert re.search(r"trasig\.yaml:\d+", page.get_by_role("alert").inner_text())
    assert page.get_by_role("button", name=re.compile("Tillämpa|Apply")).count() == 0
    console.expect("status of 4(00|22)")  # the refusal of a bad file is an error status

    # A good one: the change is shown before anything is applied.
    page.get_by_label(re.compile(r"^(Fil|File) \(")).set_input_files(str(good))
    page.get_by_label(re.compile("^(Filen ersätter|The file replaces)")).select_option(str(year))
    page.get_by_role("button", name=re.compile("Granska|Check")).click()
    page.wait_for_load_state("load")
    visit.seen(page, "diff")  # type: ignore[attr-defined]
    diff = page.get_by_role("region").filter(has=page.locator("table")).inner_text()
    assert new in diff and old in diff
    before = page.request.get(site.path(f"{site.forum}/cycle?year={year}")).text()
    page.get_by_role("button", name=re.compile("Tillämpa|Apply")).click()
    page.wait_for_load_state("load")
    visit.seen(page, "applied")  # type: ignore[attr-defined]
    assert "20 oktober" not in before
    october = page.request.get(site.path(f"{site.forum}/cycle/{year}/10")).text()
    assert new in october
