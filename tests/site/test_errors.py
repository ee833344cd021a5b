"""Refusals are pages a person can read, in their language; machines still get plain text."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from bot.core import Core
from bot.domain import Platform, Source
from bot.services import contributions, forums
from bot.services.contributions import NewContribution
from bot.timing import Period
from tests.site.conftest import sign_in


def _forum(core: Core) -> int:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
        )
    return forum.id


def test_a_forum_of_another_workspace_is_a_translated_404_page(
    client: TestClient, site_core: Core
) -> None:
    forum_id = _forum(site_core)
    sign_in(client, site_core, Platform.SLACK, "T2", "U9")
    for lang, title in (("sv", "Sidan finns inte"), ("en", "This page does not exist")):
        page = client.get(f"/forums/{forum_id}?lang={lang}")
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert f'<html lang="{lang}">' in page.text
        assert title in page.text
        assert page.headers["x-frame-options"] == "DENY"


def test_a_leader_on_an_organiser_page_gets_a_403_page(client: TestClient, site_core: Core) -> None:
    forum_id = _forum(site_core)
    sign_in(client, site_core, Platform.SLACK, "T1", "ULEADER")
    page = client.get(f"/forums/{forum_id}/cycle?lang=en")
    assert page.status_code == 403
    assert "You do not have permission" in page.text


def test_sign_in_redirects_keep_their_location(client: TestClient, site_core: Core) -> None:
    forum_id = _forum(site_core)
    answer = client.get(f"/forums/{forum_id}")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?next=")


def test_machines_get_plain_text(client: TestClient, site_core: Core) -> None:
    answer = client.get("/calendar/not-a-token.ics")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/plain")


def test_a_link_sign_in_shows_the_name_the_person_writes_under(
    client: TestClient, site_core: Core
) -> None:
    forum_id = _forum(site_core)
    with site_core.db.transaction() as session:
        forum = forums.get(session, forum_id)
        assert forum is not None
        contributions.record(
            session,
            forum,
            NewContribution(
                period=Period(2026, 11),
                author_id="U7",
                author_name="Sanna Exempel",
                text="Vi provade korta stående möten.",
                source=Source.THREAD_REPLY,
                channel_id="C1",
                source_message_id="1700000000.000100",
                created_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
            ),
            now=datetime(2026, 11, 20, 9, tzinfo=UTC),
        )
    sign_in(client, site_core, Platform.SLACK, "T1", "U7")
    assert "Sanna Exempel" in client.get(f"/forums/{forum_id}").text
