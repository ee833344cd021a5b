"""Participation with trends: per month and per theme, last year beside it, the share of the
channel's members, never a name; the member count asked at most once a day; the command line."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO, cast

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.config import Settings
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import CycleDocument, ForumInfo, Platform
from bot.messages import plain_text
from bot.services import cycles, forums, stats
from bot.storage.models import Contribution, Forum
from tests.support import FakeClock, RecordingPoster

TEAM, CHANNEL = "T1", "C1"
# Who wrote what: ids and names that must never appear in any output.
PEOPLE = {
    "UQX1AUTHOR": "Vendela Provsdotter",
    "UQX2AUTHOR": "Hjalmar Testqvist",
    "UQX3AUTHOR": "Ingrid Exempelberg",
    "UQX4AUTHOR": "Otto Påhittad",
    "UQX5AUTHOR": "Siri Fiktiv",
    "UQX6AUTHOR": "Bengt Uppdiktad",
    "UQX8AUTHOR": "Maja Låtsas",
    "UQX9AUTHOR": "Nils Skenbar",
}
INJECTED = '=HYPERLINK("http://evil.test")'


@dataclass
class Counter(RecordingPoster):
    """A poster that also counts the channel's members (or fails to)."""

    members: int | None = 10
    fail: bool = False
    asked: list[int] = field(default_factory=list)

    def member_count(self, forum: ForumInfo) -> int | None:
        self.asked.append(forum.id)
        if self.fail:
            raise ConnectionError("the platform is down")
        return self.members


def _forum(core: Core, channel: str = CHANNEL) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, TEAM, channel, language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _cycle(core: Core, forum: ForumInfo) -> CycleDocument:
    with core.db.transaction() as session:
        return cycles.for_forum(session, forum, 2026)


_serial = iter(range(1, 10_000))


def _add(
    core: Core,
    forum: ForumInfo,
    period: str,
    author: str,
    *,
    key: str | None,
    sv: str | None,
    en: str | None,
    times: int = 1,
) -> None:
    with core.db.transaction() as session:
        for _ in range(times):
            number = next(_serial)
            session.add(
                Contribution(
                    forum_id=forum.id,
                    platform="slack",
                    workspace_id=TEAM,
                    period=period,
                    theme_title_sv=sv,
                    theme_title_en=en,
                    theme_key=key,
                    author_id=author,
                    author_name=PEOPLE.get(author, "Someone Else"),
                    text=f"Vi provade något nytt, nummer {number}.",
                    source="thread",
                    channel_id=forum.channel_id,
                    source_message_id=f"m{number}",
                    created_at=datetime(int(period[:4]), int(period[5:]), 10, tzinfo=UTC),
                )
            )


def _fixture_year(core: Core) -> ForumInfo:
    """2026 and 2025 with known numbers (see each line), plus rows that must not count."""
    forum = _forum(core)
    doc = _cycle(core, forum)

    def theme(month: int) -> dict[str, str | None]:
        content = doc.theme_for(month)
        assert content is not None
        return {"key": content.key, "sv": content.title.sv, "en": content.title.en}

    jan, mar, nov = theme(1), theme(3), theme(11)
    # 2026 — January: 3 examples from 2 people; March: 3 from 3; May: 1 from 1 under a theme
    # no longer in the cycle; November: 1 from 1. The year: 8 from 5 people.
    _add(core, forum, "2026-01", "UQX1AUTHOR", **jan, times=2)
    _add(core, forum, "2026-01", "UQX2AUTHOR", **jan)
    _add(core, forum, "2026-03", "UQX1AUTHOR", **mar)
    _add(core, forum, "2026-03", "UQX3AUTHOR", **mar)
    _add(core, forum, "2026-03", "UQX4AUTHOR", **mar)
    _add(core, forum, "2026-05", "UQX8AUTHOR", key="gammalt", sv=INJECTED, en="Old theme")
    _add(core, forum, "2026-11", "UQX2AUTHOR", **nov)
    # 2025 — January 1 from 1; March 1 from 1, recorded before themes had keys (known by the
    # Swedish title's slug); November 3 from 2. The year: 5 from 4 people.
    _add(core, forum, "2025-01", "UQX1AUTHOR", **jan)
    _add(core, forum, "2025-03", "UQX9AUTHOR", key=None, sv=mar["sv"], en=mar["en"])
    _add(core, forum, "2025-11", "UQX5AUTHOR", **nov, times=2)
    _add(core, forum, "2025-11", "UQX6AUTHOR", **nov)
    # Neither counts: 2024 is outside the comparison, the other forum is another group.
    _add(core, forum, "2024-11", "UQX5AUTHOR", **nov)
    _add(core, _forum(core, "C2"), "2026-01", "UQX6AUTHOR", **jan, times=4)
    return forum


def _figures(contributions: int, contributors: int, members: int | None) -> stats.Figures:
    return stats.Figures(contributions, contributors, contributors / members if members else None)


@pytest.mark.parametrize("members", [10, None])
def test_each_month_and_theme_beside_last_year_with_exact_figures(
    core: Core, members: int | None
) -> None:
    forum = _fixture_year(core)
    doc = _cycle(core, forum)
    with core.db.transaction() as session:
        found = stats.participation(session, forum, year=2026, members=members)

    def f(contributions: int, contributors: int) -> stats.Figures:
        return _figures(contributions, contributors, members)

    assert found.year == 2026 and found.members == members and len(found.months) == 12
    expected_now = {1: f(3, 2), 3: f(3, 3), 5: f(1, 1), 11: f(1, 1)}
    expected_last = {1: f(1, 1), 3: f(1, 1), 11: f(3, 2)}
    for row in found.months:
        assert row.now == expected_now.get(row.month, f(0, 0)), row.month
        assert row.last_year == expected_last.get(row.month, f(0, 0)), row.month
    assert found.total == f(8, 5) and found.last_total == f(5, 4)

    # Every theme of the cycle in month order, then the one no longer in it.
    keys = [row.key for row in found.themes]
    cycle_keys = [t.key for m in range(1, 13) if (t := doc.theme_for(m)) is not None]
    assert keys == [*cycle_keys, "gammalt"]
    by_key = {row.key: row for row in found.themes}
    january, march, november = (doc.theme_for(m) for m in (1, 3, 11))
    assert january is not None and march is not None and november is not None
    assert (by_key[january.key].now, by_key[january.key].last_year) == (f(3, 2), f(1, 1))
    # Last year's March examples had no key: their title's slug finds this year's theme.
    assert (by_key[march.key].now, by_key[march.key].last_year) == (f(3, 3), f(1, 1))
    assert (by_key[november.key].now, by_key[november.key].last_year) == (f(1, 1), f(3, 2))
    assert by_key[march.key].month == 3 and by_key[march.key].title == march.title
    old = by_key["gammalt"]
    assert old.month is None and old.now == f(1, 1) and old.last_year == f(0, 0)
    assert old.title is not None and old.title.en == "Old theme"
    if members:
        assert found.month(3).now.share == pytest.approx(0.3)
        assert found.total.share == pytest.approx(0.5)


def test_a_theme_that_follows_an_earlier_one_is_compared_with_it(core: Core) -> None:
    forum = _forum(core)
    doc = _cycle(core, forum)
    march = doc.theme_for(3)
    assert march is not None
    renamed = CycleDocument(
        doc.name,
        {
            **doc.themes,
            3: type(march)(
                3,
                march.title,
                march.why_now,
                march.questions,
                explicit_key="nytt-mars",
                follows=(march.key,),
            ),
        },
    )
    with core.db.transaction() as session:
        cycles.replace(session, cycles.forum_key(forum.id), renamed, actor="test")
    _add(core, forum, "2025-03", "UQX1AUTHOR", key=march.key, sv="Gammal", en="Old", times=2)
    _add(core, forum, "2026-03", "UQX2AUTHOR", key="nytt-mars", sv="Ny", en="New")
    with core.db.transaction() as session:
        found = stats.participation(session, forum, year=2026, members=None)
    row = next(r for r in found.themes if r.key == "nytt-mars")
    assert row.now == _figures(1, 1, None) and row.last_year == _figures(2, 1, None)


def test_an_empty_forum_has_twelve_empty_months_and_no_share(core: Core) -> None:
    forum = _forum(core)
    with core.db.transaction() as session:
        found = stats.participation(session, forum, year=2026, members=0)
    assert found.members is None  # an empty channel is no base for a share
    assert all(row.now == _figures(0, 0, None) for row in found.months)
    assert found.total == found.last_total == _figures(0, 0, None)


def _outputs(found: stats.Participation) -> dict[str, str]:
    return {
        "text_sv": stats.as_text(found, "sv"),
        "text_en": stats.as_text(found, "en"),
        "csv": stats.as_csv([found]),
        "json": stats.as_json([found]),
    }


def _assert_anonymous(text: str) -> None:
    for user, name in PEOPLE.items():
        assert user not in text and name not in text, (user, name)
    assert "Someone Else" not in text


def _admin_stats(core: Core, lang: str = "sv") -> str:
    actor = Actor(Platform.SLACK, TEAM, "UORG", "Org", "sv-SE" if lang == "sv" else "en-GB")
    reply = core.dialogue.handle_text(
        actor, CHANNEL, "admin statistik" if lang == "sv" else "admin stats"
    )
    return "\n".join(plain_text(m) for m in reply.private + reply.public)


def test_no_name_or_id_of_a_person_in_any_output(core: Core) -> None:
    forum = _fixture_year(core)
    with core.db.transaction() as session:
        found = stats.participation(session, forum, year=2026, members=12)
    for name, text in _outputs(found).items():
        assert "8" in text, name  # the year's count is there
        _assert_anonymous(text)
    for lang in ("sv", "en"):
        _assert_anonymous(_admin_stats(core, lang))


def test_admin_stats_shows_this_month_against_last_year_and_the_share(core: Core) -> None:
    _fixture_year(core)
    counter = Counter(members=4)
    core.posters[Platform.SLACK] = counter
    swedish = _admin_stats(core, "sv")
    # November 2026: 1 example from 1 person = 25 % of 4; November 2025: 3 from 2 = 50 %.
    assert (
        "november 2026: 1 gott exempel från 1 person, 25 % "
        "(2025: 3 goda exempel från 2 personer, 50 %)"
    ) in swedish
    assert "Hela 2026: 8 goda exempel från 5 personer, 125 %" in swedish
    assert "Kanalen har 4 medlemmar" in swedish
    english = _admin_stats(core, "en")
    assert (
        "November 2026: 1 good example from 1 person, 25% "
        "(2025: 3 good examples from 2 people, 50%)"
    ) in english
    assert counter.asked == [counter.asked[0]]  # asked once for both answers


def test_without_a_member_count_no_share_is_shown_and_the_answer_says_why(core: Core) -> None:
    _fixture_year(core)
    core.posters[Platform.SLACK] = Counter(members=None)
    swedish = _admin_stats(core, "sv")
    assert "november 2026: 1 gott exempel från 1 person (2025: 3 goda exempel från 2 personer)" in (
        swedish
    )
    assert "medlemsantal är inte känt" in swedish and "%" not in swedish


def _stored(core: Core, forum: ForumInfo) -> tuple[int | None, datetime | None]:
    with core.db.transaction() as session:
        return stats.stored_member_count(session, forum.id)


def test_the_member_count_is_asked_at_most_once_a_day(core: Core, clock: FakeClock) -> None:
    forum = _forum(core)
    counter = Counter(members=7)
    assert stats.member_count(core.db, forum, counter, now=clock()) == 7
    assert _stored(core, forum) == (7, clock())
    counter.members = 9
    later = clock() + timedelta(hours=23, minutes=59)
    assert stats.member_count(core.db, forum, counter, now=later) == 7  # the stored answer
    assert len(counter.asked) == 1
    next_day = clock() + timedelta(days=1)
    assert stats.member_count(core.db, forum, counter, now=next_day) == 9
    assert len(counter.asked) == 2 and _stored(core, forum) == (9, next_day)


def test_a_platform_failure_gives_no_count_and_is_not_retried_within_the_day(
    core: Core, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    forum = _forum(core)
    counter = Counter(fail=True)
    assert stats.member_count(core.db, forum, counter, now=clock()) is None
    assert "member count of forum" in caplog.text
    assert stats.member_count(core.db, forum, counter, now=clock() + timedelta(hours=3)) is None
    assert len(counter.asked) == 1  # a failing platform holds no one up twice a day
    core.posters[Platform.SLACK] = counter
    assert "Deltagande" in _admin_stats(core)  # the person gets the figures, not an error


def test_a_platform_that_cannot_count_keeps_the_count_unknown(core: Core, clock: FakeClock) -> None:
    forum = _forum(core)
    assert stats.member_count(core.db, forum, RecordingPoster(), now=clock()) is None
    assert stats.member_count(core.db, forum, None, now=clock()) is None
    assert _stored(core, forum) == (None, None)


# -- the command line, in process -----------------------------------------------------------------


class _Adapters:
    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core


def _cli(core: Core, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(list(argv))
    adapters = cast(cli.Adapters, _Adapters(core))
    code = cli.dispatch(args, core.settings, adapters, cast(TextIO, io.StringIO()), out, err)
    return code, out.getvalue(), err.getvalue()


def test_ledarforum_stats_prints_text_csv_and_json(core: Core) -> None:
    forum = _fixture_year(core)
    core.posters[Platform.SLACK] = Counter(members=10)
    code, text, _ = _cli(core, "stats", "--forum", CHANNEL, "--year", "2026")
    assert code == 0
    assert f"# forum {forum.id}" in text and "Deltagande 2026" in text
    assert "januari: 3 goda exempel från 2 personer, 20 % (2025: 1 gott exempel" in text
    assert "Hela 2026: 8 goda exempel från 5 personer, 50 %" in text
    _assert_anonymous(text)

    code, table, _ = _cli(core, "stats", "--forum", str(forum.id), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(table)))
    # months, themes, old, year, and the year's trends (counted apart from good examples)
    assert len(rows) == 12 + len(_cycle(core, forum).themes) + 1 + 1 + 1
    march = next(r for r in rows if r["scope"] == "month" and r["month"] == "3")
    assert (march["contributions"], march["contributors"], march["share"]) == ("3", "3", "0.3000")
    assert (march["last_year_contributions"], march["last_year_contributors"]) == ("1", "1")
    old = next(r for r in rows if r["theme_key"] == "gammalt")
    assert old["title_sv"] == "'" + INJECTED  # a spreadsheet shows it, never runs it
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())
    _assert_anonymous(table)

    code, data, _ = _cli(core, "stats", "--forum", CHANNEL, "--format", "json", "--year", "2025")
    assert code == 0
    [report] = json.loads(data)
    assert report["year"] == 2025 and report["members"] == 10
    assert report["total"] == {"contributions": 5, "contributors": 4, "share": 0.4}
    assert report["last_year_total"]["contributions"] == 1  # 2024
    _assert_anonymous(data)


def test_ledarforum_stats_refuses_bad_input_with_exit_2(
    core: Core, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fixture_year(core)
    monkeypatch.setenv("DATABASE_URL", core.settings.database_url)
    adapters = cast(cli.Adapters, _Adapters(core))
    for argv in (
        ["stats", "--year", "tjugo"],
        ["stats", "--year", "99"],
        ["stats", "--format", "xlsx"],
        ["stats", "--forum", "C404"],
    ):
        assert cli.main(argv, adapters) == 2, argv
        [line] = capsys.readouterr().err.strip().splitlines()
        assert line.startswith("ledarforum: "), line
    with core.db.transaction() as session:  # nothing was asked or stored
        assert (
            session.scalar(select(func.count(Forum.id)).where(Forum.member_count_at.is_not(None)))
            == 0
        )
