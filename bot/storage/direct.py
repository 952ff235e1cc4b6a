"""Prebuilt statements of the hot path, run straight on SQLite's driver inside `Database.writer()`.

SQLAlchemy's execution of a Core statement (execution context, parameter and result
processing, the adapter's greenlet hand-offs) costs about five times what SQLite spends running
it. A `Direct` statement is compiled once per dialect by SQLAlchemy itself, and in a writer()
transaction on SQLite it is run on the session's own sqlite3 connection, so it takes part in the
same transaction and commits or rolls back with it. Parameters and results pass through the
column types' own processors, so values are stored and read exactly as SQLAlchemy would.
Anywhere else (PostgreSQL, a plain `session()`, a driver this does not know) it is an ordinary
`connection.execute`.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from bot.storage.db import in_writer, run_on_sqlite


@dataclass(frozen=True)
class Outcome:
    """What a statement gave: its rows (named tuples) and the rows it changed."""

    rows: Sequence[Any]
    rowcount: int

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]                        # the bind parameters, in order
    defaults: dict[str, Any]                      # bound literal values (e.g. status == "active")
    binds: tuple[Callable[[Any], Any] | None, ...]
    row: Any                                      # namedtuple class for the result rows, or None
    results: tuple[Callable[[Any], Any] | None, ...]


class Direct:
    """One Core statement, compiled once for SQLite, run on the driver in writer() transactions."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._sqlite: _Compiled | None = None

    async def run(self, connection: AsyncConnection, params: dict[str, Any]) -> Outcome:
        """Run on the session's connection (`await session.connection()`, taken once per transaction)."""
        if connection.dialect.name == "sqlite" and in_writer():
            dialect = connection.dialect
            try:
                outcome = await run_on_sqlite((await connection.get_raw_connection()).driver_connection,
                                              lambda raw: self._run_sqlite(raw, dialect, params))
            except sqlite3.Error as exc:    # raised as SQLAlchemy would, so faults are named the same
                raise DBAPIError.instance(self._sqlite.sql if self._sqlite else "", None, exc, sqlite3.Error,
                                          dialect=dialect) from exc
            if outcome is not None:
                return outcome
        result = await connection.execute(self.statement, params)
        rows = result.all() if result.returns_rows else []
        return Outcome(rows, result.rowcount if not result.returns_rows else len(rows))

    def _run_sqlite(self, raw: sqlite3.Connection, dialect: Dialect, params: dict[str, Any]) -> Outcome:
        compiled = self._sqlite or self._compile(dialect)
        values = {**compiled.defaults, **params}
        cursor = raw.execute(compiled.sql, [value if process is None else process(value)
                                            for value, process in zip((values[n] for n in compiled.names),
                                                                      compiled.binds, strict=True)])
        try:
            if compiled.row is None:
                return Outcome([], cursor.rowcount)
            rows = [compiled.row(*(v if p is None else p(v) for v, p in zip(raw_row, compiled.results, strict=True)))
                    for raw_row in cursor.fetchall()]
            return Outcome(rows, len(rows))
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        names = tuple(compiled.positiontup or ())
        defaults = {name: compiled.binds[name].effective_value for name in names if not compiled.binds[name].required}
        binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        columns = list(getattr(self.statement, "exported_columns", []))
        row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None  # type: ignore[misc]
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        self._sqlite = _Compiled(compiled.string, names, defaults, binds, row, results)
        return self._sqlite
