"""The broadcasts outbox (results announcements, reminders) drained to Telegram within its limits.

Telegram allows about 30 messages a second in bulk, 20 a minute in one group and about one a
second in one private chat (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
The claiming, pacing and retrying are the shared drain's (broadcast_drain.py); Telegram adds the
per-group count, read from the claims table so that a restart does not reset it.
"""

from __future__ import annotations

from datetime import timedelta

from bot.channels.broadcast_drain import BroadcastDrainer, DrainLimits
from bot.channels.telegram_delivery import Sender
from bot.channels.telegram_render import split_text
from bot.config import Settings
from bot.storage.broadcasts import recent_sends
from bot.storage.db import Database
from bot.storage.models import Broadcast, utcnow

CHANNEL = "telegram"
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
PRIVATE_GAP_SECONDS = 1.0


class TelegramBroadcastDrainer(BroadcastDrainer):
    """Sends unsent `broadcasts` rows for the telegram channel, paced, each once."""

    def __init__(self, db: Database, sender: Sender, settings: Settings, per_second: int = OVERALL_PER_SECOND) -> None:
        super().__init__(db, CHANNEL, self._send_part, split_text,
                         DrainLimits.from_settings(settings, per_second=per_second, chat_gap=PRIVATE_GAP_SECONDS))
        self.sender = sender

    async def _send_part(self, chat_id: str, text: str) -> bool:
        return await self.sender.send_text(int(chat_id), text) is not None

    async def may_send(self, row: Broadcast) -> bool:
        """A private chat: ≥ 1 s since its last broadcast; a group (negative id): < 20 in the last minute."""
        if not row.chat_id.startswith("-"):
            return await super().may_send(row)
        async with self.db.session() as session:
            count = await recent_sends(session, channel=CHANNEL, chat_id=row.chat_id,
                                       since=utcnow() - timedelta(minutes=1))
        return count < GROUP_PER_MINUTE
