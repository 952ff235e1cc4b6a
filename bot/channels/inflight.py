"""Work that goes on after a webhook has answered: tracked for shutdown, in order per user.

Zalo retries a webhook that has not answered 200 within about 2 seconds, so a webhook answers
at once and hands the event here. Exactly-once still holds: the core claims the event id in the
database, so a retry that races the first delivery has no second effect.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Inflight:
    """Background tasks, one chain per key (a user), at most `limit` running at once."""

    def __init__(self, name: str, limit: int = 64) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(limit)

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, key: str, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` after the key's earlier work, so one user's messages keep their order."""
        task = asyncio.create_task(self._run(self._last.get(key), work))
        self._last[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(key, done))
        return task

    async def _run(self, previous: asyncio.Task[None] | None, work: Coroutine[Any, Any, None]) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            async with self._slots:
                await work
        except asyncio.CancelledError:
            work.close()  # cancelled before it started: no "never awaited" warning
            raise
        except Exception as exc:  # noqa: BLE001 - one bad event must never stop the channel
            # The frames, not the message: a database error's message quotes its parameters
            # (user ids, message text), which must not reach the log.
            log.error("%s: handling an event failed (%s)\n%s", self.name, type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)))

    def _forget(self, key: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._last.get(key) is task:
            del self._last[key]

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the work in progress (on shutdown); cancel what is still running after `timeout`."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("%s: %d events still in progress at shutdown were cancelled", self.name, len(pending))
