"""The outbox of messages the channels send on their own (results, reminders, time-up notices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.models import Broadcast, utcnow
from bot.storage.upsert import insert_ignore


@dataclass(frozen=True)
class Outgoing:
    """One message to send to one chat; (kind, ref, channel, chat_id) is sent at most once."""

    kind: str
    ref: str
    channel: str
    chat_id: str
    text: str


async def enqueue_broadcast(session: AsyncSession, messages: list[Outgoing], now: datetime | None = None) -> int:
    """Queue messages for the channels; one already queued under the same key is skipped. Returns rows added."""
    if not messages:
        return 0
    when = now or utcnow()
    rows = [{"kind": m.kind[:32], "ref": m.ref[:64], "channel": m.channel[:16], "chat_id": m.chat_id[:64],
             "text": m.text[:4000], "attempts": 0, "created": when} for m in messages]
    result = await session.execute(insert_ignore(session, Broadcast, rows))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def pending_broadcasts(session: AsyncSession, *, channel: str, limit: int = 50) -> list[Broadcast]:
    """Messages not sent yet for one channel, oldest first (PostgreSQL: rows other senders hold are skipped)."""
    query = (select(Broadcast).where(col(Broadcast.channel) == channel, col(Broadcast.sent_at).is_(None))
             .order_by(col(Broadcast.id)).limit(limit))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars().all())


async def mark_sent(session: AsyncSession, *, broadcast_id: int, ok: bool, now: datetime | None = None) -> None:
    """Record one delivery try; a successful one is never sent again."""
    values: dict[str, object] = {"attempts": col(Broadcast.attempts) + 1}
    if ok:
        values["sent_at"] = now or utcnow()
    await session.execute(update(Broadcast).where(col(Broadcast.id) == broadcast_id).values(**values))


async def queue_depth(session: AsyncSession, *, give_up_after: int = 5) -> dict[str, int]:
    """Messages waiting to be sent, per channel (those given up after `give_up_after` tries left out)."""
    rows = await session.execute(
        select(col(Broadcast.channel), func.count())
        .where(col(Broadcast.sent_at).is_(None), col(Broadcast.attempts) < give_up_after)
        .group_by(col(Broadcast.channel)))
    return {str(channel): int(count) for channel, count in rows.all()}
