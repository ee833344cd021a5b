"""Operators change and read a forum's settings and the audit log from the command line, and the
theme waits for the month's first working day: real processes, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import ledarforum

pytestmark = pytest.mark.slow  # each command is a process of its own


def _shown(tmp_path: Path) -> dict[str, str]:
    result = ledarforum("forum", "show", "--forum", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_forum_set_changes_what_forum_show_prints_and_the_audit_log_says_who(
    tmp_path: Path,
) -> None:
    before = _shown(tmp_path)  # the console forum, created by the first command
    assert before["timezone"] == "Europe/Stockholm" and before["digest_weekday"] == "fredag"

    changed = ledarforum(
        "forum", "set", "--forum", "1", "timezone=Europe/Helsinki", "digest-weekday=2", cwd=tmp_path
    )
    assert changed.returncode == 0, changed.stderr
    assert "Europe/Stockholm → Europe/Helsinki" in changed.stdout

    after = _shown(tmp_path)
    assert after == {**before, "timezone": "Europe/Helsinki", "digest_weekday": "tisdag"}
    again = ledarforum(
        "forum", "set", "--forum", "1", f"timezone={after['timezone']}", cwd=tmp_path
    )
    assert again.returncode == 0 and "Inget ändrades" in again.stdout

    logged = ledarforum("audit", "--forum", "1", "--format", "json", cwd=tmp_path)
    assert logged.returncode == 0, logged.stderr
    entries = json.loads(logged.stdout)
    update = next(entry for entry in entries if entry["action"] == "forum.update")
    assert update["actor"].startswith("cli:")
    assert update["before"] == {"timezone": "Europe/Stockholm", "digest_weekday": 4}
    assert update["after"] == {"timezone": "Europe/Helsinki", "digest_weekday": 1}
    text = ledarforum("audit", cwd=tmp_path)
    assert text.returncode == 0 and "forum.update" in text.stdout


def test_a_bad_setting_exits_2_with_one_sentence_and_changes_nothing(tmp_path: Path) -> None:
    before = _shown(tmp_path)
    for value, named in (
        ("timezone=Mars/Base", "timezone"),
        ("theme_time=25:00", "theme_time"),
        ("digest_weekday=9", "digest_weekday"),
        ("colour=blue", "colour"),
        ("timezone", "NAMN=VÄRDE"),
    ):
        result = ledarforum("forum", "set", "--forum", "1", "language=en", value, cwd=tmp_path)
        assert result.returncode == 2, value
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("ledarforum: ") and named in line and line.endswith("."), line
    assert _shown(tmp_path) == before  # language=en was good, and not stored either


def test_the_january_theme_waits_for_the_first_working_day(tmp_path: Path) -> None:
    december = ledarforum("post-theme", "--at", "2026-12-01T09:00", cwd=tmp_path)
    assert december.returncode == 0 and "2026-12: posted" in december.stdout
    # Friday 1 January 2027 is New Year's Day: December's theme is still the current one.
    new_year = ledarforum("post-theme", "--at", "2027-01-01T10:00", cwd=tmp_path)
    assert new_year.returncode == 0, new_year.stderr
    assert "2026-12: already" in new_year.stdout and "Månadens tema" not in new_year.stdout
    monday = ledarforum("post-theme", "--at", "2027-01-04T09:00", cwd=tmp_path)
    assert monday.returncode == 0 and "2027-01: posted" in monday.stdout
    assert "Månadens tema, januari" in monday.stdout
