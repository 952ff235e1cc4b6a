"""Closing rounds and contests, rankings, unit results, per-question statistics, and people's results."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.attempts import expire_attempt
from bot.contests.contests import ContestInfo, as_utc, get_contest, rounds_of
from bot.contests.ranking import (
    Entry,
    Ranked,
    UnitResult,
    actual_figure,
    award_prizes,
    counted_entries,
    rank_entries,
    unit_results,
)
from bot.core.quiz_texts import qt
from bot.quiz.units import Unit, is_eligible
from bot.storage.broadcasts import Outgoing, enqueue_broadcast
from bot.storage.models import Attempt, AttemptAnswer, Contest, ContestRound, RankingRow, Registration
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)
_ATTEMPTS: Table = Attempt.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Standings:
    """A round's (or the whole contest's) ranking and unit results, and the prediction's true figure."""

    round_no: int | None
    actual: int | None
    ranking: list[Ranked]
    units: list[UnitResult]


@dataclass(frozen=True)
class QuestionStat:
    """How often one question was answered right, to spot bad questions."""

    question_id: str
    answered: int
    correct: int

    @property
    def percent(self) -> float:
        return round(100 * self.correct / self.answered, 1) if self.answered else 0.0


async def round_entries(session: AsyncSession, contest_id: int, round_no: int | None) -> list[Entry]:
    """Every submitted (finished or timed-out) attempt of a round, or of the whole contest for None."""
    query = (select(col(Attempt.id), col(Attempt.registration_id), col(Registration.unit_id), col(Attempt.score),
                    col(Attempt.n_questions), col(Attempt.duration_ms), col(Attempt.finished), col(Attempt.started),
                    col(Attempt.prediction))
             .join(Registration, col(Registration.id) == col(Attempt.registration_id))
             .where(col(Attempt.contest_id) == contest_id, col(Attempt.status).in_(("finished", "expired"))))
    if round_no is not None:
        query = query.where(col(Attempt.round_no) == round_no)
    rows = await session.execute(query)
    return [Entry(registration_id=int(r[1] or 0), attempt_id=int(r[0] or 0), unit_id=r[2], score=r[3], n_questions=r[4],
                  duration_ms=r[5] or 0, submitted=as_utc(r[6] or r[7]), started=as_utc(r[7]), prediction=r[8])
            for r in rows]


def eligible_units(contest: ContestInfo, units: dict[str, Unit]) -> dict[str, Unit]:
    """The units whose members may take part: eligible and with no unit below them."""
    wanted = contest.spec.eligible or (contest.spec.organiser,)
    parents = {u.parent for u in units.values() if u.parent}
    return {uid: u for uid, u in units.items() if uid not in parents and is_eligible(units, uid, wanted)}


def compute_standings(contest: ContestInfo, entries: list[Entry], units: dict[str, Unit], round_no: int | None,
                      actual: int | None = None) -> Standings:
    """Rank people by the contest's rules and sum up each unit."""
    spec = contest.spec
    counted = counted_entries(entries, spec.counts, actual)
    if actual is None:
        actual = actual_figure(spec.prediction, counted)
        counted = counted_entries(entries, spec.counts, actual)
    ranking = award_prizes(rank_entries(counted, actual), spec.prizes, spec.prize_cap)
    members = {uid: u.members for uid, u in eligible_units(contest, units).items()}
    for r in ranking:
        members.setdefault(r.entry.unit_id, units[r.entry.unit_id].members if r.entry.unit_id in units else None)
    return Standings(round_no, actual, ranking, unit_results(ranking, members, spec.unit_points))


async def standings(session: AsyncSession, contest: ContestInfo, units: dict[str, Unit],
                    round_no: int | None) -> Standings:
    """Standings of a round (with the figure fixed at its close) or of the whole contest."""
    actual = None
    if round_no is not None:
        row = (await session.execute(select(ContestRound).where(
            col(ContestRound.contest_id) == contest.id, col(ContestRound.round_no) == round_no))).scalar_one_or_none()
        actual = row.actual if row is not None else None
    return compute_standings(contest, await round_entries(session, contest.id, round_no), units, round_no, actual)


async def close_round(session: AsyncSession, contest: ContestInfo, round_row: ContestRound, units: dict[str, Unit],
                      now: datetime) -> Standings:
    """Fix a round's ranking, store it, and queue each participant's result message (once)."""
    await _expire_running(session, contest.id, round_row.round_no, now)
    result = await standings(session, contest, units, round_row.round_no)
    rows = [{"contest_id": contest.id, "round_no": round_row.round_no, "rank": r.rank,
             "registration_id": r.entry.registration_id, "attempt_id": r.entry.attempt_id, "unit_id": r.entry.unit_id,
             "score": r.entry.score, "gap": r.gap, "duration_ms": r.entry.duration_ms, "submitted": r.entry.submitted,
             "prize": r.prize} for r in result.ranking]
    if rows:
        await session.execute(insert_ignore(session, RankingRow, rows))
    await session.execute(update(ContestRound).where(col(ContestRound.id) == round_row.id)
                          .values(closed_at=now, actual=result.actual))
    await enqueue_broadcast(session, await _result_messages(session, contest, round_row.round_no, result), now)
    log.info("contest %s round %s closed: %d ranked", contest.code, round_row.round_no, len(result.ranking))
    return result


async def _expire_running(session: AsyncSession, contest_id: int, round_no: int, now: datetime) -> None:
    c = _ATTEMPTS.c
    ids = (await session.execute(select(c.id).where(
        c.contest_id == contest_id, c.round_no == round_no, c.status == "active"))).scalars().all()
    for attempt_id in ids:
        await _cap_deadline(session, attempt_id, now)
        await expire_attempt(session, attempt_id=attempt_id, now=now)


async def _cap_deadline(session: AsyncSession, attempt_id: int, now: datetime) -> None:
    c = _ATTEMPTS.c
    await session.execute(update(_ATTEMPTS).where(c.id == attempt_id)
                          .values(deadline=case((c.deadline > now, now), else_=c.deadline)))


async def _result_messages(session: AsyncSession, contest: ContestInfo, round_no: int, result: Standings) -> list[Outgoing]:
    by_attempt = {r.entry.attempt_id: r for r in result.ranking}
    if not by_attempt:
        return []
    c = _ATTEMPTS.c
    rows = await session.execute(select(c.id, c.channel, c.chat_id, c.lang).where(c.id.in_(list(by_attempt))))
    messages = []
    for attempt_id, channel, chat_id, lang in rows:
        r = by_attempt[attempt_id]
        text = qt("result_broadcast", lang, title=contest.spec.title, round=str(round_no), rank=str(r.rank),
                  total=str(len(result.ranking)), score=str(r.entry.score), n=str(r.entry.n_questions), code=contest.code)
        messages.append(Outgoing("round_result", f"{contest.id}:{round_no}", channel, chat_id, text))
    return messages


async def close_due_rounds(session: AsyncSession, units: dict[str, Unit], now: datetime, limit: int = 20) -> int:
    """Close every round whose time is over, exactly once across processes; returns how many."""
    query = (select(ContestRound).where(col(ContestRound.closed_at).is_(None), col(ContestRound.closes) <= now)
             .order_by(col(ContestRound.closes)).limit(limit))
    if _is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    due = list((await session.execute(query)).scalars())
    for round_row in due:
        contest = await get_contest(session, round_row.contest_id)
        if contest is not None:
            await close_round(session, contest, round_row, units, now)
            await _close_if_done(session, contest.id, now)
    return len(due)


async def _close_if_done(session: AsyncSession, contest_id: int, now: datetime) -> None:
    open_rounds = (await session.execute(select(func.count()).select_from(ContestRound).where(
        col(ContestRound.contest_id) == contest_id, col(ContestRound.closed_at).is_(None)))).scalar_one()
    if not open_rounds:
        await session.execute(update(Contest).where(col(Contest.id) == contest_id, col(Contest.status) == "open")
                              .values(status="closed", closed_at=now))


async def close_contest_now(session: AsyncSession, contest: ContestInfo, units: dict[str, Unit], now: datetime) -> int:
    """Close a contest early: running attempts are submitted as they are, open rounds are ranked. Returns rounds closed."""
    await session.execute(update(Contest).where(col(Contest.id) == contest.id)
                          .values(closes=now, status="closed", closed_at=now))
    closed = 0
    for round_row in await rounds_of(session, contest.id):
        if round_row.closed_at is not None:
            continue
        if as_utc(round_row.closes) > now:
            await session.execute(update(ContestRound).where(col(ContestRound.id) == round_row.id).values(closes=now))
        await close_round(session, contest, round_row, units, now)
        closed += 1
    return closed


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def close_expired(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Submit every attempt whose deadline has passed, exactly once across processes, and queue a
    time-up note to each person. Returns how many this caller closed."""
    c = _ATTEMPTS.c
    query = (select(c.id, c.channel, c.chat_id, c.lang, c.score, c.n_questions, c.mode)
             .where(c.status == "active", c.deadline.is_not(None), c.deadline <= now).order_by(c.deadline).limit(limit))
    if _is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    rows = (await session.execute(query)).all()
    notes = []
    for row in rows:
        if await expire_attempt(session, attempt_id=row.id, now=now):
            notes.append(Outgoing("time_up", str(row.id), row.channel, row.chat_id,
                                  qt("time_up_note", row.lang, score=str(row.score), n=str(row.n_questions))))
    await enqueue_broadcast(session, notes, now)
    return len(notes)


async def question_stats(session: AsyncSession, contest_id: int) -> list[QuestionStat]:
    """Percent right per question over every answer in the contest, hardest first."""
    correct = func.sum(case((col(AttemptAnswer.correct), 1), else_=0))
    rows = await session.execute(
        select(col(AttemptAnswer.question_id), func.count(), correct)
        .join(Attempt, col(Attempt.id) == col(AttemptAnswer.attempt_id))
        .where(col(Attempt.contest_id) == contest_id).group_by(col(AttemptAnswer.question_id)))
    stats = [QuestionStat(str(r[0]), int(r[1]), int(r[2] or 0)) for r in rows]
    return sorted(stats, key=lambda s: (s.percent, s.question_id))


async def stored_ranking(session: AsyncSession, contest_id: int, round_no: int) -> list[RankingRow]:
    rows = await session.execute(select(RankingRow).where(col(RankingRow.contest_id) == contest_id,
                                                          col(RankingRow.round_no) == round_no)
                                 .order_by(col(RankingRow.rank)))
    return list(rows.scalars())


async def my_attempts(session: AsyncSession, user_id: int, limit: int = 10) -> list[tuple[Attempt, str | None]]:
    """A person's latest contest attempts with each contest's code."""
    rows = await session.execute(
        select(Attempt, col(Contest.code)).join(Contest, col(Contest.id) == col(Attempt.contest_id))
        .where(col(Attempt.user_id) == user_id, col(Attempt.mode) == "contest")
        .order_by(col(Attempt.id).desc()).limit(limit))
    return [(r[0], r[1]) for r in rows]

