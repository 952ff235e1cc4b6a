"""The `broadcasts` outbox drained to one channel: paced, each row once, failures tried a few times.

Channel-neutral. A channel gives its name, how to cut a text into parts it accepts, and how to
send one part (True when the platform took it); Telegram and both Zalo channels each run one
drain. Per pass the drain:
- reads the rows that may be tried now (never claimed, due for a retry, or held by a sender that
  crashed) and claims each in the database before sending it (bot/storage/broadcasts.py), so
  several processes draining one outbox, and restarts, never send a row twice;
- paces sends: at most `per_second` parts a second over all chats (per process), and
  `chat_gap` seconds between two broadcasts to one chat;
- settles the claim: `sent`; or, when a part was refused or did not get through, `retry` after
  `retry_seconds`, resuming after the parts already delivered; or `failed` once
  `max_attempts` tries have failed. A row is never tried forever, and never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings
from bot.storage.broadcasts import claim_broadcast, pending_broadcasts, settle_broadcast
from bot.storage.db import Database
from bot.storage.models import Broadcast, utcnow

log = logging.getLogger(__name__)

IDLE_SECONDS = 2.0     # an empty (or fully held) outbox is read again after this
STOP_GRACE = 20.0      # at shutdown, sends already started get this long to finish

SendPart = Callable[[str, str], Awaitable[bool]]   # (chat id, text) -> the platform took it


@dataclass(frozen=True)
class DrainLimits:
    """How fast and how often one channel's drain may send."""

    per_second: float = 30.0       # part sends started per second over all chats, per process
    chat_gap: float = 1.0          # seconds between two broadcasts to one chat
    max_attempts: int = 5          # tries before a row is given up (marked failed)
    retry_seconds: float = 30.0    # pause after a failed try

    @classmethod
    def from_settings(cls, settings: Settings, *, per_second: float, chat_gap: float = 1.0) -> DrainLimits:
        """The channel's pace, with the tries and the pause between them from the settings."""
        return cls(per_second=per_second, chat_gap=chat_gap, max_attempts=max(1, settings.broadcast_max_attempts),
                   retry_seconds=max(0.0, settings.broadcast_retry_seconds))


class BroadcastDrainer:
    """Sends one channel's unsent `broadcasts` rows, paced, each once; `start()` it, `stop()` it."""

    def __init__(self, db: Database, channel: str, send_part: SendPart, split: Callable[[str], list[str]],
                 limits: DrainLimits) -> None:
        self.db = db
        self.channel = channel
        self.send_part = send_part
        self.split = split
        self.limits = limits
        self.interval = 1.0 / limits.per_second
        self._next_slot = 0.0
        self._last_to_chat: dict[str, float] = {}
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Drain in the background until `stop()`."""
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name=f"{self.channel}-broadcasts")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Start no new send; let those under way settle (up to `grace` seconds), then end."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        _done, pending = await asyncio.wait({task}, timeout=grace)
        if pending:
            task.cancel()   # a row left `sending` is taken over after the claim lease
        await asyncio.gather(task, return_exceptions=True)

    async def run(self) -> None:
        """Drain until stopped; an empty outbox is read again every couple of seconds."""
        while not self._stopping.is_set():
            try:
                started = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the drain must outlive a database hiccup
                log.exception("%s: broadcast drain failed", self.channel)
                started = 0
            if not started:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), IDLE_SECONDS)

    async def drain_once(self) -> int:
        """Send what may go out now; returns how many rows were taken (claimed and tried)."""
        async with self.db.session() as session:
            rows = await pending_broadcasts(session, channel=self.channel)
        deliveries = []
        for row in rows:
            if self._stopping.is_set():
                break
            if not await self.may_send(row):
                continue
            await self._pace()
            deliveries.append(asyncio.create_task(self._deliver(row)))
        results = await asyncio.gather(*deliveries)
        self._forget_old_chats()
        return sum(results)

    async def may_send(self, row: Broadcast) -> bool:
        """Whether this row's chat may get a broadcast now: `chat_gap` since its last one.
        A channel with other per-chat rules (Telegram's groups) overrides this."""
        now = time.monotonic()
        if now - self._last_to_chat.get(row.chat_id, -1e9) < self.limits.chat_gap:
            return False
        self._last_to_chat[row.chat_id] = now
        return True

    async def _pace(self) -> None:
        """At most `per_second` sends start a second, over all chats."""
        now = time.monotonic()
        self._next_slot = max(self._next_slot, now)
        delay = self._next_slot - now
        self._next_slot += self.interval
        if delay > 0:
            await asyncio.sleep(delay)

    async def _deliver(self, row: Broadcast) -> int:
        """Claim, send the parts not delivered yet, settle. 0 when another sender holds the row."""
        assert row.id is not None
        async with self.db.session() as session:
            held = await claim_broadcast(session, broadcast=row)
            await session.commit()
        if held is None:
            return 0
        parts = self.split(row.text)
        delivered = held.parts_sent
        for part in parts[held.parts_sent:]:
            if delivered > held.parts_sent:
                await self._pace()
            if not await self._send(row, part):
                break
            delivered += 1
        tries = held.attempts + 1
        if delivered >= len(parts):
            outcome = "sent"
        else:
            outcome = "failed" if tries >= self.limits.max_attempts else "retry"
        retry_at = utcnow() + timedelta(seconds=self.limits.retry_seconds) if outcome == "retry" else None
        async with self.db.session() as session:
            await settle_broadcast(session, broadcast_id=row.id, outcome=outcome, parts_sent=delivered,
                                   retry_at=retry_at)
            await session.commit()
        level = logging.WARNING if outcome == "failed" else logging.INFO
        log.log(level, "%s: broadcast %s %s (%s, try %d of %d, %d/%d parts)", self.channel, row.id, outcome,
                row.kind, tries, self.limits.max_attempts, delivered, len(parts))
        return 1

    async def _send(self, row: Broadcast, part: str) -> bool:
        """One part; a channel's unexpected error counts as a failed try, never a stuck claim."""
        try:
            return await self.send_part(row.chat_id, part)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - settle the row whatever the channel raised
            log.exception("%s: broadcast %s: send raised", self.channel, row.id)
            return False

    def _forget_old_chats(self) -> None:
        if len(self._last_to_chat) > 10_000:
            now = time.monotonic()
            self._last_to_chat = {chat: at for chat, at in self._last_to_chat.items()
                                  if now - at < self.limits.chat_gap}
