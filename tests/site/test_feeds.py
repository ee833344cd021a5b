"""The calendar feed and the wheel pictures over HTTP: public by token, the rest signed in."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from icalendar import Calendar
from PIL import Image
from starlette.testclient import TestClient

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import audit, calendar_feed, forums
from tests.site.conftest import csrf_of, sign_in

_FEED = re.compile(r'id="feed-url"[^>]*value="http://testserver/calendar/([^"]+)\.ics"')


def _parse(svg: str) -> ET.Element:
    """Our own SVG, parsed to check it (no untrusted input, so no XML bombs to fear)."""
    return ET.fromstring(svg)  # noqa: S314


@pytest.fixture
def forum(site_core: Core) -> ForumInfo:
    with site_core.db.transaction() as session:
        made, _ = forums.ensure_forum(
            session,
            Platform.SLACK,
            "T1",
            "C1",
            language="sv",
            timezone="Europe/Stockholm",
            name="#ledare",
        )
    return made


def _token(core: Core, forum: ForumInfo) -> str:
    with core.db.transaction() as session:
        return calendar_feed.feed_token(session, forum.id, actor="test")


def test_the_feed_is_public_by_its_token(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    token = _token(site_core, forum)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "max-age" in response.headers["cache-control"]
    assert response.headers["referrer-policy"] == "no-referrer"
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    assert len(events) == 11
    again = client.get(
        f"/calendar/{token}.ics", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    with_digests = client.get(f"/calendar/{token}.ics?digests=1")
    assert len(list(Calendar.from_ical(with_digests.content).walk("VEVENT"))) > 60
    english = client.get(f"/calendar/{token}.ics?lang=en")
    assert b"Staff appraisals" in english.content or b"Gender equality" in english.content


def test_unknown_and_revoked_tokens_are_404(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    token = _token(site_core, forum)
    assert client.get("/calendar/nope.ics").status_code == 404
    near = token[:-1] + ("B" if token.endswith("A") else "A")  # one character off
    assert client.get(f"/calendar/{near}.ics").status_code == 404
    with site_core.db.transaction() as session:
        calendar_feed.renew(session, forum.id, actor="test")
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/wheel/{token}.png").status_code == 404


def test_the_public_wheel_png_by_token(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    response = client.get(f"/wheel/{_token(site_core, forum)}.png?lang=en")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (1200, 1200)


def test_the_wheel_needs_sign_in_and_a_forum_the_reader_may_see(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    signed_out = client.get(f"/forums/{forum.id}/wheel.svg")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin")
    assert client.get(f"/forums/{forum.id}/wheel.png").status_code == 303
    assert client.get(f"/forums/{forum.id}/calendar").status_code == 303
    sign_in(client, site_core, Platform.SLACK, "T2", "USTRANGER")
    assert client.get(f"/forums/{forum.id}/wheel.svg").status_code == 404


def test_a_leader_sees_the_wheel_and_the_calendar_page_without_renew(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", "ULEADER")
    svg = client.get(f"/forums/{forum.id}/wheel.svg?lang=en&year=2027")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = _parse(svg.text)
    assert "2027" in svg.text and root.get("lang") == "en"
    sectors = [
        p for p in root.iter("{http://www.w3.org/2000/svg}path") if "sector" in p.get("class", "")
    ]
    assert len(sectors) == 12
    assert client.get(f"/forums/{forum.id}/wheel.svg?year=abc").status_code == 400
    assert client.get(f"/forums/{forum.id}/wheel.svg?year=1800").status_code == 400
    png = client.get(f"/forums/{forum.id}/wheel.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    page = client.get(f"/forums/{forum.id}/calendar?lang=sv")
    assert page.status_code == 200
    assert "Prenumerera" in page.text and "Google" in page.text
    assert "/calendar/renew" not in page.text
    found = _FEED.search(page.text)
    assert found is not None
    assert client.get(f"/calendar/{found.group(1)}.ics").status_code == 200
    # A leader may not renew, even with a valid CSRF token (the sign-out form's).
    refused = client.post(
        f"/forums/{forum.id}/calendar/renew", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    assert client.get(f"/calendar/{found.group(1)}.ics").status_code == 200


def test_an_organiser_renews_with_csrf_and_the_old_url_stops(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", "UORG")
    page = client.get(f"/forums/{forum.id}/calendar?lang=en")
    assert "Renew the address" in page.text and "How to subscribe" in page.text
    found = _FEED.search(page.text)
    assert found is not None
    old = found.group(1)
    forged = client.post(f"/forums/{forum.id}/calendar/renew", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    done = client.post(
        f"/forums/{forum.id}/calendar/renew", data={"csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/forums/{forum.id}/calendar?renewed=1"
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    after = client.get(done.headers["location"])
    new = _FEED.search(after.text)
    assert new is not None and new.group(1) != old
    assert client.get(f"/calendar/{new.group(1)}.ics").status_code == 200
    with site_core.db.transaction() as session:
        actions = [entry.action for entry in audit.recent(session, forum_id=forum.id)]
    assert "calendar_feed.renew" in actions
