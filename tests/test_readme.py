"""The documentation's commands run as written, so the documentation and code cannot drift apart.

Every ``ledarforum …`` command line in a code block of README.md or of a page in docs/ runs in a
real process against a temporary SQLite database, README first and then the pages in name order,
as a reader following them would (with ``--help`` where it would post to a chat platform or serve
until stopped); each must exit 0. Every command of a "Command line" table must exist with the
options it lists, every relative link must lead to a file and heading that exist, and every path
the README names must be there.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.cycle_file import dump_cycle_csv, dump_cycle_json, dump_cycle_yaml, load_default_cycle
from tests.test_cli import ledarforum

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
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
# A cycle file a command reads, written in its form when a previous step shown would have made it.
_CYCLE_FORMS = {
    ".yaml": dump_cycle_yaml,
    ".yml": dump_cycle_yaml,
    ".csv": dump_cycle_csv,
    ".json": dump_cycle_json,
}


@dataclass(frozen=True)
class Shown:
    """A command line as a document shows it."""

    line: int
    argv: tuple[str, ...]
    stdin: str = ""
    writes: str | None = None
    source: str = "README.md"


def documents() -> list[Path]:
    """README.md, then every page of docs/ in name order."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def _new(shown: Shown, found: list[Shown]) -> bool:
    return all(shown.argv != seen.argv or shown.stdin != seen.stdin for seen in found)


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


def shown_commands(text: str, source: str = "README.md") -> list[Shown]:
    """Every ``ledarforum`` command line of a document's code blocks, once each, in order."""
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
            shown = Shown(number, argv, stdin, writes.group(1) if writes else None, source)
            if _new(shown, found):
                found.append(shown)
    return found


def documented_commands() -> list[Shown]:
    """Every ``ledarforum`` command line of README.md and docs/*.md, once each, in order."""
    found: list[Shown] = []
    for path in documents():
        source = path.relative_to(ROOT).as_posix()
        found += [
            shown
            for shown in shown_commands(path.read_text(encoding="utf-8"), source)
            if _new(shown, found)
        ]
    return found


def runnable(shown: Shown, cwd: Path) -> list[str]:
    """*shown*'s arguments as a test runs them: --help where it would post, files made real."""
    argv = list(shown.argv)
    if argv[0] in _POSTING and "--preview" not in argv:
        return [*argv, "--help"]
    for index, arg in enumerate(argv):
        dump = _CYCLE_FORMS.get(Path(arg).suffix)
        if dump is not None and not (cwd / arg).exists():
            made = cwd / Path(arg).name  # the file a previous step shown would have made
            made.write_text(dump(load_default_cycle()), encoding="utf-8")
            argv[index] = str(made)
    return argv


def test_the_extractor_finds_the_documented_command_lines() -> None:
    shown = documented_commands()
    commands = {" ".join(command.argv) for command in shown}
    assert {"run", "console", "db upgrade", "schedule export", "digest --preview"} <= commands
    assert "teams package" in commands
    assert not any(command.startswith(("python", "-", "LOGIN")) for command in commands)
    # The pages that show command lines are read, not only the README.
    assert {"README.md", "docs/deploy.md", "docs/teams.md"} <= {c.source for c in shown}


@pytest.mark.slow
def test_every_command_line_in_the_documentation_runs(tmp_path: Path) -> None:
    shown = documented_commands()
    failures = []
    for command in shown:
        env = {"LEDARFORUM_CHANNELS": CHANNEL}
        if command.argv[0] == "teams":
            env.update(TEAMS_ENV)
        argv = runnable(command, tmp_path)
        result = ledarforum(*argv, cwd=tmp_path, stdin=command.stdin, env=env)
        if result.returncode != 0:
            failures.append(
                f"{command.source}:{command.line}: ledarforum {' '.join(argv)}: "
                f"exit {result.returncode}: {result.stderr.strip()[-300:]}"
            )
            continue
        written = [command.writes] if command.writes else []
        if "--output" in argv:
            written.append(argv[argv.index("--output") + 1])
        for name in written:
            if not (tmp_path / name).is_file():
                failures.append(f"{command.source}:{command.line}: {name} was not written")
    assert not failures, "\n".join(failures)


def table_commands(text: str) -> list[tuple[list[str], list[str]]]:
    """A "Command line" table's commands: their words and the options they list (none: [])."""
    if "## Command line" not in text:
        return []
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


def test_every_command_of_the_command_line_tables_exists_with_its_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert len(table_commands(README.read_text(encoding="utf-8"))) >= 10
    rows = [row for path in documents() for row in table_commands(path.read_text("utf-8"))]
    for words, options in rows:
        with pytest.raises(SystemExit) as done:
            build_parser().parse_args([*words, "--help"])
        assert done.value.code == 0, words
        shown = capsys.readouterr().out
        for option in options:
            assert option in shown, (words, option)


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def headings(text: str) -> set[str]:
    """The anchors of a page's headings (outside code blocks), made as GitHub makes them."""
    found = set()
    inside = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        elif not inside and re.match(r"#{1,6} ", line):
            heading = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", heading).replace(" ", "-"))
    return found


def test_the_readme_links_every_page_of_docs_and_every_link_resolves() -> None:
    linked = set(_LINK.findall(README.read_text(encoding="utf-8")))
    pages = [path.relative_to(ROOT).as_posix() for path in documents()[1:]]
    assert [page for page in pages if page not in linked] == []
    broken = []
    for path in [*documents(), ROOT / "CONTRIBUTING.md"]:
        for target in _LINK.findall(path.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            name, _, anchor = target.partition("#")
            page = (path.parent / name).resolve() if name else path
            if not page.exists():
                broken.append(f"{path.name}: {target}: no such file")
            elif anchor and anchor not in headings(page.read_text(encoding="utf-8")):
                broken.append(f"{path.name}: {target}: no such heading")
    assert broken == []


def test_every_path_the_readme_names_exists() -> None:
    """The map of the code ("Where things live") names files and folders that are there."""
    named = re.findall(
        r"`((?:bot|handlers|schedules|benchmarks|fakes|tests|scripts|docs)/[^`\s]*)`",
        README.read_text("utf-8"),
    )
    assert len(named) >= 20
    missing = [
        path for path in named if "<" not in path and "{" not in path and not (ROOT / path).exists()
    ]
    assert missing == []
