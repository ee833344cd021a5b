"""Cohorts and alumni: the settings, the alumni rhythm across a year, the reunion reminder once a
year across two processes, shared cycles, and ``ledarforum cohorts`` (in-process)."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import ForumInfo, Platform
from bot.forum_admin import SettingsForm
from bot.messages import Bullets, plain_text
from bot.services import cohorts, cycles, forums
from bot.services import settings as forum_settings
from bot.storage.db import Database, make_engine
from bot.storage.models import AuditEntry, Contribution, DigestRun, Notice, ThemePost
from bot.timing import Period
from schedules import jobs
from schedules.scheduler import SchedulerService
from tests.support import FakeClock, RecordingPoster

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NAMES = ("Astrid Alfa", "Bertil Beta")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def make_forum(
    core: Core, channel: str = "C1", workspace: str = "T1", **values: object
) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, workspace, channel, language="sv", timezone="Europe/Stockholm"
        )
        if values:
            forum = forums.update(session, forum.id, actor="test", **values)
    return forum


def add_example(core: Core, forum: ForumInfo, period: str, author: str, number: int) -> None:
    year, month = int(period[:4]), int(period[5:])
    with core.db.transaction() as session:
        session.add(
            Contribution(
                forum_id=forum.id,
                platform="slack",
                workspace_id=forum.workspace_id,
                period=period,
                theme_key=None,
                author_id=author,
                author_name=NAMES[number % 2],
                text=f"Vi provade något nytt, nummer {number}.",
                source="thread",
                channel_id=forum.channel_id,
                source_message_id=f"x{forum.id}-{number}",
                created_at=datetime(year, month, 10, tzinfo=UTC),
                recorded_at=datetime(year, month, 10, tzinfo=UTC),
            )
        )


class _Adapters:
    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core


def run_cli(core: Core, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(list(argv))
    adapters = cast(cli.Adapters, _Adapters(core))
    code = cli.dispatch(args, core.settings, adapters, cast(TextIO, io.StringIO()), out, err)
    return code, out.getvalue(), err.getvalue()


# -- the settings -------------------------------------------------------------------------------


def test_cohort_settings_are_read_and_shown_as_they_are_typed() -> None:
    changes = forum_settings.parse_pairs(
        [
            "cohort_name=Ledarprogrammet 2026",
            "cohort-start=2026-01-15",
            "cohort_end=2026-06-30",
            "alumni_rhythm=årligen",
            "reunion_month=september",
        ]
    )
    assert changes == {
        "cohort_name": "Ledarprogrammet 2026",
        "cohort_start": date(2026, 1, 15),
        "cohort_end": date(2026, 6, 30),
        "alumni_rhythm": "yearly",
        "reunion_month": 9,
    }
    assert forum_settings.parse_pairs(["reunion_month=av", "cohort_end=off"]) == {
        "reunion_month": None,
        "cohort_end": None,
    }
    # What a form shows is what it sends back: every shown value reads as the stored one.
    for lang in ("sv", "en"):
        for key, value in changes.items():
            assert forum_settings.parse({key: forum_settings.show(key, value, lang)}) == {
                key: value
            }
    assert forum_settings.show("alumni_rhythm", "quarterly", "sv") == "kvartalsvis"


@pytest.mark.parametrize(
    "pair",
    [
        "cohort_start=2026-13-01",
        "cohort_start=30/06/2026",
        "cohort_end=2026-02-30",
        "alumni_rhythm=weekly",
        "reunion_month=13",
    ],
)
def test_a_bad_cohort_value_is_refused_with_what_it_allows(pair: str) -> None:
    with pytest.raises(forum_settings.SettingsError) as refused:
        forum_settings.parse_pairs([pair])
    key = pair.split("=")[0]
    assert [problem.key for problem in refused.value.problems] == [key]
    assert forum_settings.allowed(key, "sv") in refused.value.message("sv")


def test_a_cohort_that_ends_before_it_starts_is_refused_and_nothing_changes(core: Core) -> None:
    with pytest.raises(forum_settings.SettingsError) as refused:
        forum_settings.parse_pairs(["cohort_start=2026-06-30", "cohort_end=2026-01-15"])
    assert "måste sluta efter" in refused.value.message("sv")
    assert "must end after it starts" in refused.value.message("en")

    forum = make_forum(core, cohort_start=date(2026, 8, 1))
    with core.db.transaction() as session:
        audited = session.scalar(select(func.count(AuditEntry.id)))
    # Only the end is given: it is checked against the stored start.
    with pytest.raises(cli.UsageError, match="måste sluta efter"):
        run_cli(core, "forum", "set", "--forum", str(forum.id), "cohort_end=2026-07-31")
    with core.db.transaction() as session:
        assert forums.get(session, forum.id) == forum
        assert session.scalar(select(func.count(AuditEntry.id))) == audited
        with pytest.raises(forum_settings.SettingsError):
            forum_settings.apply(session, forum.id, {"cohort_end": date(2026, 8, 1)}, actor="t")
    with core.db.transaction() as session:
        assert forums.get(session, forum.id) == forum  # the same day is no end either

    code, out, _ = run_cli(core, "forum", "set", "--forum", str(forum.id), "cohort_end=2027-06-30")
    assert code == 0 and "2027-06-30" in out


def test_the_settings_forms_list_the_cohort_keys(core: Core) -> None:
    from handlers.slack.views import settings_modal
    from handlers.teams.render import settings_form

    forum = make_forum(core, cohort_name="Kull 3", cohort_end=date(2026, 6, 30))
    form = SettingsForm(forum, "sv", forum_settings.fields(forum, "sv"))
    blocks = {block.get("block_id") for block in settings_modal(form)["blocks"]}
    inputs = {getattr(element, "id", None) for element in settings_form(form).body or []}
    for key in ("cohort_name", "cohort_start", "cohort_end", "alumni_rhythm", "reunion_month"):
        assert key in blocks and key in inputs
    shown = {field.key: field.value for field in form.fields}
    assert shown["cohort_end"] == "2026-06-30" and shown["cohort_start"] == "av"


# -- the alumni rhythm --------------------------------------------------------------------------


def test_rhythm_allows_every_month_before_the_end_and_the_rhythms_months_after() -> None:
    base = ForumInfo(
        id=1,
        platform=Platform.SLACK,
        workspace_id="T1",
        channel_id="C1",
        name="",
        language="sv",
        timezone="Europe/Stockholm",
        cohort_end=date(2026, 6, 15),
    )
    months = [Period(2026, m) for m in range(1, 13)] + [Period(2027, m) for m in range(1, 13)]

    def posting(forum: ForumInfo) -> list[str]:
        return [p.key for p in months if cohorts.rhythm_allows(forum, p)]

    programme = [f"2026-{m:02d}" for m in range(1, 7)]  # June still posts: it ends mid-June
    assert posting(base) == [
        *programme,
        "2026-07",
        "2026-10",
        "2027-01",
        "2027-04",
        "2027-07",
        "2027-10",
    ]
    assert len(posting(_with(base, alumni_rhythm="monthly"))) == 24
    assert posting(_with(base, alumni_rhythm="yearly")) == [*programme, "2027-06"]
    assert posting(_with(base, alumni_rhythm="yearly", reunion_month=9)) == [
        *programme,
        "2026-09",
        "2027-09",
    ]
    assert len(posting(_with(base, cohort_end=None))) == 24  # not a cohort: as now


def _with(forum: ForumInfo, **values: object) -> ForumInfo:
    from dataclasses import replace

    return replace(forum, **values)  # type: ignore[arg-type]


def test_an_ended_cohort_posts_its_quarterly_themes_across_a_year_exactly_once(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core, cohort_start=date(2026, 1, 15), cohort_end=date(2026, 12, 15))
    statuses: dict[int, list[str]] = {}
    for month in range(1, 13):
        # Well after the month's first working day, at or after 09:00.
        at = local(2027, month, 15, 12)
        clock.set(at)
        first = core.publisher.post_theme(forum, at)
        again = core.publisher.post_theme(forum, at)
        statuses[month] = [first.status, again.status]
    assert statuses[1] == ["posted", "already"]
    assert statuses[4] == ["posted", "already"]
    assert statuses[10] == ["posted", "already"]
    assert statuses[7] in (["posted", "already"], ["no_theme", "no_theme"])  # July may be themeless
    for month in (2, 3, 5, 6, 8, 9, 11, 12):
        assert statuses[month] == ["not_in_rhythm", "not_in_rhythm"], month
    with core.db.transaction() as session:
        periods = sorted(
            session.scalars(select(ThemePost.period).where(ThemePost.forum_id == forum.id))
        )
    assert periods == [p for p in ("2027-01", "2027-04", "2027-07", "2027-10") if p in periods]
    assert {"2027-01", "2027-04", "2027-10"} <= set(periods)
    assert len(poster.posts) == len(periods)

    # The command line agrees: a quiet month is done (exit 0), not a failure.
    code, out, _ = run_cli(core, "post-theme", "--forum", str(forum.id), "--at", "2027-05-20T10:00")
    assert code == 0 and "not_in_rhythm" in out
    # The scheduler plans the next posting month, not the quiet ones.
    assert jobs.next_due(jobs.THEME, forum, local(2027, 1, 20)) == local(2027, 4, 1, 9)


def test_a_quiet_months_digest_waits_for_the_next_posting_month(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(core, cohort_end=date(2026, 12, 15), alumni_rhythm="quarterly")
    january = local(2027, 1, 29, 14)  # a Friday at the digest time, in a posting month
    clock.set(january)
    assert core.publisher.post_digest(forum, january).status in {"posted", "empty"}
    add_example(core, forum, "2027-02", "U1", 1)  # shared in a quiet month
    february = local(2027, 2, 26, 14)
    clock.set(february)
    assert core.publisher.post_digest(forum, february).status == "not_in_rhythm"
    with core.db.transaction() as session:  # no claim row: the moment is not "covered"
        assert session.scalar(select(func.count(DigestRun.id))) == 1
    assert jobs.next_due(jobs.DIGEST, forum, february) == local(2027, 4, 2, 14)
    april = local(2027, 4, 2, 14)
    clock.set(april)
    assert core.publisher.post_digest(forum, april).status == "posted"
    assert "nummer 1" in plain_text(poster.posts[-1].message)  # February's example, not lost


# -- the reunion --------------------------------------------------------------------------------


def test_the_reunion_reminder_goes_out_once_a_year_across_two_cores(
    core: Core, database_url: str, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = make_forum(
        core,
        cohort_name="Kull 2026",
        cohort_end=date(2026, 6, 30),
        alumni_rhythm="yearly",
        reunion_month=None,
    )
    for number, period in enumerate(("2026-03", "2026-05", "2026-05", "2025-04")):
        add_example(core, forum, period, f"U{number % 3}", number)
    due = local(2027, 6, 1, 9)  # June (the end month), its first working day, the theme time
    assert cohorts.reunion_moment(forum, 2026) is None  # the programme's own June: no reunion
    assert cohorts.reunion_moment(forum, 2027) == due
    assert jobs.next_due(jobs.REUNION, forum, local(2026, 11, 23)) == due
    clock.set(local(2027, 5, 31, 12))
    assert cohorts.remind_reunion(core.publisher, forum, clock()).status == "not_due"

    second_db = Database(make_engine(database_url))
    second = open_core(
        Settings(database_url=database_url, organisers=("UORG",)), clock=clock, database=second_db
    )
    second.posters[Platform.SLACK] = poster
    for one in (core, second):
        one.publisher.public_url = "https://ledarforum.example"
    try:
        for year in (2027, 2028):
            at = cohorts.reunion_moment(forum, year)
            assert at is not None
            clock.set(at)
            barrier = threading.Barrier(2)
            statuses: list[str] = []

            def remind(
                one: Core,
                at: datetime = at,
                barrier: threading.Barrier = barrier,
                statuses: list[str] = statuses,
            ) -> None:
                barrier.wait()
                statuses.append(cohorts.remind_reunion(one.publisher, forum, at).status)

            racers = [threading.Thread(target=remind, args=(one,)) for one in (core, second)]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join()
            assert sorted(statuses) in (["already", "posted"], ["busy", "posted"]), statuses
            assert cohorts.remind_reunion(second.publisher, forum, at).status == "already"
    finally:
        second.close()
    reunions = [sent for sent in poster.posts if sent.message.kind == cohorts.REUNION]
    assert len(reunions) == 2
    text = plain_text(reunions[0].message)
    assert "Kull 2026" in text and "juni" in text
    assert (
        "2026: 3 goda exempel från 3 personer" in text and "2025: 1 gott exempel" in text
    )  # the cohort's year in figures, no names (the review after it signs its examples)
    [figures] = [e for e in reunions[0].message.elements if isinstance(e, Bullets)][:1]
    assert not any(name in line for line in figures.items for name in NAMES)
    assert f"https://ledarforum.example/forums/{forum.id}/review/2026" in text
    with core.db.transaction() as session:
        keys = session.scalars(select(Notice.key).where(Notice.kind == "reunion")).all()
    assert sorted(keys) == ["2027", "2028"]


def test_the_scheduler_posts_the_reunion_and_no_reunion_for_other_forums(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    plain = make_forum(core, "C9")
    forum = make_forum(core, cohort_end=date(2026, 3, 31), reunion_month=12)  # quarterly
    service = SchedulerService(core, clock)
    service.run_due()
    planned = {p.id: p.due for p in service.planned()}
    assert f"reunion:{plain.id}" not in planned
    assert planned[f"reunion:{forum.id}"] == local(2026, 12, 1, 9)
    clock.set(local(2026, 12, 1, 9, 1))
    results = service.run_due()
    assert [(r.kind, r.status) for r in results if r.kind == "reunion"] == [("reunion", "posted")]
    assert [s.message.kind for s in poster.posts].count(cohorts.REUNION) == 1


# -- sharing a cycle -----------------------------------------------------------------------------


def test_two_cohorts_follow_one_cycle_by_default_or_by_import(core: Core, tmp_path: Path) -> None:
    spring = make_forum(core, "C1", cohort_name="Vår 2026", cohort_end=date(2026, 6, 30))
    autumn = make_forum(core, "C2", cohort_name="Höst 2026", cohort_end=date(2026, 12, 31))
    with core.db.transaction() as session:
        assert cycles.key_for(session, spring) == cycles.key_for(session, autumn)
    code, text, _ = run_cli(core, "schedule", "export", "--forum", str(spring.id))
    assert code == 0
    path = tmp_path / "cohort.yaml"
    path.write_text(text, encoding="utf-8")
    for forum in (spring, autumn):
        code, _, err = run_cli(core, "schedule", "import", str(path), "--forum", str(forum.id))
        assert code == 0, err
    with core.db.transaction() as session:
        for month in range(1, 13):
            one = cycles.theme_at(session, spring, Period(2027, month))
            other = cycles.theme_at(session, autumn, Period(2027, month))
            assert one == other


# -- the command line ---------------------------------------------------------------------------


def test_ledarforum_cohorts_prints_text_csv_and_json_without_names(
    core: Core, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spring = make_forum(
        core,
        "C1",
        cohort_name="Vår 2025",
        cohort_start=date(2025, 1, 10),
        cohort_end=date(2025, 6, 30),
    )
    autumn = make_forum(
        core,
        "C2",
        cohort_name="Höst 2026",
        cohort_start=date(2026, 8, 1),
        cohort_end=date(2027, 1, 31),
    )
    make_forum(core, "C3")  # no cohort: not listed
    add_example(core, spring, "2026-02", "U1", 1)
    add_example(core, spring, "2025-03", "U1", 2)
    add_example(core, spring, "2025-03", "U2", 3)
    add_example(core, autumn, "2026-09", "U3", 4)
    monkeypatch.setenv("DATABASE_URL", core.settings.database_url)
    adapters = cast(cli.Adapters, _Adapters(core))

    assert cli.main(["cohorts", "--year", "2026", "--format", "json"], adapters) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["cohort"] for row in rows] == ["Vår 2025", "Höst 2026"]
    assert (rows[0]["status"], rows[1]["status"]) == ("alumni", "running")
    assert (rows[0]["people"], rows[0]["examples"], rows[0]["last_year_examples"]) == (1, 1, 2)
    assert rows[0]["last_year_people"] == 2 and rows[1]["examples"] == 1

    assert cli.main(["cohorts", "--year", "2026", "--format", "csv"], adapters) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["cohort"], r["examples"]) for r in table] == [("Vår 2025", "1"), ("Höst 2026", "1")]

    assert cli.main(["cohorts", "--year", "2026"], adapters) == 0
    text = capsys.readouterr().out
    assert "Vår 2025" in text and "alumner" in text and "pågår" in text
    assert "1 gott exempel från 1 person" in text
    for shown in (json.dumps(rows), text):
        assert not any(name in shown for name in NAMES)

    assert cli.main(["cohorts", "--year", "12"], adapters) == 2
    assert capsys.readouterr().err.startswith("ledarforum: ")
