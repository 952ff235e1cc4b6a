"""The generation of the served content: a new one asks every running process to reload."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.models import ContentVersion, utcnow
from bot.storage.upsert import insert_ignore

KNOWLEDGE = "knowledge"


async def current_generation(session: AsyncSession, name: str = KNOWLEDGE) -> int:
    """The generation now (0 before any reload was requested)."""
    row = await session.execute(select(col(ContentVersion.generation)).where(col(ContentVersion.name) == name))
    return int(row.scalar_one_or_none() or 0)


async def bump_generation(session: AsyncSession, *, requested_by: str, name: str = KNOWLEDGE,
                          now: datetime | None = None) -> int:
    """Start a new generation (one UPDATE, so two requests at once both count); returns it."""
    when = now or utcnow()
    await session.execute(insert_ignore(session, ContentVersion, {
        "name": name, "generation": 0, "requested_by": "", "requested": when}))
    await session.execute(update(ContentVersion).where(col(ContentVersion.name) == name)
                          .values(generation=col(ContentVersion.generation) + 1, requested_by=requested_by[:96],
                                  requested=when))
    return await current_generation(session, name)
