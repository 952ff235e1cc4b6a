"""De-duplication of platform deliveries: each event id has one effect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.storage.db import connection_of
from bot.storage.direct import PerDialect
from bot.storage.models import ProcessedEvent, utcnow

_TABLE = ProcessedEvent.__table__  # type: ignore[attr-defined]
EVENT_ID_MAX = 96      # the column's length
_VALUES: dict[str, Any] = {"channel": bindparam("e_channel"), "event_id": bindparam("e_id"), "created": bindparam("e_created")}
# Built once per dialect (every message runs one): SQLAlchemy reuses the compiled form.
_CLAIM = PerDialect(lambda dialect: dialect.insert(_TABLE).values(_VALUES).on_conflict_do_nothing())


async def claim_event(session: AsyncSession, *, channel: str, event_id: str) -> bool:
    """True the first time an event id is seen; False for a redelivery. Runs in the caller's
    transaction, so the claim commits (or rolls back) together with the event's effect."""
    result = await _CLAIM.run(await connection_of(session), {
        "e_channel": channel, "e_id": event_id[:EVENT_ID_MAX], "e_created": utcnow()})
    if not result.rowcount:
        metrics.duplicate_dropped(channel)
    return bool(result.rowcount)


async def forget_old_events(session: AsyncSession, *, older_than: timedelta = timedelta(days=7)) -> int:
    """Drop ids old enough that no platform redelivers them."""
    result = await session.execute(delete(ProcessedEvent).where(ProcessedEvent.created < utcnow() - older_than))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
