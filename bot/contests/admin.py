"""What `rightsbot contest …` and `rightsbot staff …` do, apart from printing.

The command line acts as an admin by default (whoever holds the shell and DATABASE_URL already
is one); `--as channel:id` acts as that person instead, with their staff scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.contests import ContestInfo, as_utc, rounds_of
from bot.contests.roles import Actor, load_actor
from bot.contests.spec import ContestSpec, SpecError, check_spec, local_text, spec_from_mapping
from bot.quiz.bank import QuizBank
from bot.storage.models import Attempt, Registration
from bot.yamlfile import Problem, line_of, load_yaml

CLI_ACTOR = "cli:admin"
_KEY_IN_MESSAGE = re.compile(r"^`(\w+)`")


async def cli_actor(session: AsyncSession, as_key: str | None, admins: frozenset[str]) -> Actor:
    """The admin of the command line, or the person `--as` names (an admin only if ADMINS says so)."""
    if as_key is None:
        return Actor(CLI_ACTOR, True)
    return await load_actor(session, user_key=as_key, is_admin=as_key in admins)


def spec_from_file(path: Path, bank: QuizBank) -> tuple[ContestSpec | None, list[Problem]]:
    """A contest definition from a YAML file, checked against the units and the question bank.
    Problems carry the line of the setting they are about when it can be told."""
    data, problems = load_yaml(path)
    if problems:
        return None, problems
    try:
        spec = spec_from_mapping(data)
    except SpecError as exc:
        return None, [_problem(path, data, str(exc))]
    kinds = {u.kind for u in bank.units.values()}
    errors = check_spec(spec, bank.units, bank.topics, kinds)
    return (None if errors else spec), [_problem(path, data, e) for e in errors]


def _problem(path: Path, data: object, message: str) -> Problem:
    key = _KEY_IN_MESSAGE.match(message)
    return Problem(str(path), line_of(data, 1, key.group(1) if key else None), message)


@dataclass(frozen=True)
class ContestCounts:
    """How many registered and how many submitted at least one attempt (no names)."""

    registered: int
    took_part: int


async def contest_counts(session: AsyncSession, contest_id: int) -> ContestCounts:
    registered = await session.execute(select(func.count()).select_from(Registration)
                                       .where(col(Registration.contest_id) == contest_id))
    took_part = await session.execute(select(func.count(func.distinct(col(Attempt.registration_id))))
                                      .where(col(Attempt.contest_id) == contest_id,
                                             col(Attempt.status).in_(("finished", "expired"))))
    return ContestCounts(int(registered.scalar_one()), int(took_part.scalar_one()))


async def describe(session: AsyncSession, contest: ContestInfo, bank: QuizBank) -> list[str]:
    """`contest show`: every setting, the rounds, and the counts, as lines of text (times in Vietnam)."""
    spec = contest.spec
    organiser = bank.units.get(spec.organiser)
    counts = await contest_counts(session, contest.id)
    lines = [
        f"{contest.code}  {spec.title}",
        f"status: {contest.status}" + (f" (closed {local_text(contest.closed_at)})" if contest.closed_at else ""),
        f"organiser: {spec.organiser}" + (f" — {organiser.name}" if organiser else ""),
        f"opens: {local_text(spec.opens)}   closes: {local_text(spec.closes)} (Vietnam time)",
        f"questions: {spec.questions}   time limit: {spec.time_limit_min} min   "
        f"attempts: {spec.attempts or 'unlimited'} ({spec.counts} counts)",
        f"topics: {_weights(spec.topics) or 'all'}   difficulty: {_weights(spec.difficulty) or 'any'}",
        f"fields: {', '.join(spec.fields)}   prediction: {spec.prediction}   leaderboard: {spec.leaderboard}",
        f"eligible: {', '.join(spec.eligible) or spec.organiser + ' and the units below it'}",
        f"created by: {contest.created_by}",
        f"registered: {counts.registered}   took part: {counts.took_part}",
    ]
    for row in await rounds_of(session, contest.id):
        state = f"closed, actual {row.actual}" if row.closed_at else "open"
        lines.append(f"round {row.round_no}: {local_text(as_utc(row.opens))} → {local_text(as_utc(row.closes))} ({state})")
    return lines


def _weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in weights.items())
