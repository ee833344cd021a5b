"""Signing in from a browser: with Slack, with Microsoft, and with a one-time login link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import (
    LEADER,
    ORGANISER,
    PEOPLE,
    TEAM,
    Console,
    Site,
    sign_in_with_link,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SLACK = re.compile("Slack")
MICROSOFT = re.compile("Microsoft")


def _button_or_link(page: Any, name: re.Pattern[str]) -> Any:
    return page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name)).first


def _signed_in_as(page: Any, site: Site, *names: str) -> None:
    page.wait_for_url(re.compile(re.escape(site.url) + r"/forums(/|$)"))
    header = page.locator("header").inner_text()
    assert any(name in header for name in names), header


def test_signed_out_reader_is_sent_to_sign_in(
    page: Any, site: Site, visit: Callable[..., Any]
) -> None:
    page.goto(site.path(site.forum))
    assert page.url.startswith(site.path("/signin")), page.url
    visit.seen(page, "signin")  # type: ignore[attr-defined]
    # Nothing of the forum reaches a reader who is not signed in.
    body = page.content()
    assert "medarbetarsamtal" not in body
    assert PEOPLE[LEADER] not in body


def test_sign_in_with_slack(page: Any, site: Site, visit: Callable[..., Any]) -> None:
    # Who approves on the fake Slack's authorize page, which sends the browser straight back.
    site.slack.signin_as(ORGANISER, TEAM, PEOPLE[ORGANISER])
    visit(page, f"/signin?next={site.forum}", "signin")
    authorize = site.slack.url.removesuffix("api/") + "openid/connect/authorize"
    with page.expect_request(re.compile(re.escape(authorize))):
        _button_or_link(page, SLACK).click()
    _signed_in_as(page, site, PEOPLE[ORGANISER])
    assert page.url == site.path(site.forum)
    visit.seen(page, "year")  # type: ignore[attr-defined]


def test_sign_in_with_microsoft(
    page: Any, site: Site, visit: Callable[..., Any], console: Console
) -> None:
    # A Teams leader of the tenant; no Teams forum exists, so they see no forum (and no Slack one).
    site.entra.signin_as("aad-object-kim", "Kim Teams")
    visit(page, "/signin", "signin")
    with page.expect_request(
        re.compile(re.escape(site.entra.authority) + "/oauth2/v2.0/authorize")
    ):
        _button_or_link(page, MICROSOFT).click()
    page.wait_for_url(re.compile(re.escape(site.url) + r"/forums"))
    assert "Kim Teams" in page.locator("header").inner_text()
    visit.seen(page, "forums")  # type: ignore[attr-defined]
    assert "medarbetarsamtal" not in page.content()
    response = page.goto(site.path(site.forum))
    assert response is not None and response.status == 404  # another platform's forum
    console.expect("status of 404")


def test_sign_in_with_a_login_link_once(
    new_page: Callable[..., Any], site: Site, visit: Callable[..., Any], console: Console
) -> None:
    page = new_page()
    link = site.login_link(LEADER)
    # Opening the link (as a chat's link preview does) shows a button and does not use it up.
    visit(page, link, "link")
    visit(page, link, "link")
    page.get_by_role("button", name=re.compile(".")).last.click()
    # A login link knows the user id; the header names them by it until chat tells their name.
    _signed_in_as(page, site, PEOPLE[LEADER], LEADER)
    visit.seen(page, "year")  # type: ignore[attr-defined]

    # Used once: another browser cannot sign in with it.
    other = new_page()
    other.goto(link)
    buttons = other.get_by_role("button")
    if buttons.count():
        buttons.last.click()
        other.wait_for_load_state("load")
    assert PEOPLE[LEADER] not in other.content()
    other.goto(site.path(site.forum))
    assert other.url.startswith(site.path("/signin"))
    console.expect(r"status of 4\d\d")


def test_sign_out(page: Any, site: Site) -> None:
    sign_in_with_link(page, site, LEADER)
    page.get_by_role("button", name=re.compile("Logga ut|Sign out")).click()
    page.wait_for_load_state("load")
    page.goto(site.path(site.forum))
    assert page.url.startswith(site.path("/signin"))


def test_pages_have_an_icon(page: Any, site: Site) -> None:
    """Chromium asks for an icon on every page: a missing one is a console error everywhere."""
    page.goto(site.path("/signin"))
    declared = page.evaluate(
        "() => [...document.querySelectorAll('link[rel~=icon]')].map((l) => l.href)"
    )
    icon = declared[0] if declared else site.path("/favicon.ico")
    if icon.startswith("data:"):
        return
    response = page.request.get(icon)
    assert response.ok, f"{icon}: {response.status} (declare an icon in base.html or serve one)"
