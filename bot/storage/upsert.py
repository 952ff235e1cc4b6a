"""`INSERT … ON CONFLICT DO NOTHING` for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any] | list[dict[str, Any]]) -> Any:
    """An insert statement (for a table model) that skips rows whose unique key already exists."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__).values(values).on_conflict_do_nothing()

