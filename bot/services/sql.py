"""Small SQL helpers shared by the services (dialect-aware "insert unless it exists")."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import Base


@lru_cache(maxsize=64)
def insert_ignore_statement(
    dialect: str, table: Table, keys: tuple[str, ...], returning: tuple[str, ...] = ("id",)
) -> Any:
    """``INSERT … ON CONFLICT (keys) DO NOTHING RETURNING returning`` for *dialect*, cached.

    Executed with many rows, SQLAlchemy sends it as one multi-row statement ("insertmanyvalues");
    rows that were there already return nothing, which tells reliably what this statement
    inserted (rowcount is not portable here).
    """
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database dialect {dialect}")
    return statement.on_conflict_do_nothing(index_elements=list(keys)).returning(
        *(table.c[name] for name in returning)
    )


def insert_new(
    session: Session, model: type[Base], values: dict[str, Any], keys: list[str]
) -> int | None:
    """Insert a row unless one with the same *keys* exists; the new row's id, or None.

    The database decides (ON CONFLICT DO NOTHING), so two processes racing cannot both win.
    The values travel as bound parameters of one cached statement: building the statement with
    the values inside would make SQLAlchemy hash every value for its compile cache on each call.
    """
    dialect = session.get_bind().dialect.name
    table: Any = model.__table__
    statement = insert_ignore_statement(dialect, table, tuple(keys))
    row = session.execute(statement, values).first()
    return None if row is None else int(row[0])


def insert_ignore(
    session: Session, model: type[Base], values: dict[str, Any], keys: list[str]
) -> bool:
    """Like :func:`insert_new`; True when this call inserted the row."""
    return insert_new(session, model, values, keys) is not None
