"""The broadcasts outbox (results announcements, reminders) drained to Telegram within its limits.

Telegram allows about 30 messages a second in bulk, 20 a minute in one group and about one a
second in one private chat (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
Rows are claimed in the database before sending and stamped `sent_at` after, so each goes out
once even with several processes draining and across restarts; the per-group count is read
from the claims table, so a restart does not reset it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from bot.channels.telegram_delivery import Sender
from bot.channels.telegram_render import split_text
from bot.storage.db import Database
from bot.storage.models import Broadcast, utcnow
from bot.storage.telegram import claim_broadcast, pending_broadcasts, recent_sends, settle_broadcast

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
PRIVATE_GAP_SECONDS = 1.0
MAX_ATTEMPTS = 5
IDLE_SECONDS = 2.0
RETRY_SECONDS = 30.0


class BroadcastDrainer:
    """Sends unsent `broadcasts` rows for the telegram channel, paced, each once."""

    def __init__(self, db: Database, sender: Sender, per_second: int = OVERALL_PER_SECOND) -> None:
        self.db = db
        self.sender = sender
        self.interval = 1.0 / per_second
        self._next_slot = 0.0
        self._last_private: dict[str, float] = {}
        self._retry_at: dict[int, float] = {}

    async def run(self) -> None:
        """Drain forever; an empty outbox is checked again every couple of seconds."""
        while True:
            try:
                sent = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the drainer must outlive a database hiccup
                log.exception("broadcast drain failed")
                sent = 0
            if not sent:
                await asyncio.sleep(IDLE_SECONDS)

    async def drain_once(self) -> int:
        """Send what may go out now; returns how many sends were started."""
        async with self.db.session() as session:
            rows = await pending_broadcasts(session)
        deliveries = []
        for row in rows:
            if not await self._may_send(row):
                continue
            await self._pace()
            deliveries.append(asyncio.create_task(self._deliver(row)))
        results = await asyncio.gather(*deliveries)
        return sum(results)

    async def _may_send(self, row: Broadcast) -> bool:
        assert row.id is not None
        now = time.monotonic()
        if self._retry_at.get(row.id, 0.0) > now:
            return False
        if not row.chat_id.startswith("-"):
            if now - self._last_private.get(row.chat_id, -1e9) < PRIVATE_GAP_SECONDS:
                return False
            self._last_private[row.chat_id] = now
            return True
        async with self.db.session() as session:
            count = await recent_sends(session, chat_id=row.chat_id, since=utcnow() - timedelta(minutes=1))
        return count < GROUP_PER_MINUTE

    async def _pace(self) -> None:
        """At most `per_second` send starts a second, over all chats."""
        now = time.monotonic()
        self._next_slot = max(self._next_slot, now)
        delay = self._next_slot - now
        self._next_slot += self.interval
        if delay > 0:
            await asyncio.sleep(delay)

    async def _deliver(self, row: Broadcast) -> int:
        assert row.id is not None
        async with self.db.session() as session:
            claimed = await claim_broadcast(session, broadcast=row)
            await session.commit()
        if not claimed:
            return 0
        ok = True
        for piece in split_text(row.text):
            ok = ok and await self.sender.send_text(int(row.chat_id), piece) is not None
        outcome = "sent" if ok else ("failed" if row.attempts + 1 >= MAX_ATTEMPTS else "retry")
        if outcome == "retry":
            self._retry_at[row.id] = time.monotonic() + RETRY_SECONDS
        async with self.db.session() as session:
            await settle_broadcast(session, broadcast_id=row.id, outcome=outcome)
            await session.commit()
        log.info("broadcast %s %s (%s)", row.id, outcome, row.kind)
        return 1
