"""Users, their language, and dialogue state kept in the database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.models import User, UserState, utcnow
from bot.storage.upsert import insert_ignore


async def get_or_create_user(session: AsyncSession, *, platform: str, platform_user_id: str, language: str) -> User:
    """The user row for a platform id, created on first contact (race-safe)."""
    await session.execute(
        insert_ignore(session, User,
                      {"platform": platform, "platform_user_id": platform_user_id, "language": language, "created": utcnow()})
    )
    user = (
        await session.execute(select(User).where(col(User.platform) == platform, col(User.platform_user_id) == platform_user_id))
    ).scalar_one()
    return user


async def set_language(session: AsyncSession, *, user_id: int, language: str) -> None:
    await session.execute(update(User).where(col(User.id) == user_id).values(language=language))


async def load_state(session: AsyncSession, *, user_id: int) -> UserState:
    """The user's dialogue state, created empty when missing."""
    await session.execute(insert_ignore(session, UserState, {"user_id": user_id, "updated": utcnow()}))
    return (await session.execute(select(UserState).where(col(UserState.user_id) == user_id))).scalar_one()


async def save_choices(session: AsyncSession, *, user_id: int, payloads: list[str]) -> None:
    """Remember the last numbered choices so a typed number can pick one."""
    await session.execute(
        update(UserState).where(col(UserState.user_id) == user_id)
        .values(choices=json.dumps(payloads[:20]), updated=utcnow())
    )


async def save_step(session: AsyncSession, *, user_id: int, step: str | None, data: dict[str, Any] | None = None) -> None:
    """Set the dialogue step (e.g. a guided form) and its data."""
    await session.execute(
        update(UserState).where(col(UserState.user_id) == user_id)
        .values(step=step, data=json.dumps(data or {}, ensure_ascii=False), updated=utcnow())
    )


def stored_choices(state: UserState) -> list[str]:
    try:
        value = json.loads(state.choices or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


async def last_choices(session: AsyncSession, *, platform: str, platform_user_id: str) -> list[str]:
    """The payloads of the choices last shown to a platform user (none for a new user); read-only."""
    state = (
        await session.execute(
            select(UserState).join(User, col(User.id) == col(UserState.user_id))
            .where(col(User.platform) == platform, col(User.platform_user_id) == platform_user_id)
        )
    ).scalar_one_or_none()
    return stored_choices(state) if state is not None else []
