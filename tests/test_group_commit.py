"""Group commit (storage/group_commit.py): turns that wait together share a transaction, a result
is handed back only once it is committed, and one failing turn never takes the others with it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.group_commit import GroupCommit
from bot.storage.models import User, utcnow

_USERS = User.__table__  # type: ignore[attr-defined]


def counting_commits(db: Database) -> list[int]:
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


def add_user(name: str, fail: bool = False) -> Any:
    async def work(session: AsyncSession) -> str:
        await session.execute(insert(_USERS).values(platform="t", platform_user_id=name, language="vi",
                                                    created=utcnow()))
        if fail:
            raise ValueError(f"unit {name} failed after writing")
        return name
    return work


async def stored(db: Database) -> list[str]:
    async with db.session() as session:
        return sorted((await session.execute(select(_USERS.c.platform_user_id))).scalars().all())


async def test_units_waiting_together_share_commits_and_each_gets_its_own_result(db: Database) -> None:
    commits = counting_commits(db)
    turns = GroupCommit(db, lanes=1, max_batch=16)
    names = [f"u{i:02d}" for i in range(40)]
    results = await asyncio.gather(*(turns.run(add_user(name)) for name in names))
    assert list(results) == names
    assert await stored(db) == names
    # All 40 are waiting by the time the lane starts: batches of 16, 16 and 8.
    assert len(commits) == 3


async def test_a_result_is_handed_back_only_after_its_commit(db: Database, db_url: str) -> None:
    turns = GroupCommit(db, lanes=2, max_batch=8)
    reader = Database(db_url)          # another engine: sees only what is committed
    try:
        async def run_and_look(name: str) -> int:
            await turns.run(add_user(name))
            async with reader.session() as session:
                return int((await session.execute(
                    select(func.count()).select_from(_USERS).where(_USERS.c.platform_user_id == name))).scalar_one())

        seen = await asyncio.gather(*(run_and_look(f"v{i}") for i in range(24)))
    finally:
        await reader.close()
    assert seen == [1] * 24


async def test_a_failing_unit_fails_alone_and_the_others_commit_exactly_once(db: Database) -> None:
    turns = GroupCommit(db, lanes=1, max_batch=16)
    units = [add_user(f"w{i}", fail=(i == 5)) for i in range(10)]
    outcomes = await asyncio.gather(*(turns.run(unit) for unit in units), return_exceptions=True)
    assert isinstance(outcomes[5], ValueError)
    assert [o for i, o in enumerate(outcomes) if i != 5] == [f"w{i}" for i in range(10) if i != 5]
    # The failed unit's own write is gone, and every other unit's row is there once (a second
    # insert of the same user would have raised): the rolled-back batch was run again unit by unit.
    assert await stored(db) == [f"w{i}" for i in range(10) if i != 5]


async def test_a_database_error_in_a_batch_reaches_only_the_unit_that_caused_it(db: Database) -> None:
    """Two units insert the same user: inside one batch the second breaks the transaction (on
    PostgreSQL the whole transaction is aborted); alone, the first succeeds and only the second fails."""
    turns = GroupCommit(db, lanes=1, max_batch=16)
    blocker = asyncio.create_task(turns.run(add_user("first-alone")))   # the rest queue behind it
    await asyncio.sleep(0)
    units = [add_user("x1"), add_user("dup"), add_user("x2"), add_user("dup"), add_user("x3")]
    outcomes = await asyncio.gather(*(turns.run(unit) for unit in units), return_exceptions=True)
    await blocker
    assert outcomes[:3] == ["x1", "dup", "x2"] and outcomes[4] == "x3"
    assert isinstance(outcomes[3], IntegrityError)
    assert await stored(db) == ["dup", "first-alone", "x1", "x2", "x3"]


async def test_a_cancelled_caller_is_skipped_and_the_others_still_run(db: Database) -> None:
    turns = GroupCommit(db, lanes=1)
    first = asyncio.create_task(turns.run(add_user("a")))
    await asyncio.sleep(0)
    gone = asyncio.create_task(turns.run(add_user("gone")))
    kept = asyncio.create_task(turns.run(add_user("kept")))
    await asyncio.sleep(0)
    gone.cancel()
    assert await first == "a" and await kept == "kept"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await stored(db) == ["a", "kept"]
