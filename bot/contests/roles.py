"""Who may do what: admins (from ADMINS) grant staff roles scoped to an organiser unit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.quiz.units import Unit, ancestors
from bot.storage.models import StaffRole, utcnow
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """The person asking: their `channel:user_id`, whether they are an admin, and their staff units."""

    user_key: str
    is_admin: bool
    units: tuple[str, ...] = ()

    @property
    def is_staff(self) -> bool:
        return self.is_admin or bool(self.units)

    def may_run(self, organiser: str, units: dict[str, Unit]) -> bool:
        """Admins run every contest; staff run their organiser's contests and those of units below it."""
        return self.is_admin or any(u in self.units for u in ancestors(units, organiser))


async def load_actor(session: AsyncSession, *, user_key: str, is_admin: bool) -> Actor:
    """The actor with the staff units granted to them."""
    rows = await session.execute(select(col(StaffRole.unit_id)).where(col(StaffRole.user_key) == user_key))
    return Actor(user_key, is_admin, tuple(sorted(str(r) for r in rows.scalars())))


async def grant_staff(session: AsyncSession, *, user_key: str, unit_id: str, granted_by: str) -> bool:
    """Make someone staff of a unit; True when the role is new. Every grant is logged."""
    result = await session.execute(insert_ignore(session, StaffRole, {
        "user_key": user_key, "unit_id": unit_id, "granted_by": granted_by, "created": utcnow()}))
    added = bool(result.rowcount)  # type: ignore[attr-defined]
    log.info("staff role %s: %s for unit %s by %s", "granted" if added else "already held", user_key, unit_id, granted_by)
    return added


async def list_staff(session: AsyncSession) -> list[StaffRole]:
    """Every staff role, by unit then person."""
    rows = await session.execute(select(StaffRole).order_by(col(StaffRole.unit_id), col(StaffRole.user_key)))
    return list(rows.scalars())


def valid_user_key(text: str) -> bool:
    """`channel:user_id` as ADMINS writes it."""
    channel, _, user_id = text.partition(":")
    return bool(channel) and bool(user_id) and channel.replace("_", "").isalnum() and len(text) <= 96
