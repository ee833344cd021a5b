"""The year in review on the web: every member of the forum may read it, in Swedish and English,
anonymous examples without a name and people's text escaped; the Markdown download."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from bot.core import Core
from bot.domain import Platform, Source
from bot.services import contributions, forums
from bot.services.contributions import NewContribution
from tests.site.conftest import client, sign_in, site_core  # noqa: F401

TEAM, CHANNEL = "T1", "C1"


def _forum_with_examples(core: Core) -> int:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, TEAM, CHANNEL, language="sv", timezone="Europe/Stockholm"
        )
        for number, (author, text, anonymous) in enumerate(
            [
                ("U1", "Vi börjar varje möte med en check-in", False),
                ("U2", "Hemlig Person skrev <script>alert(1)</script>", True),
            ]
        ):
            at = datetime(2026, 1, 12 + number, 10, tzinfo=UTC)
            contributions.record(
                session,
                forum,
                NewContribution(
                    author,
                    "Hemlig Person" if anonymous else "Kim Lind",
                    text,
                    Source.THREAD_REPLY,
                    CHANNEL,
                    f"m{number}",
                    at,
                    anonymous=anonymous,
                ),
                now=at,
            )
    return forum.id


def test_a_member_reads_the_review_in_swedish_and_english(
    client: TestClient,  # noqa: F811
    site_core: Core,  # noqa: F811
) -> None:
    forum_id = _forum_with_examples(site_core)
    assert client.get(f"/forums/{forum_id}/review/2026").status_code == 303  # sign in first
    sign_in(client, site_core, Platform.SLACK, TEAM, "U7")  # a member, not an organiser
    sv = client.get(f"/forums/{forum_id}/review/2026")
    assert sv.status_code == 200, sv.text
    assert "Året som gått 2026" in sv.text and "Årets teman" in sv.text
    assert "Kim Lind" in sv.text and "Vi börjar varje möte" in sv.text
    assert "Hemlig Person" not in sv.text.replace("Hemlig Person skrev", "")  # no byline
    assert "anonym" in sv.text
    assert "<script>alert(1)</script>" not in sv.text and "&lt;script&gt;" in sv.text
    en = client.get(f"/forums/{forum_id}/review/2026?lang=en")
    assert en.status_code == 200
    assert "The year in review 2026" in en.text and "anonymous" in en.text
    year = client.get(f"/forums/{forum_id}?year=2026")
    assert f"/forums/{forum_id}/review/2026" in year.text  # linked from the year page
    markdown = client.get(f"/forums/{forum_id}/review/2026.md")
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "Hemlig Person" not in markdown.text.replace("Hemlig Person skrev", "")
    assert "\\<script\\>" in markdown.text
    assert client.get(f"/forums/{forum_id}/review/99999").status_code == 404


def test_another_workspace_cannot_read_it(
    client: TestClient,  # noqa: F811
    site_core: Core,  # noqa: F811
) -> None:
    forum_id = _forum_with_examples(site_core)
    sign_in(client, site_core, Platform.SLACK, "T-other", "U8")
    assert client.get(f"/forums/{forum_id}/review/2026").status_code == 404
    assert client.get(f"/forums/{forum_id}/review/2026.md").status_code == 404
