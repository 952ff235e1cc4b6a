"""De-duplication of platform deliveries: each event id has one effect."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ProcessedEvent, utcnow
from bot.storage.upsert import insert_ignore


async def claim_event(session: AsyncSession, *, channel: str, event_id: str) -> bool:
    """True the first time an event id is seen; False for a redelivery."""
    result = await session.execute(
        insert_ignore(session, ProcessedEvent, {"channel": channel, "event_id": event_id[:96], "created": utcnow()})
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_old_events(session: AsyncSession, *, older_than: timedelta = timedelta(days=7)) -> int:
    """Drop ids old enough that no platform redelivers them."""
    result = await session.execute(delete(ProcessedEvent).where(ProcessedEvent.created < utcnow() - older_than))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
