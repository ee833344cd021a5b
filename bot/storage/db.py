"""The database: engine, sessions (one transaction = one unit of work) and migrations."""

from __future__ import annotations

import ast
import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for *url*; SQLite gets WAL, a busy timeout and enforced foreign keys.

    With WAL, ``synchronous=NORMAL`` syncs at checkpoints instead of at every commit: a killed
    process still loses nothing that was committed (the WAL is in the OS's hands), only a power
    cut or kernel crash may lose the last commits. That trade is SQLite's own recommendation for
    WAL; a deployment that needs every acknowledged event to survive a power cut runs PostgreSQL.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url and url not in {"sqlite://", "sqlite:///"}:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def alembic_config(connection: Any | None = None) -> Config:
    """Alembic's configuration pointing at the migrations inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _links(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """A migration file's ``revision`` and ``down_revision`` (None when not plain literals)."""
    found: dict[str, Any] = {}
    target: ast.expr
    value: ast.expr
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = found.get("revision"), found.get("down_revision")
    if not isinstance(revision, str):
        return None
    return revision, ((down,) if isinstance(down, str) else tuple(down or ()))


@functools.cache
def _heads() -> frozenset[str]:
    """The head revisions of the migrations, read from their files without importing Alembic.

    A revision is a head when no other names it as its ``down_revision``. Empty when a file
    does not say plainly (then :func:`upgrade` lets Alembic decide).
    """
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("[!_]*.py"):
        links = _links(path)
        if links is None:
            return frozenset()
        revisions.add(links[0])
        downs.update(links[1])
    return frozenset(revisions - downs)


def at_head(engine: Engine) -> bool:
    """True when the database's ``alembic_version`` holds exactly the migrations' heads.

    One query: a database that is up to date (every start but the first after an upgrade) is
    then served without importing Alembic, its templates and their highlighter (~10 MiB and a
    noticeable part of the start-up time). Anything unexpected answers False.
    """
    heads = _heads()
    if not heads:
        return False
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:  # no table yet: a new database
        return False
    return {row[0] for row in stored} == heads


def upgrade(engine: Engine) -> None:
    """Apply every migration; safe to call at each start and from several processes at once."""
    if at_head(engine):
        return
    from alembic import command  # only when there is something to migrate

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # A batch migration rebuilds a table (copy, DROP, rename); with foreign keys enforced
            # the DROP would cascade-delete every row that refers to the table. SQLite ignores
            # this pragma inside a transaction, so it is set before the migrations' one begins.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                # Two instances starting together must not both create the tables.
                if sqlite:
                    # The driver would begin only at the first row written, after the DDL.
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                elif engine.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(7306131)"))
                command.upgrade(alembic_config(connection), "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("a migration left rows that refer to nothing")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


class Database:
    """The engine and a session factory; :meth:`transaction` is the unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def connect(cls, url: str, *, migrate: bool = True) -> Database:
        """Connect to *url* and, by default, bring the schema up to date."""
        database = cls(make_engine(url))
        if migrate:
            upgrade(database.engine)
        return database

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all."""
        with self.sessions.begin() as session:
            yield session

    def is_ready(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
