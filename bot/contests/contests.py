"""Contests in the database: create one with its rounds and join code, find, list."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.spec import ContestSpec, spec_from_settings
from bot.storage.models import Contest, ContestRound, utcnow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: codes are read aloud and typed


@dataclass(frozen=True)
class ContestInfo:
    """A stored contest with its parsed settings."""

    id: int
    code: str
    status: str
    spec: ContestSpec
    created_by: str
    closed_at: datetime | None

    def is_open(self, now: datetime) -> bool:
        return self.status == "open" and self.spec.opens <= now < self.spec.closes


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every time we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def contest_info(row: Contest) -> ContestInfo:
    assert row.id is not None
    spec = spec_from_settings(row.title, row.organiser, row.opens, row.closes, row.settings, row.code)
    return ContestInfo(row.id, row.code, row.status, spec, row.created_by,
                       as_utc(row.closed_at) if row.closed_at else None)


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


async def create_contest(session: AsyncSession, spec: ContestSpec, *, created_by: str,
                         now: datetime | None = None) -> ContestInfo:
    """Store a contest and its rounds; returns it with its join code (e.g. QCN24A)."""
    when = now or utcnow()
    for _ in range(20):
        code = spec.code or new_code()
        row = Contest(code=code, title=spec.title, organiser=spec.organiser, settings=spec.settings_json(),
                      created_by=created_by, opens=spec.opens, closes=spec.closes, created=when)
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:
            if spec.code:
                raise ValueError(f"the code {spec.code} is already taken") from None
            continue
        assert row.id is not None
        for no, (start, end) in enumerate(spec.round_windows(), start=1):
            session.add(ContestRound(contest_id=row.id, round_no=no, opens=start, closes=end))
        await session.flush()
        return contest_info(row)
    raise RuntimeError("could not find a free join code")


async def find_contest(session: AsyncSession, code: str) -> ContestInfo | None:
    """The contest with this join code (any letter case), or None."""
    cleaned = code.strip().upper()[:16]
    row = (await session.execute(select(Contest).where(col(Contest.code) == cleaned))).scalar_one_or_none()
    return contest_info(row) if row else None


async def get_contest(session: AsyncSession, contest_id: int) -> ContestInfo | None:
    row = await session.get(Contest, contest_id)
    return contest_info(row) if row else None


async def list_contests(session: AsyncSession, organisers: tuple[str, ...] | None = None) -> list[ContestInfo]:
    """Contests, newest first; only those of the given organisers when given."""
    query = select(Contest).order_by(col(Contest.id).desc())
    if organisers is not None:
        query = query.where(col(Contest.organiser).in_(organisers))
    return [contest_info(r) for r in (await session.execute(query)).scalars()]


async def open_contests(session: AsyncSession, now: datetime, limit: int = 5) -> list[ContestInfo]:
    """Contests taking part now, soonest closing first."""
    query = (select(Contest).where(col(Contest.status) == "open", col(Contest.opens) <= now, col(Contest.closes) > now)
             .order_by(col(Contest.closes)).limit(limit))
    return [contest_info(r) for r in (await session.execute(query)).scalars()]


async def rounds_of(session: AsyncSession, contest_id: int) -> list[ContestRound]:
    query = select(ContestRound).where(col(ContestRound.contest_id) == contest_id).order_by(col(ContestRound.round_no))
    return list((await session.execute(query)).scalars())


async def round_at(session: AsyncSession, contest_id: int, now: datetime) -> ContestRound | None:
    """The round that is running now (not yet closed), or None."""
    query = select(ContestRound).where(col(ContestRound.contest_id) == contest_id, col(ContestRound.opens) <= now,
                                       col(ContestRound.closes) > now, col(ContestRound.closed_at).is_(None))
    return (await session.execute(query)).scalars().first()
