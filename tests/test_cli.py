"""The command line as operators use it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cycle_file import default_cycle_path

pytestmark = pytest.mark.slow  # each test runs the command line as a process of its own

BAD_CYCLE = """\
version: 1
name: Trasig
months:
  octember:
    title: {sv: "Budget", en: "Budget"}
    why_now: {sv: "Nu", en: "Now"}
    questions:
      - {sv: "A?", en: "A?"}
      - {sv: "B?", en: "B?"}
  march:
    title: {en: "Only English"}
    why_now: {sv: "Nu", en: "Now"}
    questions:
      - {sv: "A?", en: "A?"}
      - {sv: "B?", en: "B?"}
"""
TAB_CYCLE = "version: 1\nname: x\nmonths:\n\tjanuary: null\n"


def ledarforum(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "TEAMS_", "LEDARFORUM_", "DATABASE_URL"))
    }
    environment.update({"DATABASE_URL": f"sqlite:///{cwd / 'lf.db'}", "LOG_LEVEL": "WARNING"})
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "handlers.main", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**environment, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        timeout=120,
        check=False,
    )


def test_piped_console_prints_theme_and_a_preview_with_the_reply(tmp_path: Path) -> None:
    result = ledarforum(
        "console", cwd=tmp_path, stdin="Vi testade gåmöten\n/ledarforum sammanfattning\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Månadens tema" in result.stdout
    preview = result.stdout.split("förhandsvisning")[1]
    assert "Vi testade gåmöten" in preview


def test_validate_reports_each_problem_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_CYCLE, encoding="utf-8")
    result = ledarforum("schedule", "validate", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{bad}:4: ") for line in lines), lines  # octember
    assert any(line.startswith(f"{bad}:11: ") for line in lines), lines  # no Swedish title
    tab = tmp_path / "tab.yaml"
    tab.write_text(TAB_CYCLE, encoding="utf-8")
    result = ledarforum("schedule", "validate", str(tab), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{tab}:4: ")


def test_shipped_cycle_validates(tmp_path: Path) -> None:
    result = ledarforum("schedule", "validate", str(default_cycle_path()), cwd=tmp_path)
    assert result.returncode == 0 and "11" in result.stdout


def test_bad_import_changes_nothing_and_export_round_trips(tmp_path: Path) -> None:
    first = ledarforum("schedule", "export", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_CYCLE, encoding="utf-8")
    assert ledarforum("schedule", "import", str(bad), cwd=tmp_path).returncode == 2
    assert ledarforum("schedule", "export", cwd=tmp_path).stdout == first.stdout
    exported = tmp_path / "cycle.yaml"
    exported.write_text(first.stdout.replace("Jämställdhet", "Likabehandling"), encoding="utf-8")
    assert ledarforum("schedule", "import", str(exported), cwd=tmp_path).returncode == 0
    again = ledarforum("schedule", "export", cwd=tmp_path).stdout
    assert again == exported.read_text(encoding="utf-8")
    calendar = ledarforum("schedule", "export", "--format", "ics", cwd=tmp_path)
    assert calendar.stdout.startswith("BEGIN:VCALENDAR") and "Likabehandling" in calendar.stdout


def test_post_theme_twice_posts_once_to_the_console_forum(tmp_path: Path) -> None:
    first = ledarforum("post-theme", "--at", "2026-11-02T09:00", cwd=tmp_path)
    second = ledarforum("post-theme", "--at", "2026-11-02T10:00", cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "Månadens tema" in first.stdout and ": posted" in first.stdout
    assert "Månadens tema" not in second.stdout and ": already" in second.stdout
    july = ledarforum("post-theme", "--at", "2027-07-15T10:00", cwd=tmp_path)
    assert july.returncode == 0 and "no_theme" in july.stdout


def test_digest_preview_export_and_posting(tmp_path: Path) -> None:
    ledarforum("console", cwd=tmp_path, stdin="Vi delar veckobrev\n")
    preview = ledarforum("digest", "--preview", cwd=tmp_path)
    assert preview.returncode == 0 and "Vi delar veckobrev" in preview.stdout
    exported = ledarforum("export", "--format", "json", cwd=tmp_path)
    assert '"text": "Vi delar veckobrev"' in exported.stdout
    markdown = ledarforum("export", "--format", "md", cwd=tmp_path)
    assert "Vi delar veckobrev" in markdown.stdout


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"LEDARFORUM_TIMEZONE": "Mars/Olympus"}, "LEDARFORUM_TIMEZONE"),
        ({"LEDARFORUM_LANGUAGE": "de"}, "LEDARFORUM_LANGUAGE"),
        ({"PORT": "http"}, "PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"TEAMS_ALLOW_UNAUTHENTICATED": "perhaps"}, "TEAMS_ALLOW_UNAUTHENTICATED"),
    ],
)
def test_bad_configuration_is_one_sentence_naming_the_variable(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = ledarforum("post-theme", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert variable in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("nonsense",),
        ("post-theme", "--at", "yesterday"),
        ("post-theme", "--forum", "C404"),
        ("schedule", "validate", "missing.yaml"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = ledarforum(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LEDARFORUM_LANGUAGE=en\n", encoding="utf-8")
    result = ledarforum("console", cwd=tmp_path, stdin="/ledarforum help\n")
    assert "Theme of the month" in result.stdout and "how it works" in result.stdout


def test_teams_package_is_written_for_an_upload(tmp_path: Path) -> None:
    import zipfile

    env = {"TEAMS_CLIENT_ID": "00000000-0000-4000-8000-000000000001", "TEAMS_CLIENT_SECRET": "s"}
    result = ledarforum("teams", "package", "--output", str(tmp_path), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "ledarforum.zip") as package:
        assert "manifest.json" in package.namelist()
        assert "00000000-0000-4000-8000-000000000001" in package.read("manifest.json").decode()


def test_teams_package_without_a_client_id_is_a_clear_error(tmp_path: Path) -> None:
    result = ledarforum("teams", "package", cwd=tmp_path)
    assert result.returncode == 2 and "TEAMS_CLIENT_ID" in result.stderr
