"""The Zalo OA's OAuth token pair in the database, so a refresh survives restarts and processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.models import ZaloOAToken, utcnow
from bot.storage.upsert import insert_ignore


async def seed_oa_tokens(session: AsyncSession, *, app_id: str, access_token: str, refresh_token: str) -> bool:
    """Store the configured first pair unless a pair exists; True when this pair was stored."""
    result = await session.execute(insert_ignore(session, ZaloOAToken, {
        "app_id": app_id, "access_token": access_token, "refresh_token": refresh_token,
        "expires": None, "refreshes": 0, "updated": utcnow(),
    }))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def load_oa_tokens(session: AsyncSession, *, app_id: str, for_update: bool = False) -> ZaloOAToken | None:
    """The current pair; `for_update` locks the row (PostgreSQL) so one process refreshes at a time."""
    query = select(ZaloOAToken).where(col(ZaloOAToken.app_id) == app_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def save_oa_tokens(session: AsyncSession, *, app_id: str, access_token: str, refresh_token: str,
                         expires_in: int | None) -> None:
    """Replace the pair in one statement: the single-use refresh token never outlives its access token."""
    expires = utcnow() + timedelta(seconds=expires_in) if expires_in else None
    await session.execute(
        update(ZaloOAToken).where(col(ZaloOAToken.app_id) == app_id).values(
            access_token=access_token, refresh_token=refresh_token, expires=expires,
            refreshes=col(ZaloOAToken.refreshes) + 1, updated=utcnow(),
        )
    )
