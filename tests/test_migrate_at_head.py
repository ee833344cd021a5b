"""A database already at the migrations' head starts without Alembic; any other is migrated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.storage.db import _heads, alembic_config, at_head, make_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent


def test_heads_read_from_the_files_are_alembics_heads() -> None:
    assert _heads() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_a_new_database_is_not_at_head_until_upgraded(unmigrated_url: str) -> None:
    engine = make_engine(unmigrated_url)
    try:
        assert not at_head(engine)
        upgrade(engine)
        assert at_head(engine)
        upgrade(engine)  # a second start: nothing to do, nothing broken
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert {row[0] for row in stored} == _heads()
    finally:
        engine.dispose()


def test_an_older_database_is_migrated_to_head(unmigrated_url: str) -> None:
    engine = make_engine(unmigrated_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0004")
        assert not at_head(engine)
        upgrade(engine)
        assert at_head(engine)
        with engine.connect() as connection:
            # 0005's table exists only when the last migration really ran.
            connection.execute(text("SELECT count(*) FROM meetings")).scalar_one()
    finally:
        engine.dispose()


def _connect_imports_alembic(url: str) -> bool:
    probe = (
        "import sys\n"
        "from bot.storage.db import Database\n"
        f"Database.connect({url!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


def test_alembic_is_imported_only_when_there_is_something_to_migrate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'start.db'}"
    assert _connect_imports_alembic(url)  # the first start creates the tables
    assert not _connect_imports_alembic(url)  # every later start: one query, no Alembic
