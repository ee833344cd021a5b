"""The library downloads and the stats page keep trends apart from good examples, as the
library page does: every row says its kind, a trend carries its link and title."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from starlette.testclient import TestClient

from bot.core import Core
from bot.storage.models import Contribution
from tests.site import test_pages
from tests.site.test_pages import Seeded, _as

seeded = test_pages.seeded  # the forums and examples of the pages' tests, as a fixture here

URL = "https://rapport.example.se/omvarld"


def _share_trend(core: Core, seeded: Seeded) -> None:
    with core.db.transaction() as session:
        session.add(
            Contribution(
                forum_id=seeded.forum.id,
                platform="slack",
                workspace_id="T1",
                period="2026-11",
                author_id="UTREND",
                author_name="Tove Trend",
                text="Värd att läsa före mötet",
                source="trend_command",
                channel_id=seeded.forum.channel_id,
                source_message_id="trend-1",
                created_at=datetime(2026, 11, 20, tzinfo=UTC),
                kind="trend",
                url=URL,
                url_title="Omvärldsrapport 2026",
            )
        )


def test_the_downloads_say_which_rows_are_trends(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _share_trend(core, seeded)
    _as(client, core, "ULEIF")
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/forums/{seeded.forum.id}/library.csv").text))
    )
    assert len(rows) == 6  # the five examples of tests/site/test_pages.py and the trend
    [trend] = [row for row in rows if row["kind"] == "trend"]
    assert (trend["url"], trend["url_title"], trend["text"]) == (
        URL,
        "Omvärldsrapport 2026",
        "Värd att läsa före mötet",
    )
    assert sum(row["kind"] == "practice" for row in rows) == 5
    items = json.loads(client.get(f"/forums/{seeded.forum.id}/library.json").text)
    assert [item["url_title"] for item in items if item["kind"] == "trend"] == [
        "Omvärldsrapport 2026"
    ]
    # The library page lists the same trend in its own section.
    page = client.get(f"/forums/{seeded.forum.id}/library?lang=sv").text
    assert "Omvärldsrapport 2026" in page[page.index('id="trends-section"') :]


def test_the_stats_page_counts_the_trend_apart(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _share_trend(core, seeded)
    _as(client, core, "ULEIF")
    page = client.get(f"/forums/{seeded.forum.id}/stats?year=2026&lang=en").text
    assert "4 good practices." in page  # the four 2026 examples, not the trend
    assert "Trends shared in 2026: 1 trend from 1 person (2025: none)" in page
