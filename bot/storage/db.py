"""The async engine, sessions, and migrations run at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")
# True inside `Database.writer()` (SQLAlchemy's greenlets share the task's context).
_IN_WRITER: ContextVar[bool] = ContextVar("rightsbot_in_writer", default=False)
# Any fixed number: PostgreSQL advisory lock so processes starting together migrate one at a time.
MIGRATION_LOCK_ID = 7_104_2024
BUSY_TIMEOUT_S = 30.0
_KEPT_CONNECTION = "rightsbot_connection"


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, pool_size: int = 10, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            _ensure_sqlite_folder(url)
            kwargs["connect_args"] = {"timeout": busy_timeout}
            kwargs["pool_reset_on_return"] = None    # see _sqlite_reset
            creator = _one_hop_creator(url, timeout=busy_timeout)
            if creator is not None:
                kwargs = {"async_creator": creator, "pool_reset_on_return": None}
        else:
            # No pre-ping: asyncpg's costs three round trips (BEGIN, ";", ROLLBACK) on every
            # checkout, as much as the work of an answer. A connection that died (database
            # restart) fails its one transaction, which is rolled back and never acknowledged;
            # SQLAlchemy then drops the pool's connections and reconnects. Connections are
            # also renewed every half hour.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False,
                          pool_recycle=1800)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        # SQLite lets one transaction write at a time and makes the others sleep in its busy
        # handler (1 ms, 2 ms, 5 ms … 100 ms steps): under load that is most of the time spent.
        # In one process, writers queue here instead and each gets the lock the moment it is free.
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[AsyncSession]:
        """A session for one short read-write transaction (a message, an answer).

        On SQLite the transactions taken through here run one at a time in this process (other
        processes and plain `session()` writers still meet SQLite's own lock). Never open a
        second `writer()` inside one. On PostgreSQL this is `session()`: row locks and the
        unique constraints decide races, and transactions run side by side.
        """
        if self._write_lock is None:
            async with self.sessions() as session:
                yield session
            return
        async with self._write_lock:
            token = _IN_WRITER.set(True)
            try:
                # The session closes inside too: a read-only transaction's rollback then also
                # runs on the loop's thread, not through the driver's worker thread.
                async with self.sessions() as session:
                    yield session
            finally:
                _IN_WRITER.reset(token)

    async def upgrade(self) -> None:
        """Apply every migration not applied yet."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            await conn.run_sync(_run_upgrade)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=5)
            return True
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False

    async def close(self) -> None:
        await self.engine.dispose()


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


class _OneHopCursor:
    """An aiosqlite-style cursor whose `execute` runs the statement, reads its rows and closes
    the sqlite3 cursor in ONE trip to the connection's thread.

    Stock aiosqlite makes four trips per statement (open cursor, execute, fetch, close), each
    a thread hand-off and an event-loop wake-up; they cost more than the statement itself.
    """

    arraysize = 1

    def __init__(self, conn: _OneHopConnection) -> None:
        self._conn = conn
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> _OneHopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._rows = []

    def _run(self, many: bool, sql: str, parameters: Any) -> tuple[Any, int, int | None, list[Any]]:
        cursor = self._conn._conn.cursor()    # in the connection's thread
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            rows = cursor.fetchall() if cursor.description else []
            return cursor.description, cursor.rowcount, cursor.lastrowid, rows
        finally:
            cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> _OneHopCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = await self._conn._execute(
            self._run, False, sql, parameters if parameters is not None else ())
        return self

    async def executemany(self, sql: str, parameters: Any) -> _OneHopCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = await self._conn._execute(
            self._run, True, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class _OneHopConnection(aiosqlite.Connection):
    """aiosqlite's connection with `_OneHopCursor` cursors (SQLAlchemy only uses cursors).

    Inside `Database.writer()` (`_IN_WRITER`), statements run on the event loop's own thread,
    with no hand-off at all: the process write lock is held, so SQLite answers at once (a
    statement of a short transaction takes microseconds, less than a thread hand-off). Only
    if SQLite says the database is busy (another process writes) does the statement go to the
    connection's thread to wait there, so the event loop never waits for a lock. The
    connection's busy timeout is 0 on the loop's thread and `wait_seconds` on its own.
    """

    wait_seconds = BUSY_TIMEOUT_S

    def cursor(self) -> _OneHopCursor:  # type: ignore[override]
        return _OneHopCursor(self)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if _IN_WRITER.get() and self._running and self._connection is not None:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
        return await super()._execute(_waiting_for_lock, self._conn, self.wait_seconds, fn, *args, **kwargs)


async def connection_of(session: AsyncSession) -> AsyncConnection:
    """`await session.connection()`, kept in the session's `info` for the rest of its transaction.

    Each `session.connection()` is a trip through SQLAlchemy's greenlet; a chat turn's statements
    ask for it five times. A kept connection is used only while it is open and in a transaction
    (a commit or rollback closes it, and the next call takes the new transaction's).
    """
    kept = session.info.get(_KEPT_CONNECTION)
    if kept is None or not in_open_transaction(kept):
        kept = session.info[_KEPT_CONNECTION] = await session.connection()
    return cast(AsyncConnection, kept)


def in_open_transaction(connection: AsyncConnection) -> bool:
    """The connection holds a live pooled connection with a transaction begun (no I/O to ask)."""
    sync = connection.sync_connection
    return sync is not None and not sync.closed and not sync.invalidated and sync.in_transaction()


def in_writer() -> bool:
    """True inside `Database.writer()` (on SQLite its statements run on the loop's thread)."""
    return _IN_WRITER.get()


async def run_on_sqlite(driver: Any, fn: Callable[[sqlite3.Connection], T]) -> T | None:
    """`fn(sqlite3 connection)` run as one of the driver connection's statements are (on the
    loop's thread in a writer(), on its own thread when it must wait for a lock); None when
    `driver` is not an open one-hop connection. `fn` must change nothing before its first
    statement, so that a busy database can simply run it again on the connection's thread."""
    if not isinstance(driver, _OneHopConnection) or not driver._running or driver._connection is None:
        return None
    return cast(T, await driver._execute(fn, driver._conn))


def _waiting_for_lock(conn: sqlite3.Connection, seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `fn` on the connection's thread, letting SQLite wait up to `seconds` for a lock."""
    conn.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")
    try:
        return fn(*args, **kwargs)
    finally:
        with contextlib.suppress(sqlite3.ProgrammingError):    # `fn` was close()
            conn.execute("PRAGMA busy_timeout=0")


def _one_hop_creator(url: str, timeout: float) -> Callable[[], Awaitable[Any]] | None:
    """The engine's `async_creator` for a SQLite file; None (stock aiosqlite) for anything else."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.get_driver_name() != "aiosqlite" \
            or not all(hasattr(aiosqlite.Connection, name) for name in ("_execute", "_conn")):
        return None
    dialect = parsed.get_dialect()()
    if not dialect._is_url_file_db(parsed):  # type: ignore[attr-defined]
        return None
    cargs, cparams = dialect.create_connect_args(parsed)
    args: list[Any] = list(cargs)
    params: dict[str, Any] = {**cparams, "timeout": timeout}

    async def connect() -> aiosqlite.Connection:
        conn = _OneHopConnection(lambda: sqlite3.connect(*args, **{**params, "check_same_thread": False}), 64)
        conn.wait_seconds = timeout
        if isinstance(getattr(conn, "_thread", None), threading.Thread):
            conn._thread.daemon = True    # as SQLAlchemy does for aiosqlite: never hold up the exit
        return await conn

    return connect


def _sqlite_reset(dbapi_conn: Any, _record: Any, state: Any) -> None:
    """Roll a connection back on its return to the pool only if a transaction is still open.

    The pool's own reset rolls back unconditionally, which after a commit is one more trip to
    the connection's thread for nothing (a quarter of an answer's trips).
    """
    if state.terminate_only or not state.asyncio_safe:
        return
    driver = getattr(dbapi_conn, "driver_connection", None)
    if driver is None or getattr(driver, "in_transaction", True):
        dbapi_conn.rollback()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    if isinstance(getattr(dbapi_conn, "driver_connection", None), _OneHopConnection):
        cursor.execute("PRAGMA busy_timeout=0")    # it waits for locks on its own thread only
    cursor.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _run_upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
