"""Trends counted apart from good examples: stats, admin stats, ``ledarforum export``.

The fixture year of :mod:`tests.test_stats` (8 good examples from 5 people in 2026, 5 from 4 in
2025) gets three trends (shared links) on top: they must change none of its figures and show up
as a trends figure of their own, and the exports must say which rows are trends.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import export, stats
from bot.storage.models import Contribution, LogbookEntry
from tests.test_stats import CHANNEL, TEAM, Counter, _admin_stats, _cli, _figures, _fixture_year

TREND_URL = "https://rapport.example.se/ledarskap-2026"


def _trend(core: Core, forum: ForumInfo, period: str, author: str, number: int) -> None:
    with core.db.transaction() as session:
        session.add(
            Contribution(
                forum_id=forum.id,
                platform="slack",
                workspace_id=TEAM,
                period=period,
                author_id=author,
                author_name="Trend Delare",
                text=f"Läs avsnitt {number}",
                source="trend_command",
                channel_id=forum.channel_id,
                source_message_id=f"trend{number}",
                created_at=datetime(int(period[:4]), int(period[5:]), 12, tzinfo=UTC),
                kind="trend",
                url=f"{TREND_URL}#{number}",
                url_title=f"Rapport om ledarskap {number}",
            )
        )


def _fixture_with_trends(core: Core) -> ForumInfo:
    """2026: two trends from two people (one also wrote examples); 2025: one trend."""
    forum = _fixture_year(core)
    _trend(core, forum, "2026-01", "UQX1AUTHOR", 1)
    _trend(core, forum, "2026-03", "UQX7TRENDS", 2)
    _trend(core, forum, "2025-11", "UQX7TRENDS", 3)
    return forum


def test_trends_count_apart_and_change_no_figure_of_the_examples(core: Core) -> None:
    forum = _fixture_with_trends(core)
    with core.db.transaction() as session:
        p = stats.participation(session, forum, year=2026, members=10)
        overview = stats.forum_stats(session, forum.id)
    # Exactly the figures of tests/test_stats.py's fixture, without the trends.
    assert p.total == _figures(8, 5, 10) and p.last_total == _figures(5, 4, 10)
    assert p.month(1).now == _figures(3, 2, 10) and p.month(3).now == _figures(3, 3, 10)
    assert p.trends == _figures(2, 2, 10) and p.last_trends == _figures(1, 1, 10)
    assert overview.total == 8 + 5 + 1  # every good example stored (2024's too), no trend
    assert overview.trends == 3


def test_the_stats_outputs_give_the_trends_figure(core: Core) -> None:
    forum = _fixture_with_trends(core)
    core.posters[Platform.SLACK] = Counter(members=10)
    code, text, _ = _cli(core, "stats", "--forum", CHANNEL, "--year", "2026")
    assert code == 0
    assert "Hela 2026: 8 goda exempel från 5 personer, 50 %" in text
    assert "Trender delade 2026: 2 trender från 2 personer (2025: 1 trend från 1 person)" in text

    code, table, _ = _cli(core, "stats", "--forum", str(forum.id), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table)))
    [year] = [r for r in rows if r["scope"] == "year"]
    [shared] = [r for r in rows if r["scope"] == "trends"]
    assert (year["contributions"], year["contributors"]) == ("8", "5")
    assert (shared["contributions"], shared["contributors"], shared["share"]) == (
        "2",
        "2",
        "0.2000",
    )
    assert shared["last_year_contributions"] == "1"

    code, data, _ = _cli(core, "stats", "--forum", CHANNEL, "--format", "json", "--year", "2026")
    [report] = json.loads(data)
    assert report["total"]["contributions"] == 8
    assert report["trends"]["now"] == {"contributions": 2, "contributors": 2, "share": 0.2}
    assert report["trends"]["last_year"]["contributions"] == 1


def test_admin_stats_names_the_trends_apart(core: Core) -> None:
    _fixture_with_trends(core)
    core.posters[Platform.SLACK] = Counter(members=10)
    answer = _admin_stats(core, "en")
    assert "Trends shared in 2026: 2 trends from 2 people (2025: 1 trend from 1 person)" in answer


def test_export_marks_trends_with_their_link_and_never_holds_a_logbook(core: Core) -> None:
    forum = _fixture_with_trends(core)
    with core.db.transaction() as session:
        session.add(
            LogbookEntry(
                platform="slack",
                workspace_id=TEAM,
                user_id="UQX1AUTHOR",
                forum_id=forum.id,
                period="2026-01",
                text="PRIVAT LOGGBOK",
                source_id="log-1",
                created_at=datetime(2026, 1, 20, tzinfo=UTC),
            )
        )
    with core.db.transaction() as session:
        items = export.rows(session, [forum.id])
    kinds = [item["kind"] for item in items]
    assert kinds.count("trend") == 3 and kinds.count("practice") == 14
    first = next(item for item in items if item["url"] == f"{TREND_URL}#1")
    assert (first["kind"], first["url_title"], first["text"]) == (
        "trend",
        "Rapport om ledarskap 1",
        "Läs avsnitt 1",
    )
    assert all(item["url"] == "" for item in items if item["kind"] == "practice")
    table = list(csv.DictReader(io.StringIO(export.as_csv(items))))
    assert sum(row["kind"] == "trend" for row in table) == 3
    document = export.as_markdown(items, "en")
    practices, _, shared = document.partition("## Trends shared")
    assert "Rapport om ledarskap" not in practices and "Läs avsnitt" not in practices
    assert f"[Rapport om ledarskap 2](<{TREND_URL}#2>)" in shared
    assert "Vi provade något nytt" not in shared
    everything = export.as_json(items) + export.as_csv(items) + document
    assert "PRIVAT LOGGBOK" not in everything
