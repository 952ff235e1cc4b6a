"""Prebuilt statements of the hot path, run straight on the database driver.

SQLAlchemy's execution of a Core statement (execution context, parameter and result
processing, the adapter's greenlet hand-offs) costs several times what the database spends
running it. A `Direct` statement is compiled once per dialect by SQLAlchemy itself and run on
the session's own driver connection, in the session's transaction, so it commits or rolls back
with it. Parameters and results pass through the column types' own processors, so values are
stored and read exactly as SQLAlchemy would.

- SQLite, inside `Database.writer()`: on the sqlite3 connection (on the loop's thread, see db.py).
- PostgreSQL with asyncpg: as a prepared statement of SQLAlchemy's own asyncpg adapter (its
  statement cache, its transaction, its error translation).
- Anywhere else (a plain `session()` on SQLite, a driver this does not know): an ordinary
  `connection.execute`.
"""

from __future__ import annotations

import re
import sqlite3
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from bot.storage.db import in_open_transaction, in_writer, run_on_sqlite

_ROWCOUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")
# What this module uses of SQLAlchemy's asyncpg adapter; any other adapter takes the ordinary path.
_ASYNCPG_ADAPTER = ("_execute_mutex", "_transaction", "_start_transaction", "_prepare", "_handle_exception")


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

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        values = {**self.defaults, **params}
        return [value if process is None else process(value)
                for value, process in zip((values[n] for n in self.names), self.binds, strict=True)]

    def rows(self, raw_rows: Sequence[Sequence[Any]]) -> list[Any]:
        return [self.row(*(v if p is None else p(v) for v, p in zip(raw, self.results, strict=True)))
                for raw in raw_rows]


class Direct:
    """One Core statement, compiled once per dialect, run on the session's driver connection."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    async def run(self, connection: AsyncConnection, params: dict[str, Any]) -> Outcome:
        """Run on the session's connection (`await session.connection()`, taken once per transaction)."""
        dialect = connection.dialect
        driver = _dbapi_connection(connection)
        if dialect.name == "sqlite" and in_writer() and driver is not None:
            compiled = self._compiled_for(dialect)
            try:
                outcome = await run_on_sqlite(getattr(driver, "driver_connection", None),
                                              lambda raw: _run_sqlite(raw, compiled, params))
            except sqlite3.Error as exc:    # raised as SQLAlchemy would, so faults are named the same
                raise DBAPIError.instance(compiled.sql, None, exc, sqlite3.Error, dialect=dialect) from exc
            if outcome is not None:
                return outcome
        elif dialect.driver == "asyncpg" and driver is not None and all(hasattr(driver, a) for a in _ASYNCPG_ADAPTER):
            return await self._run_asyncpg(connection, driver, params)
        result = await connection.execute(self.statement, params)
        rows = result.all() if result.returns_rows else []
        return Outcome(rows, result.rowcount if not result.returns_rows else len(rows))

    async def _run_asyncpg(self, connection: AsyncConnection, adapter: Any, params: dict[str, Any]) -> Outcome:
        """As SQLAlchemy's asyncpg cursor runs a statement, without the execution machinery around it."""
        dialect = connection.dialect
        compiled = self._compiled_for(dialect)
        arguments = compiled.arguments(params)
        try:
            async with adapter._execute_mutex:
                if adapter._transaction is None:
                    await adapter._start_transaction()
                try:
                    prepared, _ = await adapter._prepare(compiled.sql, getattr(dialect, "_invalidate_schema_cache_asof", 0))
                    raw_rows = await prepared.fetch(*arguments)
                    status = prepared.get_statusmsg()
                except Exception as error:  # noqa: BLE001 - translated to the DB-API error just below
                    adapter._handle_exception(error)
        except dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy's own execution does: a lost connection is invalidated, then the
            # error is raised as a DBAPIError (so storage faults are named the same).
            lost = dialect.is_disconnect(exc, adapter, None)
            if lost:
                await connection.invalidate(exc)
            raise DBAPIError.instance(compiled.sql, arguments, exc, dialect.loaded_dbapi.Error, dialect=dialect,
                                      connection_invalidated=lost) from exc
        if compiled.row is None:
            match = _ROWCOUNT.match(status or "")
            return Outcome([], int(match.group(1)) if match else -1)
        rows = compiled.rows(raw_rows)
        return Outcome(rows, len(rows))

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        return self._compiled.get(dialect.name) or self._compile(dialect)

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        names = tuple(compiled.positiontup or ())
        defaults = {name: compiled.binds[name].effective_value for name in names if not compiled.binds[name].required}
        binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        columns = list(getattr(self.statement, "exported_columns", []))
        row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None  # type: ignore[misc]
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        self._compiled[dialect.name] = _Compiled(compiled.string, names, defaults, binds, row, results)
        return self._compiled[dialect.name]


class PerDialect:
    """A statement written with a dialect's own constructs (`INSERT … ON CONFLICT` is
    `postgresql.insert` or `sqlite.insert`): built once for each, run as the connection's."""

    def __init__(self, build: Callable[[Any], Executable]) -> None:
        self._postgresql = Direct(build(postgresql))
        self._sqlite = Direct(build(sqlite))

    async def run(self, connection: AsyncConnection, params: dict[str, Any]) -> Outcome:
        direct = self._postgresql if connection.dialect.name == "postgresql" else self._sqlite
        return await direct.run(connection, params)


def _run_sqlite(raw: sqlite3.Connection, compiled: _Compiled, params: dict[str, Any]) -> Outcome:
    cursor = raw.execute(compiled.sql, compiled.arguments(params))
    try:
        if compiled.row is None:
            return Outcome([], cursor.rowcount)
        rows = compiled.rows(cursor.fetchall())
        return Outcome(rows, len(rows))
    finally:
        cursor.close()


def _dbapi_connection(connection: AsyncConnection) -> Any | None:
    """The DB-API (adapter) connection under an AsyncConnection that has one checked out, read
    without a trip through SQLAlchemy's greenlet; None when it is not at hand."""
    sync = connection.sync_connection
    if sync is None or not in_open_transaction(connection):
        return None
    return sync.connection.dbapi_connection    # checked out: no I/O while one is held
