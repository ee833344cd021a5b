"""Small SQL helpers shared by the services (dialect-aware "insert unless it exists")."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import Base


def insert_ignore(
    session: Session, model: type[Base], values: dict[str, Any], keys: list[str]
) -> bool:
    """Insert a row unless one with the same *keys* exists; True when this call inserted it.

    The database decides (ON CONFLICT DO NOTHING), so two processes racing cannot both win.
    """
    dialect = session.get_bind().dialect.name
    table: Any = model.__table__
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).values(**values)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(**values)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database dialect {dialect}")
    # RETURNING tells reliably whether this statement inserted (rowcount is not portable here).
    statement = statement.on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    return session.execute(statement).first() is not None
