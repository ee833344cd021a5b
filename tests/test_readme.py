"""The README's commands run as written, so README and code cannot drift apart.

Every ``ledarforum …`` command line in a code block of README.md runs in a real process against a
temporary SQLite database, in the README's order, as a reader following it would (with ``--help``
where it would post to a chat platform or serve until stopped); each must exit 0. Every command of
the "Command line" table must exist with the options it lists.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.cycle_file import default_cycle_path
from tests.test_cli import ledarforum

README = Path(__file__).resolve().parents[1] / "README.md"
# The channel of the README's example .env (LEDARFORUM_CHANNELS), which its examples use.
CHANNEL = "C0123456789"
TEAMS_ENV = {"TEAMS_CLIENT_ID": "00000000-0000-4000-8000-000000000001", "TEAMS_CLIENT_SECRET": "s"}

# ``ledarforum`` in command position: at the start, after a space, a quote, ``=`` or ``/bin/``
# (never inside a URL, a path or a name such as ``ledarforum-data``), then its arguments up to a
# shell operator, a comment or a closing quote.
_INVOCATION = re.compile(
    r"""(?:^|(?<=[\s"'=])|(?<=/bin/))(?:\./scripts/run|ledarforum)"""
    r"""((?:[ \t]+(?!>|\||&&|;|#|2>)[^\s"'\]]+)*)"""
)
_PRINTF = re.compile(r"printf '([^']*)' \| \./scripts/run\b")
_WRITES = re.compile(r"#\s*writes (\S+)")
# Commands that would post to a chat platform or serve until stopped: shown with --help.
_POSTING = {"run", "post-theme", "digest"}


@dataclass(frozen=True)
class Shown:
    """A command line as the README shows it."""

    line: int
    argv: tuple[str, ...]
    stdin: str = ""
    writes: str | None = None


def code_lines(text: str) -> list[tuple[int, str]]:
    """The lines inside fenced code blocks, continuation lines (``\\``) joined."""
    lines: list[tuple[int, str]] = []
    inside = False
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        if not inside:
            continue
        start, joined = pending if pending else (number, "")
        joined += line.strip()
        if joined.endswith("\\"):
            pending = (start, joined[:-1] + " ")
            continue
        pending = None
        lines.append((start, joined))
    return lines


def shown_commands(text: str) -> list[Shown]:
    """Every ``ledarforum`` command line of the README's code blocks, once each, in order."""
    found: list[Shown] = []
    for number, line in code_lines(text):
        piped = _PRINTF.search(line)
        stdin = piped.group(1).replace("\\n", "\n") if piped else ""  # printf's escapes used
        writes = _WRITES.search(line)
        for match in _INVOCATION.finditer(line):
            before = line[: match.start()].split()
            if before and before[-1] == "exec":  # ``docker exec ledarforum …``: a container name
                continue
            argv = tuple(shlex.split(match.group(1)))
            if match.group(0).startswith("./scripts/run"):
                argv = argv or ("run",)  # scripts/run runs ``ledarforum ${@:-run}``
            if not argv or not re.fullmatch(r"[a-z][a-z-]*", argv[0]):
                continue  # ``-U ledarforum -Fc``, ``--name ledarforum``: not our command line
            shown = Shown(number, argv, stdin, writes.group(1) if writes else None)
            if all(shown.argv != seen.argv or shown.stdin != seen.stdin for seen in found):
                found.append(shown)
    return found


def runnable(shown: Shown, cwd: Path) -> list[str]:
    """*shown*'s arguments as a test runs them: --help where it would post, files made real."""
    argv = list(shown.argv)
    if argv[0] in _POSTING and "--preview" not in argv:
        return [*argv, "--help"]
    for index, arg in enumerate(argv):
        if arg.endswith((".yaml", ".yml")) and not (cwd / arg).exists():
            made = cwd / Path(arg).name  # the file the README's previous step would have made
            made.write_text(default_cycle_path().read_text(encoding="utf-8"), encoding="utf-8")
            argv[index] = str(made)
    return argv


def test_the_extractor_finds_the_readmes_command_lines() -> None:
    commands = {" ".join(shown.argv) for shown in shown_commands(README.read_text("utf-8"))}
    assert {"run", "console", "db upgrade", "schedule export", "digest --preview"} <= commands
    assert "teams package" in commands
    assert not any(command.startswith(("python", "-", "LOGIN")) for command in commands)


@pytest.mark.slow
def test_every_command_line_in_the_readme_runs(tmp_path: Path) -> None:
    shown = shown_commands(README.read_text(encoding="utf-8"))
    failures = []
    for command in shown:
        env = {"LEDARFORUM_CHANNELS": CHANNEL}
        if command.argv[0] == "teams":
            env.update(TEAMS_ENV)
        argv = runnable(command, tmp_path)
        result = ledarforum(*argv, cwd=tmp_path, stdin=command.stdin, env=env)
        if result.returncode != 0:
            failures.append(
                f"README.md:{command.line}: ledarforum {' '.join(argv)}: "
                f"exit {result.returncode}: {result.stderr.strip()[-300:]}"
            )
            continue
        written = [command.writes] if command.writes else []
        if "--output" in argv:
            written.append(argv[argv.index("--output") + 1])
        for name in written:
            if not (tmp_path / name).is_file():
                failures.append(f"README.md:{command.line}: {name} was not written")
    assert not failures, "\n".join(failures)


def table_commands(text: str) -> list[tuple[list[str], list[str]]]:
    """The "Command line" table's commands: their words and the options they list."""
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = []
    for cell in re.findall(r"^\| `ledarforum ([^`]*)` \|", section, flags=re.MULTILINE):
        words = []
        for token in cell.split():
            if not re.fullmatch(r"[a-z][a-z-]*", token):
                break
            words.append(token)
        rows.append((words, re.findall(r"--[a-z][a-z-]*", cell)))
    return rows


def test_every_command_of_the_readme_table_exists_with_its_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = table_commands(README.read_text(encoding="utf-8"))
    assert len(rows) >= 10
    for words, options in rows:
        with pytest.raises(SystemExit) as done:
            build_parser().parse_args([*words, "--help"])
        assert done.value.code == 0, words
        shown = capsys.readouterr().out
        for option in options:
            assert option in shown, (words, option)
