"""Retention: the personal fields of a contest's registrations are kept for RETENTION_DAYS after the
contest closes, then purged by the scheduler (names, birth years, classes, phone numbers).

Scores, units and times stay, so rankings and unit statistics still add up; the registration is
marked `erased`, exactly as when a participant erases their own data with `/xoadulieu`. A purged
row is never touched again, so each registration is purged once however many processes tick.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.models import Contest, Registration

log = logging.getLogger(__name__)


async def purge_expired_personal_data(session: AsyncSession, *, now: datetime, days: int) -> int:
    """Blank the personal fields of registrations in contests closed more than `days` ago; how many.
    `days` ≤ 0 keeps everything (retention off)."""
    if days <= 0:
        return 0
    expired = select(col(Contest.id)).where(col(Contest.status) == "closed",
                                            col(Contest.closed_at) < now - timedelta(days=days))
    result = await session.execute(
        update(Registration)
        .where(col(Registration.contest_id).in_(expired), col(Registration.erased).is_(False))
        .values(full_name=None, birth_year=None, class_name=None, phone=None, erased=True))
    purged = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if purged:
        log.info("retention: personal fields of %d registrations purged (contests closed over %d days ago)",
                 purged, days)
    return purged
