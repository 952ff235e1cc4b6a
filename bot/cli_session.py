"""One-shot database work for the command line: migrate, run, commit on success."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.db import Database


def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[int]]) -> int:
    """Run `work` in one transaction on a migrated database; commit when it returns 0."""
    async def run() -> int:
        db = Database(settings.database_url)
        try:
            await db.upgrade()
            async with db.session() as session:
                code = await work(session)
                if code == 0:
                    await session.commit()
                return code
        finally:
            await db.close()

    return asyncio.run(run())
