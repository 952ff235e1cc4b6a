"""Users, their language, and dialogue state kept in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.db import connection_of
from bot.storage.direct import Direct
from bot.storage.models import User, UserState, utcnow
from bot.storage.upsert import insert_ignore


async def get_or_create_user(session: AsyncSession, *, platform: str, platform_user_id: str, language: str) -> User:
    """The user row for a platform id, created on first contact (race-safe)."""
    query = select(User).where(col(User.platform) == platform, col(User.platform_user_id) == platform_user_id)
    user = (await session.execute(query)).scalar_one_or_none()
    if user is None:
        await session.execute(insert_ignore(session, User, {
            "platform": platform, "platform_user_id": platform_user_id, "language": language, "created": utcnow()}))
        user = (await session.execute(query)).scalar_one()
    return user


CHOICES_KEPT = 20    # the last choices shown that a typed number can pick
_U = User.__table__.c  # type: ignore[attr-defined]
_S = UserState.__table__.c  # type: ignore[attr-defined]
# Built once: SQLAlchemy reuses its cache key and compiled form on every message.
# A user's row and their dialogue state's, as one row (`state_of` is None when there is no state).
USER_AND_STATE_COLUMNS = (_U.id, _U.platform, _U.platform_user_id, _U.language, _U.created,
                          _S.user_id.label("state_of"), _S.choices, _S.step, _S.data, _S.updated)
USER_AND_STATE_JOIN = User.__table__.outerjoin(UserState.__table__, _S.user_id == _U.id)  # type: ignore[attr-defined]
THIS_USER = and_(_U.platform == bindparam("platform"), _U.platform_user_id == bindparam("platform_user_id"))
_USER_AND_STATE = Direct(select(*USER_AND_STATE_COLUMNS).select_from(USER_AND_STATE_JOIN).where(THIS_USER))


@dataclass(slots=True)
class Person:
    """A `users` row as a chat turn reads it (a plain copy: the ORM object costs more to build
    than the read itself). Change it in the database with `set_language`."""

    id: int
    platform: str
    platform_user_id: str
    language: str
    created: datetime


@dataclass(slots=True)
class DialogueState:
    """A `user_state` row as a chat turn reads it; change it with `save_step` and `save_choices`."""

    user_id: int
    choices: str
    step: str | None
    data: str
    updated: datetime


async def load_user_and_state(session: AsyncSession, *, platform: str, platform_user_id: str,
                              language: str, row: Any = None) -> tuple[Person, DialogueState]:
    """The user and their dialogue state in ONE read; on first contact the missing rows are
    created first (race-safe: `ON CONFLICT DO NOTHING`, then read again). `row`: the user's
    `USER_AND_STATE_COLUMNS` already read by the caller (then nothing is read here).

    The objects returned are plain copies of the rows, not tracked by the session: change the
    database with `set_language`, `save_step` and `save_choices`.
    """
    conn = await connection_of(session)
    key = {"platform": platform, "platform_user_id": platform_user_id}
    if row is None:
        row = (await _USER_AND_STATE.run(conn, key)).first()
    if row is None or row.state_of is None:
        if row is None:
            await conn.execute(insert_ignore(session, User, {**key, "language": language, "created": utcnow()}))
            row = (await _USER_AND_STATE.run(conn, key)).rows[0]
        if row.state_of is None:
            await conn.execute(insert_ignore(session, UserState, {"user_id": row.id, "updated": utcnow()}))
            row = (await _USER_AND_STATE.run(conn, key)).rows[0]
    return (Person(row.id, row.platform, row.platform_user_id, row.language, row.created),
            DialogueState(row.state_of, row.choices, row.step, row.data, row.updated))


async def set_language(session: AsyncSession, *, user_id: int, language: str) -> None:
    await session.execute(update(User).where(col(User.id) == user_id).values(language=language))


async def load_state(session: AsyncSession, *, user_id: int) -> UserState:
    """The user's dialogue state, created empty when missing."""
    await session.execute(insert_ignore(session, UserState, {"user_id": user_id, "updated": utcnow()}))
    return (await session.execute(select(UserState).where(col(UserState.user_id) == user_id))).scalar_one()


_SAVE_CHOICES = Direct(update(UserState.__table__).where(_S.user_id == bindparam("s_user"))  # type: ignore[attr-defined]
                       .values(choices=bindparam("s_choices"), updated=bindparam("s_updated")))


async def save_choices(session: AsyncSession, *, user_id: int, payloads: list[str]) -> None:
    """Remember the last numbered choices so a typed number can pick one."""
    conn = await connection_of(session)
    await _SAVE_CHOICES.run(conn, {"s_user": user_id, "s_choices": json.dumps(payloads[:CHOICES_KEPT]),
                                       "s_updated": utcnow()})


_SAVE_STEP = Direct(update(UserState.__table__).where(_S.user_id == bindparam("s_user"))  # type: ignore[attr-defined]
                    .values(step=bindparam("s_step"), data=bindparam("s_data"), updated=bindparam("s_updated")))


async def save_step(session: AsyncSession, *, user_id: int, step: str | None, data: dict[str, Any] | None = None) -> None:
    """Set the dialogue step (e.g. a guided form) and its data."""
    await _SAVE_STEP.run(await connection_of(session), {
        "s_user": user_id, "s_step": step, "s_data": json.dumps(data or {}, ensure_ascii=False), "s_updated": utcnow()})


# A remembered choice ending in this stands for every payload that starts with the rest (a
# reply's `choices_prefix`: quiz answer buttons, which check themselves against the database).
ANY_AFTER = "*"


def remembered_choices(payloads: list[str], prefix: str | None) -> list[str]:
    """What to remember of the choices shown: the prefix alone when every payload has it, else
    the payloads themselves (the first CHOICES_KEPT)."""
    if prefix and payloads and all(p.startswith(prefix) for p in payloads):
        return [prefix + ANY_AFTER]
    return payloads[:CHOICES_KEPT]


def was_shown(payload: str, shown: list[str]) -> bool:
    """The payload is one of the choices shown (or of a remembered prefix)."""
    return payload in shown or any(s.endswith(ANY_AFTER) and payload.startswith(s[:-1]) for s in shown)


def numbered_choices(shown: list[str]) -> list[str]:
    """The choices a typed number can pick: none when only a prefix is remembered (its handler,
    the running attempt, reads typed numbers and letters itself)."""
    return [] if any(s.endswith(ANY_AFTER) for s in shown) else shown


def stored_choices(state: UserState | DialogueState) -> list[str]:
    try:
        value = json.loads(state.choices or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


async def last_choices(session: AsyncSession, *, platform: str, platform_user_id: str) -> list[str]:
    """The payloads a typed list number can pick, of the choices last shown to a platform user
    (none for a new user, or while an attempt reads numbers itself); read-only."""
    state = (
        await session.execute(
            select(UserState).join(User, col(User.id) == col(UserState.user_id))
            .where(col(User.platform) == platform, col(User.platform_user_id) == platform_user_id)
        )
    ).scalar_one_or_none()
    return numbered_choices(stored_choices(state)) if state is not None else []
