"""Everything a contest's result files show, read once from the database.

The ranking and unit results are the engine's own (`bot.contests.results.standings`), so the
spreadsheet, the chart, the chat summary and the announcement can never disagree.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.contests import ContestInfo, as_utc, rounds_of
from bot.contests.results import Standings, standings
from bot.contests.spec import LOCAL
from bot.quiz.bank import LETTERS, QuizBank
from bot.quiz.units import Unit
from bot.storage.models import Attempt, AttemptAnswer, ContestRound, Registration, utcnow

SUBMITTED = ("finished", "expired")


@dataclass(frozen=True)
class Participant:
    """One registration, with only what the contest asked for (the rest stays None)."""

    registration_id: int
    unit_id: str
    full_name: str | None
    birth_year: int | None
    class_name: str | None
    phone: str | None
    erased: bool
    registered: datetime
    attempts: int                       # submitted attempts (finished or timed out)


@dataclass(frozen=True)
class QuestionRow:
    """How one question did over every answer in the contest."""

    question_id: str
    topic: str
    difficulty: str
    text: str
    answered: int
    correct: int
    wrong_option: str | None            # the most chosen wrong option, "B. its text"
    wrong_count: int

    @property
    def percent(self) -> float:
        return round(100 * self.correct / self.answered, 1) if self.answered else 0.0


@dataclass(frozen=True)
class DayCount:
    """Participation on one local day: attempts submitted, people taking part for the first time."""

    day: date
    attempts: int
    new_people: int
    people_so_far: int


@dataclass(frozen=True)
class RoundResult:
    round_no: int
    opens: datetime
    closes: datetime
    closed: bool
    standings: Standings


@dataclass
class ContestReport:
    """A contest's settings, whole-contest standings, each round, participants, questions, days."""

    contest: ContestInfo
    units: dict[str, Unit]
    overall: Standings
    rounds: list[RoundResult] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    questions: list[QuestionRow] = field(default_factory=list)
    days: list[DayCount] = field(default_factory=list)
    generated: datetime = field(default_factory=utcnow)

    def unit_name(self, unit_id: str | None) -> str:
        if unit_id is None:
            return ""
        unit = self.units.get(unit_id)
        return unit.name if unit else unit_id

    @property
    def organiser_name(self) -> str:
        return self.unit_name(self.contest.spec.organiser)


async def contest_report(session: AsyncSession, contest: ContestInfo, bank: QuizBank,
                         now: datetime | None = None) -> ContestReport:
    """Read one contest's results: standings (whole and per round), participants, questions, days."""
    overall = await standings(session, contest, bank.units, None)
    report = ContestReport(contest, bank.units, overall, generated=now or utcnow())
    round_rows: list[ContestRound] = await rounds_of(session, contest.id)
    for row in round_rows:
        report.rounds.append(RoundResult(row.round_no, as_utc(row.opens), as_utc(row.closes), row.closed_at is not None,
                                         await standings(session, contest, bank.units, row.round_no)))
    report.participants = await _participants(session, contest.id)
    report.questions = await _questions(session, contest.id, bank)
    report.days = await _days(session, contest.id)
    return report


async def _participants(session: AsyncSession, contest_id: int) -> list[Participant]:
    attempts = Counter[int]()
    rows = await session.execute(select(col(Attempt.registration_id)).where(
        col(Attempt.contest_id) == contest_id, col(Attempt.status).in_(SUBMITTED)))
    for (registration_id,) in rows:
        if registration_id is not None:
            attempts[int(registration_id)] += 1
    regs = await session.execute(select(Registration).where(col(Registration.contest_id) == contest_id)
                                 .order_by(col(Registration.id)))
    people = []
    for reg in regs.scalars():
        assert reg.id is not None
        people.append(Participant(reg.id, reg.unit_id, reg.full_name, reg.birth_year, reg.class_name, reg.phone,
                                  reg.erased, as_utc(reg.created), attempts[reg.id]))
    return people


async def _questions(session: AsyncSession, contest_id: int, bank: QuizBank) -> list[QuestionRow]:
    """Percent right per question, and which wrong option people chose most (read from each
    attempt's snapshot: options were shuffled per attempt, so the stored index means nothing alone)."""
    snapshots: dict[int, list[dict[str, object]]] = {}
    rows = await session.execute(select(col(Attempt.id), col(Attempt.questions)).where(col(Attempt.contest_id) == contest_id))
    for attempt_id, text in rows:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            continue
        shown = data.get("questions") if isinstance(data, dict) else None
        if isinstance(shown, list):
            snapshots[int(attempt_id or 0)] = shown
    answered = Counter[str]()
    correct = Counter[str]()
    wrong: dict[str, Counter[str]] = defaultdict(Counter)
    texts: dict[str, str] = {}
    topics: dict[str, str] = {}
    answers = await session.execute(
        select(col(AttemptAnswer.attempt_id), col(AttemptAnswer.question_no), col(AttemptAnswer.question_id),
               col(AttemptAnswer.option), col(AttemptAnswer.correct))
        .join(Attempt, col(Attempt.id) == col(AttemptAnswer.attempt_id)).where(col(Attempt.contest_id) == contest_id))
    for attempt_id, question_no, question_id, option, is_right in answers:
        answered[question_id] += 1
        shown = snapshots.get(int(attempt_id), [])
        question = shown[question_no] if 0 <= question_no < len(shown) else {}
        if isinstance(question, dict):
            texts.setdefault(question_id, str(question.get("question") or ""))
            topics.setdefault(question_id, str(question.get("topic") or ""))
        if is_right:
            correct[question_id] += 1
            continue
        options = question.get("options") if isinstance(question, dict) else None
        if isinstance(options, list) and 0 <= option < len(options):
            wrong[question_id][str(options[option])] += 1
    result = []
    for question_id, n in answered.items():
        in_bank = bank.questions.get(question_id)
        top = wrong[question_id].most_common(1)
        wrong_text, wrong_n = top[0] if top else (None, 0)
        result.append(QuestionRow(
            question_id=question_id,
            topic=in_bank.topic if in_bank else topics.get(question_id, ""),
            difficulty=in_bank.difficulty if in_bank else "",
            text=texts.get(question_id) or (in_bank.vi.question if in_bank else ""),
            answered=n, correct=correct[question_id],
            wrong_option=_lettered(wrong_text, in_bank.vi.options if in_bank else ()) if wrong_text else None,
            wrong_count=wrong_n))
    return sorted(result, key=lambda q: (q.percent, q.question_id))


def _lettered(option: str, bank_options: tuple[str, ...]) -> str:
    """An option as the question bank letters it (A–D in bank order), when the bank still has it."""
    return f"{LETTERS[bank_options.index(option)]}. {option}" if option in bank_options else option


async def _days(session: AsyncSession, contest_id: int) -> list[DayCount]:
    rows = await session.execute(
        select(col(Attempt.registration_id), col(Attempt.finished), col(Attempt.started))
        .where(col(Attempt.contest_id) == contest_id, col(Attempt.status).in_(SUBMITTED)))
    attempts = Counter[date]()
    first_day: dict[int, date] = {}
    for registration_id, finished, started in rows:
        day = local_day(finished or started)
        attempts[day] += 1
        if registration_id is not None:
            key = int(registration_id)
            first_day[key] = min(first_day.get(key, day), day)
    new_people = Counter(first_day.values())
    days, so_far = [], 0
    for day in sorted(attempts):
        so_far += new_people[day]
        days.append(DayCount(day, attempts[day], new_people[day], so_far))
    return days


def local_day(moment: datetime) -> date:
    """The calendar day in Vietnam."""
    return as_utc(moment).astimezone(LOCAL).date()


def local_time(moment: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam, as agencies write it."""
    return "" if moment is None else as_utc(moment).astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def duration_text(ms: int) -> str:
    """mm:ss (hh:mm:ss past an hour)."""
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
