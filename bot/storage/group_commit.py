"""Group commit: the chat turns that arrive together share one transaction.

A contest answer is a handful of short statements, and the transaction around them (a session,
BEGIN, COMMIT and its WAL flush) cost as much again. Under load many turns wait at the same
moment, so they are run one after another in ONE transaction and committed together, the way
databases group the commits of concurrent clients. Nothing is given up:

- a unit's result is handed back only after its batch has committed, so no reply ever goes out
  for work that is not durable;
- if any unit of a batch fails (or the commit does), the whole batch is rolled back and every
  unit runs again alone, in a transaction of its own: the failing one fails on its own, the
  others succeed. Units must therefore be safe to run twice when the first run did not commit
  (a chat turn is: it changes only the database, and its event id is claimed in the same
  transaction);
- a unit that runs alone (nothing else waiting) takes exactly the path it took before.

Units run one at a time within a batch, so they see each other's writes as if they had run in
turn; `lanes` batches run side by side (one on SQLite, which has one writer anyway).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.storage.db import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]
MAX_BATCH = 16          # turns per transaction: enough to share the cost, few enough to keep latency low


class GroupCommit:
    """Runs units of database work, batching those that wait together into one transaction."""

    def __init__(self, db: Database, lanes: int, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.lanes = max(1, lanes)
        self.max_batch = max(1, max_batch)
        self._waiting: deque[tuple[Work, asyncio.Future[Any]]] = deque()
        self._busy_lanes = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`await work(session)` in a transaction (maybe shared), committed before this returns."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, future))
        if self._busy_lanes < self.lanes:
            self._busy_lanes += 1
            task = asyncio.create_task(self._lane(), name="group-commit")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _lane(self) -> None:
        try:
            while self._waiting:
                batch = self._take()
                if len(batch) == 1:
                    await self._alone(*batch[0])
                elif batch:
                    await self._together(batch)
        finally:
            self._busy_lanes -= 1

    def _take(self) -> list[tuple[Work, asyncio.Future[Any]]]:
        batch: list[tuple[Work, asyncio.Future[Any]]] = []
        while self._waiting and len(batch) < self.max_batch:
            item = self._waiting.popleft()
            if not item[1].done():           # its caller gave up (cancelled): skip it
                batch.append(item)
        return batch

    async def _together(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        results: list[Any] = []
        try:
            async with self.db.writer() as session:
                for work, _future in batch:
                    results.append(await work(session))
                await session.commit()
        except asyncio.CancelledError:
            _cancel(batch)
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: each unit runs again alone
            log.info("a batch of %d turns failed (%s); running each alone", len(batch), type(exc).__name__)
            for work, future in batch:
                await self._alone(work, future)
            return
        metrics.turns_batched(len(batch))
        for (_work, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _alone(self, work: Work, future: asyncio.Future[Any]) -> None:
        try:
            async with self.db.writer() as session:
                result = await work(session)
                await session.commit()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who decides
            if not future.done():
                future.set_exception(exc)
            return
        metrics.turns_batched(1)
        if not future.done():
            future.set_result(result)


def _cancel(batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
    for _work, future in batch:
        future.cancel()
