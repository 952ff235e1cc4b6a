"""Registrations: what a participant declared for a contest, fixed after their first attempt; and erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.models import Attempt, Contest, Registration, StaffRole
from bot.storage.upsert import insert_ignore
from bot.storage.users import Person


@dataclass(frozen=True)
class Declared:
    """The fields a participant filled in (only those the contest asks for)."""

    unit_id: str
    full_name: str | None = None
    birth_year: int | None = None
    class_name: str | None = None
    phone: str | None = None


async def find_registration(session: AsyncSession, *, contest_id: int, user_id: int) -> Registration | None:
    query = select(Registration).where(col(Registration.contest_id) == contest_id, col(Registration.user_id) == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def has_attempts(session: AsyncSession, registration_id: int) -> bool:
    query = select(func.count()).select_from(Attempt).where(col(Attempt.registration_id) == registration_id)
    return bool((await session.execute(query)).scalar_one())


async def register(session: AsyncSession, *, contest_id: int, user_id: int, declared: Declared,
                   now: datetime) -> Registration | None:
    """Store what was declared (with the time of consent). Returns None when it is already fixed
    because an attempt was made; before that, declaring again replaces the old answers."""
    values = {"unit_id": declared.unit_id, "full_name": declared.full_name, "birth_year": declared.birth_year,
              "class_name": declared.class_name, "phone": declared.phone, "erased": False, "consented": now}
    await session.execute(insert_ignore(session, Registration,
                                        {"contest_id": contest_id, "user_id": user_id, "created": now, **values}))
    row = await find_registration(session, contest_id=contest_id, user_id=user_id)
    assert row is not None and row.id is not None
    if row.consented != now and row.created != now:
        if await has_attempts(session, row.id):
            return None
        await session.execute(update(Registration).where(col(Registration.id) == row.id).values(**values))
        await session.refresh(row)
    return row


@dataclass(frozen=True)
class PersonalData:
    """Everything stored about one person, for `/dulieucuatoi`."""

    platform: str
    language: str
    created: datetime
    registrations: list[tuple[str, Registration]]
    attempts: int
    staff_units: list[str]


async def personal_data(session: AsyncSession, *, user: Person, user_key: str) -> PersonalData:
    regs = await session.execute(select(col(Contest.code), Registration)
                                 .join(Contest, col(Contest.id) == col(Registration.contest_id))
                                 .where(col(Registration.user_id) == user.id).order_by(col(Registration.id)))
    attempts = (await session.execute(select(func.count()).select_from(Attempt)
                                      .where(col(Attempt.user_id) == user.id))).scalar_one()
    roles = await session.execute(select(col(StaffRole.unit_id)).where(col(StaffRole.user_key) == user_key))
    return PersonalData(user.platform, user.language, user.created, [(str(r[0]), r[1]) for r in regs],
                        int(attempts), [str(u) for u in roles.scalars()])


async def erase_personal_data(session: AsyncSession, *, user_id: int) -> int:
    """Blank names, birth years, classes and phone numbers; scores and units stay as anonymous counts."""
    result = await session.execute(
        update(Registration).where(col(Registration.user_id) == user_id)
        .values(full_name=None, birth_year=None, class_name=None, phone=None, erased=True))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
