"""The disk is full, or the SQLite database is locked (issue 9): the user gets a clear reply, nothing
is half-written (the database passes `PRAGMA integrity_check` and the message can simply be sent
again), and the admins get an `ADMIN ALERT` line in the log.

Portable stand-ins, no root needed: a full disk is SQLite's `max_page_count` set to the pages the
file already has (SQLITE_FULL, "database or disk is full", exactly what a full disk raises), and a
lock is another connection holding `BEGIN EXCLUSIVE` past a short busy timeout (`sqlite_busy_seconds`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.app import App, build_app
from bot.core.messages import Inbound
from bot.core.texts import t
from bot.storage import faults
from bot.storage.models import ProcessedEvent, User
from tests.conftest import make_settings
from tests.zalo_support import count

from .reliability_support import record


async def _app(path: Path) -> App:
    return await build_app(make_settings(f"sqlite+aiosqlite:///{path}"))


async def _with_pragma(app: App, pragma: Callable[[], str]) -> Callable[[Any, Any], None]:
    """Every new connection runs `pragma()` after the bot's own; existing ones are dropped."""
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(pragma())
        cursor.close()

    await app.db.engine.dispose()
    event.listen(app.db.engine.sync_engine, "connect", on_connect)
    return on_connect


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _message(n: int) -> Inbound:
    return Inbound("telegram", str(900_000 + n), str(900_000 + n), text="quyền trẻ em là gì " + "x" * 300,
                   event_id=f"full-{n}", language="vi")


@pytest.fixture(autouse=True)
def _fresh_alerts() -> None:
    faults._last_alert.clear()


async def test_disk_full_gets_a_clear_reply_an_alert_and_corrupts_nothing(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "full.db"
    app = await _app(path)
    await app.dialogue.handle(_message(0))
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    listener = await _with_pragma(app, lambda: f"PRAGMA max_page_count = {pages}")
    failed = None
    with caplog.at_level(logging.ERROR):
        for n in range(1, 400):
            replies = await app.dialogue.handle(_message(n))
            if replies and replies[0].kind == "error":
                failed = n
                break
    assert failed is not None, "the database never filled up"
    assert replies[0].text == t("storage_full", "vi")
    assert "ADMIN ALERT: database disk_full" in caplog.text
    # The failed message left nothing behind, and the file is sound.
    assert await count(app, ProcessedEvent, ProcessedEvent.event_id == f"full-{failed}") == 0  # type: ignore[arg-type]
    assert await count(app, User, User.platform_user_id == str(900_000 + failed)) == 0  # type: ignore[arg-type]
    assert _integrity(path) == "ok"
    # Space again: the same message, sent again, goes through once.
    await app.db.engine.dispose()
    event.remove(app.db.engine.sync_engine, "connect", listener)
    again = await app.dialogue.handle(_message(failed))
    assert again and again[0].kind != "error"
    assert await app.dialogue.handle(_message(failed)) == []
    assert _integrity(path) == "ok"
    await app.close()
    record("disk_full", messages_before_full=failed - 1, user_reply="storage_full", admin_alerts=1,
           integrity="ok", half_written_rows=0)


async def test_locked_database_gets_a_clear_reply_an_alert_and_recovers(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "locked.db"
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{path}", sqlite_busy_seconds=0.3))
    await app.dialogue.handle(_message(0))
    holder = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.ERROR):
            replies = await app.dialogue.handle(_message(1))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(replies) == 1 and replies[0].text == t("busy", "vi")
    assert "ADMIN ALERT: database locked" in caplog.text
    assert await count(app, ProcessedEvent, ProcessedEvent.event_id == "full-1") == 0  # type: ignore[arg-type]
    after = await app.dialogue.handle(_message(1))
    assert after and after[0].kind != "error"
    assert _integrity(path) == "ok"
    await app.close()
    record("sqlite_locked", user_reply="busy", admin_alerts=1, integrity="ok", recovered=True)


async def test_a_write_waiting_for_another_process_leaves_the_event_loop_free(tmp_path: Path) -> None:
    """Inside `writer()` statements run on the event loop's thread; when another process holds
    the lock, the wait happens on the connection's thread, so other chats are still served."""
    path = tmp_path / "wait.db"
    app = await _app(path)
    await app.dialogue.handle(_message(0))
    holder = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")     # another process is writing
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    handled = asyncio.create_task(app.dialogue.handle(_message(2)))
    try:
        await asyncio.sleep(0.5)
        assert not handled.done(), "the write did not wait for the lock"
        assert ticks >= 10, f"the event loop was held up while waiting ({ticks} ticks in 0.5 s)"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    replies = await asyncio.wait_for(handled, 10)
    ticking.cancel()
    assert replies and replies[0].kind != "error"
    assert await count(app, ProcessedEvent, ProcessedEvent.event_id == "full-2") == 1  # type: ignore[arg-type]
    await app.close()


def test_faults_are_named_for_admins() -> None:
    from sqlalchemy.exc import OperationalError

    def wrapped(message: str) -> OperationalError:
        return OperationalError("INSERT …", {}, sqlite3.OperationalError(message))

    assert faults.db_fault(wrapped("database or disk is full")) == "disk_full"
    assert faults.db_fault(wrapped("database is locked")) == "locked"
    assert faults.db_fault(wrapped("attempt to write a readonly database")) == "read_only"
    assert faults.db_fault(ConnectionRefusedError(111, "Connect call failed")) == "connection"
    assert faults.db_fault(wrapped("no such table: x")) == "other"
