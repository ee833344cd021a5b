"""The cohorts overview refreshes stale member counts itself (the stats pages' rule), so the
share of members is there on the first look; a failing platform shows no share, never an error."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import cast

import pytest

from bot import cli
from bot.core import Core
from bot.domain import Platform
from bot.services import cohorts, forums, stats
from bot.timing import Period
from tests.support import FakeClock
from tests.test_cohorts import _Adapters, add_example, make_forum
from tests.test_stats import Counter


def _cohorts(core: Core) -> list[tuple[str, int | None, float | None]]:
    with core.db.transaction() as session:
        candidates = forums.all_forums(session)
    rows = cohorts.refreshed_overview(
        core.db,
        candidates,
        core.posters,
        year=2026,
        period=Period(2026, 11),
        now=core.dialogue.clock(),
    )
    return [(row.name, row.participation.members, row.participation.total.share) for row in rows]


def test_the_overview_asks_for_stale_counts_once_a_day(core: Core, clock: FakeClock) -> None:
    spring = make_forum(core, "C1", cohort_name="Vår", cohort_start=date(2026, 1, 1))
    autumn = make_forum(core, "C2", cohort_name="Höst", cohort_start=date(2026, 8, 1))
    make_forum(core, "C3")  # not a cohort: never asked
    add_example(core, spring, "2026-02", "U1", 1)
    add_example(core, spring, "2026-03", "U2", 2)
    add_example(core, autumn, "2026-09", "U3", 3)
    counter = Counter(members=8)
    core.posters[Platform.SLACK] = counter

    # No stats page was opened: the overview itself asks, and shows the share at once.
    assert _cohorts(core) == [("Vår", 8, 0.25), ("Höst", 8, 0.125)]
    assert sorted(counter.asked) == sorted([spring.id, autumn.id])
    counter.members = 16
    clock.set(clock() + timedelta(hours=23))
    assert _cohorts(core) == [("Vår", 8, 0.25), ("Höst", 8, 0.125)]  # fresh enough: kept
    assert len(counter.asked) == 2
    clock.set(clock() + timedelta(hours=2))
    assert _cohorts(core) == [("Vår", 16, 0.125), ("Höst", 16, 0.0625)]  # a day old: asked
    assert len(counter.asked) == 4


def test_a_failing_platform_shows_the_overview_without_a_share(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    spring = make_forum(core, "C1", cohort_name="Vår", cohort_end=date(2026, 6, 30))
    add_example(core, spring, "2026-02", "U1", 1)
    core.posters[Platform.SLACK] = Counter(fail=True)
    assert _cohorts(core) == [("Vår", None, None)]
    assert "member count of forum" in caplog.text
    with core.db.transaction() as session:
        assert stats.stored_member_count(session, spring.id)[0] is None


def test_ledarforum_cohorts_shows_the_share_without_a_stats_page(
    core: Core, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spring = make_forum(core, "C1", cohort_name="Vår", cohort_end=date(2026, 6, 30))
    add_example(core, spring, "2026-02", "U1", 1)
    add_example(core, spring, "2026-02", "U2", 2)
    core.posters[Platform.SLACK] = Counter(members=5)
    monkeypatch.setenv("DATABASE_URL", core.settings.database_url)
    assert (
        cli.main(
            ["cohorts", "--year", "2026", "--format", "json"], cast(cli.Adapters, _Adapters(core))
        )
        == 0
    )
    [row] = json.loads(capsys.readouterr().out)
    assert (row["members"], row["people"], row["share"]) == (5, 2, 0.4)
