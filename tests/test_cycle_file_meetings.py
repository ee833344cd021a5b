"""The cycle file's optional ``meetings:`` list: read, checked, written, imported and diffed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select

from bot import cli
from bot.config import Settings
from bot.core import Core
from bot.cycle_file import CycleFileError, dump_cycle_json, dump_cycle_yaml, load_cycle
from bot.cycle_file.diff import diff
from bot.domain import CycleDocument
from bot.services import cycles, meetings
from bot.storage.models import Meeting
from tests.test_services import make_forum

MONTHS = """version: 1
name: Ledarforum 2031
months:
  january:
    title: {sv: "Årets start", en: "The year's start"}
    why_now: {sv: "Nu börjar året.", en: "The year begins."}
    questions:
      - {sv: "Vad vill du?", en: "What do you want?"}
      - {sv: "Hur gör du?", en: "How will you do it?"}
"""
MEETINGS = """meetings:
  - date: 2031-02-10
    time: "13:00"
    place: Aulan
    agenda: |
      Budgeten
      och samtalen
  - date: 2031-03-10
    time: 08:30
    minutes: 60
    link: https://meet.test/forum
"""


class _Adapters:
    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core


def _stored(core: Core) -> list[tuple[str, int, str, str | None, str | None]]:
    with core.db.transaction() as session:
        rows = session.scalars(select(Meeting).order_by(Meeting.starts_at))
        return [(r.starts_at.isoformat(), r.minutes, r.place, r.link, r.agenda) for r in rows]


def test_the_meetings_list_is_read_with_the_meeting_checks() -> None:
    doc = load_cycle(MONTHS + MEETINGS, "cycle.yaml")
    assert [(m.day, m.clock, m.minutes, m.place, m.link, m.agenda) for m in doc.meetings] == [
        (date(2031, 2, 10), time(13, 0), 90, "Aulan", None, "Budgeten\noch samtalen"),
        (date(2031, 3, 10), time(8, 30), 60, "", "https://meet.test/forum", None),
    ]
    assert load_cycle(MONTHS, "cycle.yaml").meetings == ()


@pytest.mark.parametrize("dump", [dump_cycle_yaml, dump_cycle_json], ids=["yaml", "json"])
def test_the_meetings_round_trip_through_every_written_form(
    dump: Callable[[CycleDocument], str],
) -> None:
    doc = load_cycle(MONTHS + MEETINGS, "cycle.yaml")
    name = "cycle.json" if dump is dump_cycle_json else "cycle.yaml"
    text = dump(doc)
    again = load_cycle(text, name)
    assert again == doc
    assert dump(again) == text


def test_a_bad_meeting_is_a_problem_on_its_line_in_the_meetings_words() -> None:
    bad = MEETINGS.replace("2031-03-10", "2031-13-10").replace("    place: Aulan\n", "")
    bad += "  - {date: 2031-04-01, time: '10:00', place: Rum, colour: red}\n  - just text\n"
    with pytest.raises(CycleFileError) as caught:
        load_cycle(MONTHS + bad, "cycle.yaml")
    lines = MONTHS.count("\n")
    problems = [(p.line, p.key) for p in caught.value.problems]
    assert problems == [
        (lines + 2, "meetings.error.where"),  # the first item has neither place nor link
        (lines + 7, "meetings.error.date"),
        (lines + 11, "cycle.error.unknown_key"),
        (lines + 12, "meetings.error.item"),
    ]
    assert "2031-13-10" in caught.value.problems[1].message("en")
    assert "är inget datum" in caught.value.problems[1].message("sv")
    with pytest.raises(CycleFileError) as not_a_list:
        load_cycle(MONTHS + "meetings: Aulan\n", "cycle.yaml")
    assert [p.key for p in not_a_list.value.problems] == ["meetings.error.file"]


def test_the_diff_shows_the_meetings_the_file_adds(core: Core) -> None:
    forum = make_forum(core)
    doc = load_cycle(MONTHS + MEETINGS, "cycle.yaml")
    with core.db.transaction() as session:
        meetings.import_all(
            session, forum, [doc.meetings[0]], actor="test", now=core.dialogue.clock()
        )
        old = meetings.with_stored(session, forum, cycles.for_forum(session, forum, 2031))
    changes = [c for c in diff(old, doc) if c.field == "meeting"]
    assert [(c.before, c.after) for c in changes] == [
        (None, "2031-03-10 08:30 · 60 min · https://meet.test/forum")
    ]
    assert changes[0].label("sv") == "Nytt möte" and changes[0].label("en") == "Meeting added"


def test_schedule_import_stores_the_meetings_once_and_export_writes_them_back(
    core: Core, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forum = make_forum(core)
    monkeypatch.setenv("DATABASE_URL", core.settings.database_url)
    adapters = cast(cli.Adapters, _Adapters(core))
    path = tmp_path / "cycle.yaml"
    path.write_text(MONTHS + MEETINGS, encoding="utf-8")
    args = ["schedule", "import", str(path), "--forum", str(forum.id)]

    assert cli.main(["schedule", "validate", str(path)], adapters) == 0
    assert capsys.readouterr().out == f"{path}: OK, 1 themes, 2 meetings.\n"
    assert cli.main(args, adapters) == 0
    assert "2 meetings added, 0 already there" in capsys.readouterr().out
    assert cli.main(args, adapters) == 0  # twice: each meeting stored once
    assert "0 meetings added, 2 already there" in capsys.readouterr().out
    assert _stored(core) == [
        ("2031-02-10T12:00:00+00:00", 90, "Aulan", None, "Budgeten\noch samtalen"),
        ("2031-03-10T07:30:00+00:00", 60, "", "https://meet.test/forum", None),
    ]

    for fmt in ("yaml", "json"):
        assert (
            cli.main(["schedule", "export", "--forum", str(forum.id), "--format", fmt], adapters)
            == 0
        )
        exported = tmp_path / f"again.{fmt}"
        exported.write_text(capsys.readouterr().out, encoding="utf-8")
        assert load_cycle(exported.read_text(encoding="utf-8"), exported.name).meetings == (
            load_cycle(MONTHS + MEETINGS, "cycle.yaml").meetings
        )
        assert (
            cli.main(["schedule", "import", str(exported), "--forum", str(forum.id)], adapters) == 0
        )
        assert "0 meetings added, 2 already there" in capsys.readouterr().out
        assert (
            cli.main(["schedule", "export", "--forum", str(forum.id), "--format", fmt], adapters)
            == 0
        )
        assert capsys.readouterr().out == exported.read_text(encoding="utf-8")
    assert len(_stored(core)) == 2


def test_a_refused_meeting_imports_nothing_of_the_file(
    core: Core, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forum = make_forum(core)
    monkeypatch.setenv("DATABASE_URL", core.settings.database_url)
    adapters = cast(cli.Adapters, _Adapters(core))
    with core.db.transaction() as session:
        before = cycles.for_forum(session, forum, 2031)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MONTHS + MEETINGS.replace("2031-03-10", "2031-03-32"), encoding="utf-8")
    assert cli.main(["schedule", "import", str(bad), "--forum", str(forum.id)], adapters) == 2
    assert f"{bad}:{MONTHS.count(chr(10)) + 8}: ”2031-03-32”" in capsys.readouterr().err
    # A past meeting passes the file's checks but not the import: the cycle is not replaced either.
    past = tmp_path / "past.yaml"
    past.write_text(MONTHS + MEETINGS.replace("2031-03-10", "2001-03-10"), encoding="utf-8")
    assert cli.main(["schedule", "import", str(past), "--forum", str(forum.id)], adapters) == 2
    assert "(meeting 2)" in capsys.readouterr().err
    assert _stored(core) == []
    with core.db.transaction() as session:
        assert cycles.for_forum(session, forum, 2031) == before
