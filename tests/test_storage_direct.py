"""Direct statements (storage/direct.py) give exactly what SQLAlchemy gives for the same statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database, connection_of, in_writer
from bot.storage.direct import Direct
from bot.storage.models import Attempt, User
from bot.storage.users import get_or_create_user

_U = User.__table__.c  # type: ignore[attr-defined]
_A = Attempt.__table__.c  # type: ignore[attr-defined]


async def test_direct_rows_equal_sqlalchemy_rows_and_writes_commit_with_the_session(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'direct.db'}")
    await db.upgrade()
    async with db.session() as session:
        user = await get_or_create_user(session, platform="telegram", platform_user_id="42", language="vi")
        await session.commit()
    read = Direct(select(_U.id, _U.language, _U.created).where(_U.platform == "telegram",
                                                              _U.platform_user_id == bindparam("who")))
    async with db.session() as session:           # not in a writer: SQLAlchemy's own execution
        assert not in_writer()
        through_sqlalchemy = (await read.run(await session.connection(), {"who": "42"})).rows
    async with db.writer() as session:            # in a writer: straight on sqlite3
        assert in_writer()
        direct = (await read.run(await session.connection(), {"who": "42"})).rows
    assert [tuple(r) for r in direct] == [tuple(r) for r in through_sqlalchemy]
    assert direct[0].id == user.id and isinstance(direct[0].created, datetime)

    rename = Direct(update(User.__table__).where(_U.id == bindparam("uid")).values(language=bindparam("lang")))  # type: ignore[attr-defined]
    async with db.writer() as session:
        changed = await rename.run(await session.connection(), {"uid": user.id, "lang": "en"})
        await session.rollback()                  # a direct write belongs to the session's transaction
    assert changed.rowcount == 1
    async with db.writer() as session:
        assert (await read.run(await session.connection(), {"who": "42"})).rows[0].language == "vi"
        await rename.run(await session.connection(), {"uid": user.id, "lang": "en"})
        await session.commit()
    async with db.session() as session:
        assert (await read.run(await session.connection(), {"who": "42"})).rows[0].language == "en"
    await db.close()


async def test_direct_datetimes_compare_as_sqlalchemy_stores_them(tmp_path: Path) -> None:
    """A time bound through the direct path matches a time SQLAlchemy stored (same text form)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'times.db'}")
    await db.upgrade()
    stamp = datetime(2026, 12, 1, 2, 0, 30, 123456, tzinfo=UTC)
    async with db.session() as session:
        user = await get_or_create_user(session, platform="t", platform_user_id="1", language="vi")
        assert user.id is not None
        session.add(Attempt(user_id=user.id, mode="practice", contest_id=None, round_no=0, registration_id=None,
                            channel="t", chat_id="1", lang="vi", questions="{}", n_questions=1, started=stamp,
                            deadline=stamp + timedelta(minutes=5)))
        await session.commit()
    find = Direct(select(_A.id, _A.deadline).where(_A.started == bindparam("at"), _A.deadline > bindparam("now")))
    async with db.writer() as session:
        conn = await session.connection()
        found = (await find.run(conn, {"at": stamp, "now": stamp})).rows
        late = (await find.run(conn, {"at": stamp, "now": stamp + timedelta(minutes=6)})).rows
    assert len(found) == 1 and found[0].deadline.replace(tzinfo=UTC) == stamp + timedelta(minutes=5)
    assert late == []
    await db.close()


async def test_direct_on_each_backend_matches_sqlalchemy_and_raises_its_errors(db_url: str) -> None:
    """On PostgreSQL a direct statement runs on SQLAlchemy's asyncpg adapter: same rows, same
    transaction (a rollback undoes it), and a constraint violation is SQLAlchemy's IntegrityError."""
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as session:
        user = await get_or_create_user(session, platform="telegram", platform_user_id="7", language="vi")
        await session.commit()
    read = Direct(select(_U.id, _U.language, _U.created).where(_U.platform == bindparam("p"),
                                                              _U.platform_user_id == bindparam("who")))
    async with db.session() as session:
        expected = [tuple(r) for r in (await session.execute(
            select(_U.id, _U.language, _U.created).where(_U.platform == "telegram", _U.platform_user_id == "7"))).all()]
    async with db.writer() as session:
        conn = await connection_of(session)
        assert await connection_of(session) is conn          # kept for the transaction
        got = await read.run(conn, {"p": "telegram", "who": "7"})
        changed = await Direct(update(User.__table__).where(_U.id == bindparam("uid"))  # type: ignore[attr-defined]
                               .values(language=bindparam("lang"))).run(conn, {"uid": user.id, "lang": "en"})
        await session.rollback()
        assert await connection_of(session) is not conn      # a new transaction, a new connection
    assert [tuple(r) for r in got.rows] == expected and got.rowcount == 1 and changed.rowcount == 1
    async with db.writer() as session:
        assert (await read.run(await connection_of(session), {"p": "telegram", "who": "7"})).rows[0].language == "vi"
        duplicate = Direct(insert(User.__table__).values(  # type: ignore[attr-defined]
            platform="telegram", platform_user_id="7", language="vi", created=bindparam("at")))
        with pytest.raises(IntegrityError):
            await duplicate.run(await connection_of(session), {"at": datetime.now(UTC)})
        await session.rollback()
    async with db.writer() as session:                        # the connection is usable again
        assert (await read.run(await connection_of(session), {"p": "telegram", "who": "7"})).rowcount == 1
    await db.close()
