"""``ledarforum login-link``: prints a one-time link that signs the person in once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot import cli
from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import Platform
from bot.services import forums, signin
from bot.timing import utcnow


class _Adapters:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return open_core(settings)

    def run(self, core: Core) -> int:
        raise AssertionError("not used")

    def console(self, core: Core, stdin: object, stdout: object) -> int:
        raise AssertionError("not used")

    def teams_package(self, settings: Settings, path: str) -> str:
        raise AssertionError("not used")


def _run(tmp_path: Path, *args: str) -> tuple[int, str, str, Settings]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", public_url="https://lf.example.se"
    )
    out, err = io.StringIO(), io.StringIO()
    try:
        parsed = cli.build_parser().parse_args(list(args))
        code = cli.dispatch(
            parsed, settings, _Adapters(settings.database_url), io.StringIO(), out, err
        )  # type: ignore[arg-type]
    except cli.UsageError as exc:
        code, err = cli.EXIT_USAGE, io.StringIO(str(exc))
    return code, out.getvalue(), err.getvalue(), settings


def test_prints_a_link_for_the_person(tmp_path: Path) -> None:
    code, out, _, settings = _run(tmp_path, "login-link", "--user", "U1", "--workspace", "T1")
    assert code == 0
    url = out.strip()
    assert url.startswith("https://lf.example.se/signin/link/")
    token = url.rsplit("/", 1)[1]
    core = open_core(settings)
    with core.db.transaction() as session:
        assert signin.use_link(session, token, now=utcnow()) == ("slack", "T1", "U1")
        assert signin.use_link(session, token, now=utcnow()) is None
    core.close()


def test_the_workspace_defaults_to_the_only_one(tmp_path: Path) -> None:
    _, _, _, settings = _run(tmp_path, "login-link", "--user", "U1", "--platform", "console")
    core = open_core(settings)
    with core.db.transaction() as session:
        forums.ensure_forum(
            session,
            Platform.TEAMS,
            "tenant-1",
            "19:a",
            language="sv",
            timezone="Europe/Stockholm",
            actor="test",
        )
    core.close()
    code, out, _, _ = _run(tmp_path, "login-link", "--user", "oid-1", "--platform", "teams")
    token = out.strip().rsplit("/", 1)[1]
    core = open_core(settings)
    with core.db.transaction() as session:
        assert signin.use_link(session, token, now=utcnow()) == ("teams", "tenant-1", "oid-1")
        forums.ensure_forum(
            session,
            Platform.TEAMS,
            "tenant-2",
            "19:b",
            language="sv",
            timezone="Europe/Stockholm",
            actor="test",
        )
    core.close()
    code, out, err, _ = _run(tmp_path, "login-link", "--user", "oid-1", "--platform", "teams")
    assert code == 2 and "--workspace" in err and not out


@pytest.mark.parametrize(
    "args", [("--user", "has space"), ("--user", "U1", "--platform", "irc"), ()]
)
def test_bad_input_exits_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, out, _, _ = _run(tmp_path, "login-link", *args)
    assert code == 2 and not out
