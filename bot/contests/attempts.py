"""Attempts: start one, record an answer exactly once, the prediction, and closing on time.

The hot path (`answer_question`) reads nothing: a conditional `UPDATE … RETURNING` moves the
attempt on (it decides every race) and the answer is inserted with `ON CONFLICT DO NOTHING` on
(attempt, question): one statement on PostgreSQL (a data-modifying CTE), two on SQLite. What an
attempt can never change (owner, start, question snapshot) is kept per process in `_fixed`;
nothing that changes is.
"""

from __future__ import annotations

import json
import random
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, Table, Update, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.contests import ContestInfo, as_utc, round_at
from bot.quiz.bank import QuizBank
from bot.quiz.draw import ShownQuestion, draw_questions, parse_snapshot_rows, shared, snapshot_rows
from bot.storage.db import connection_of
from bot.storage.direct import Direct
from bot.storage.models import Attempt, AttemptAnswer, Registration

PRACTICE_QUESTIONS = 10
_CACHE_SIZE = 20_000
_TABLE: Table = Attempt.__table__  # type: ignore[attr-defined]
_A = _TABLE.c


@dataclass(frozen=True)
class Snapshot:
    """What an attempt showed: its questions and which prediction question (if any) follows them."""

    questions: tuple[ShownQuestion, ...]
    predict: str = "off"


@dataclass(frozen=True)
class AttemptView:
    """An attempt as the dialogue needs it."""

    id: int
    user_id: int
    mode: str
    contest_id: int | None
    round_no: int
    status: str
    n_questions: int
    current_no: int
    score: int
    prediction: int | None
    started: datetime
    deadline: datetime | None
    finished: datetime | None
    duration_ms: int | None
    lang: str
    snapshot: Snapshot

    @property
    def awaiting_prediction(self) -> bool:
        return self.status == "active" and self.current_no >= self.n_questions and self.snapshot.predict != "off"

    @property
    def current(self) -> ShownQuestion | None:
        if self.status != "active" or self.current_no >= self.n_questions:
            return None
        return self.snapshot.questions[self.current_no]

    def seconds_left(self, now: datetime) -> int | None:
        return None if self.deadline is None else max(0, int((self.deadline - now).total_seconds()))


@dataclass(frozen=True)
class AnswerOutcome:
    """What happened to one answer: recorded | duplicate | stale | foreign | expired | closed | missing."""

    status: str
    attempt: AttemptView | None = None
    correct: bool | None = None
    question: ShownQuestion | None = None


class StartRefused(Exception):
    """An attempt cannot start; `reason` is a text key: not_open | closed | no_attempts_left."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Fixed:
    """What never changes once an attempt exists: owner, kind, start, language and questions.

    This is the only thing about attempts a process keeps (`_fixed`): the running state
    (status, question, score, deadline) is always read or checked in the database.
    """

    user_id: int
    mode: str
    contest_id: int | None
    round_no: int
    n_questions: int
    lang: str
    started: datetime
    snapshot: Snapshot


_fixed: OrderedDict[tuple[str, int], _Fixed] = OrderedDict()


_database_names: dict[int, tuple[object, str]] = {}   # id(URL) -> (the URL, kept alive; its text)


def _key(session: AsyncSession, attempt_id: int) -> tuple[str, int]:
    # The database's URL as text, so two engines on one database share entries. SQLAlchemy's
    # `URL.__hash__` renders the URL on every call (7 % of a chat turn's CPU, profiled), so the
    # text is worked out once per URL object.
    url = getattr(session.bind, "url", None)
    known = _database_names.get(id(url))
    if known is None:
        known = _database_names[id(url)] = (url, str(url))
    return known[1], attempt_id


def _keep(key: tuple[str, int], fixed: _Fixed) -> None:
    _fixed[key] = fixed
    _fixed.move_to_end(key)
    if len(_fixed) > _CACHE_SIZE:
        _fixed.popitem(last=False)


def _encode(snapshot: Snapshot) -> str:
    return json.dumps({"predict": snapshot.predict, "questions": snapshot_rows(snapshot.questions)},
                      ensure_ascii=False, separators=(",", ":"))


def _decode(text: str) -> Snapshot:
    data = json.loads(text)
    return Snapshot(tuple(parse_snapshot_rows(data["questions"])), str(data.get("predict") or "off"))


_VIEW_COLUMNS = (_A.id, _A.user_id, _A.mode, _A.contest_id, _A.round_no, _A.status, _A.n_questions, _A.current_no,
                 _A.score, _A.prediction, _A.started, _A.deadline, _A.finished, _A.duration_ms, _A.lang)


_VIEW = Direct(select(*_VIEW_COLUMNS).where(_A.id == bindparam("a_id")))
_QUESTIONS = Direct(select(_A.questions).where(_A.id == bindparam("a_id")))


async def load_attempt(session: AsyncSession, attempt_id: int) -> AttemptView | None:
    """The attempt with its snapshot, or None when there is no such attempt."""
    conn = await connection_of(session)
    row = (await _VIEW.run(conn, {"a_id": attempt_id})).first()
    if row is None:
        return None
    started = as_utc(row.started)
    key = _key(session, attempt_id)
    fixed = _fixed.get(key)
    if fixed is None or fixed.started != started or fixed.user_id != row.user_id:
        text = (await _QUESTIONS.run(conn, {"a_id": attempt_id})).rows[0].questions
        fixed = _Fixed(user_id=row.user_id, mode=row.mode, contest_id=row.contest_id, round_no=row.round_no,
                       n_questions=row.n_questions, lang=row.lang, started=started, snapshot=_decode(text))
    _keep(key, fixed)
    return AttemptView(
        id=row.id, user_id=row.user_id, mode=row.mode, contest_id=row.contest_id, round_no=row.round_no,
        status=row.status, n_questions=row.n_questions, current_no=row.current_no, score=row.score,
        prediction=row.prediction, started=started, deadline=as_utc(row.deadline) if row.deadline else None,
        finished=as_utc(row.finished) if row.finished else None, duration_ms=row.duration_ms, lang=row.lang,
        snapshot=fixed.snapshot)


def _ms(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() * 1000))


# --- The hot path: statements built once (SQLAlchemy then reuses their cache key and compiled
# form), executed on the session's Core connection, so no ORM work per answer.

def _advance(finishing: bool) -> Update:
    """Move the attempt on from question `a_no` only if it is still this user's, running, on
    that question and in time; the one statement that decides every race."""
    values: dict[str, Any] = {"current_no": bindparam("a_next"), "score": _A.score + bindparam("a_ok", type_=Integer)}
    if finishing:
        values.update(status="finished", finished=bindparam("a_now"), duration_ms=bindparam("a_ms"))
    return (update(_TABLE)
            .where(_A.id == bindparam("a_id"), _A.user_id == bindparam("a_user"), _A.status == "active",
                   _A.current_no == bindparam("a_no"), _A.started == bindparam("a_started"),
                   or_(_A.deadline.is_(None), _A.deadline > bindparam("a_now")))
            .values(values)
            .returning(_A.score, _A.deadline))


_ANSWER_TABLE: Table = AttemptAnswer.__table__  # type: ignore[attr-defined]
_ANSWER_VALUES: dict[str, Any] = {"attempt_id": bindparam("a_id"), "question_no": bindparam("a_no"), "question_id": bindparam("q_id"),
                  "option": bindparam("q_opt"), "correct": bindparam("q_ok"), "answered": bindparam("a_now")}


def _pg_advance_and_store(finishing: bool) -> Select[Any]:
    """PostgreSQL: the conditional update and the answer's insert in ONE statement (a
    data-modifying CTE); the insert runs only when the update moved the attempt."""
    moved = _advance(finishing).cte("moved")
    c = _ANSWER_TABLE.c
    stored = (postgresql.insert(_ANSWER_TABLE)
              .from_select(list(_ANSWER_VALUES), select(
                  bindparam("a_id", type_=c.attempt_id.type), bindparam("a_no", type_=c.question_no.type),
                  bindparam("q_id", type_=c.question_id.type), bindparam("q_opt", type_=c.option.type),
                  bindparam("q_ok", type_=c.correct.type), bindparam("a_now", type_=c.answered.type))
                  .select_from(moved))
              .on_conflict_do_nothing()
              .cte("stored"))
    return select(moved.c.score, moved.c.deadline).add_cte(stored)


_STORE = Direct(sqlite.insert(_ANSWER_TABLE).values(_ANSWER_VALUES).on_conflict_do_nothing())
_STATEMENTS: dict[tuple[str, bool], tuple[Direct, Direct | None]] = {
    ("sqlite", False): (Direct(_advance(False)), _STORE),
    ("sqlite", True): (Direct(_advance(True)), _STORE),
    ("postgresql", False): (Direct(_pg_advance_and_store(False)), None),
    ("postgresql", True): (Direct(_pg_advance_and_store(True)), None),
}


async def answer_question(session: AsyncSession, *, attempt_id: int, user_id: int, question_no: int, option: int,
                          now: datetime) -> AnswerOutcome:
    """Record one answer exactly once. A double press, a stale or foreign button changes nothing;
    an answer after the deadline closes the attempt first (and is not counted)."""
    fixed = _fixed.get(_key(session, attempt_id))
    if fixed is not None and fixed.user_id == user_id and 0 <= option < 4 and 0 <= question_no < fixed.n_questions:
        recorded = await _record_fast(session, attempt_id, fixed, question_no, option, now)
        if recorded is not None:
            return recorded
    return await _record_checked(session, attempt_id=attempt_id, user_id=user_id, question_no=question_no,
                                 option=option, now=now)


async def _record_fast(session: AsyncSession, attempt_id: int, fixed: _Fixed, question_no: int, option: int,
                       now: datetime) -> AnswerOutcome | None:
    """The common case: one conditional UPDATE … RETURNING moves the attempt on (only if it is
    still this user's, running, on this question and in time), and the answer is stored under
    its (attempt, question) key with ON CONFLICT DO NOTHING. One statement on PostgreSQL, two
    on SQLite. None when the update matched nothing (the careful path then says why)."""
    question = fixed.snapshot.questions[question_no]
    correct = option == question.correct
    finishing = question_no + 1 >= fixed.n_questions and fixed.snapshot.predict == "off"
    params: dict[str, Any] = {"a_id": attempt_id, "a_user": fixed.user_id, "a_no": question_no,
                              "a_next": question_no + 1, "a_ok": int(correct), "a_started": fixed.started, "a_now": now,
                              "q_id": question.id, "q_opt": option, "q_ok": correct}
    if finishing:
        params["a_ms"] = _ms(fixed.started, now)
    conn = await connection_of(session)
    advance, store = _STATEMENTS[("postgresql" if conn.dialect.name == "postgresql" else "sqlite", finishing)]
    moved = (await advance.run(conn, params)).first()
    if moved is None:
        return None
    if store is not None:
        await store.run(conn, params)
    view = AttemptView(
        id=attempt_id, user_id=fixed.user_id, mode=fixed.mode, contest_id=fixed.contest_id, round_no=fixed.round_no,
        status="finished" if finishing else "active", n_questions=fixed.n_questions, current_no=question_no + 1,
        score=int(moved.score), prediction=None, started=fixed.started,
        deadline=as_utc(moved.deadline) if moved.deadline else None, finished=now if finishing else None,
        duration_ms=params.get("a_ms"), lang=fixed.lang, snapshot=fixed.snapshot)
    return AnswerOutcome("recorded", view, correct, question)


async def _record_checked(session: AsyncSession, *, attempt_id: int, user_id: int, question_no: int, option: int,
                          now: datetime) -> AnswerOutcome:
    """The careful path: read the attempt and say exactly why an answer is not taken."""
    attempt = await load_attempt(session, attempt_id)
    if attempt is None:
        return AnswerOutcome("missing")
    if attempt.user_id != user_id:
        return AnswerOutcome("foreign")
    if attempt.status != "active":
        return AnswerOutcome("closed", attempt)
    if attempt.deadline is not None and now >= attempt.deadline:
        await expire_attempt(session, attempt_id=attempt_id, now=now)
        return AnswerOutcome("expired", await load_attempt(session, attempt_id))
    if question_no < attempt.current_no:
        return AnswerOutcome("duplicate", attempt)
    if question_no != attempt.current_no or not 0 <= option < 4 or question_no >= attempt.n_questions:
        return AnswerOutcome("stale", attempt)
    fixed = _fixed.get(_key(session, attempt_id))
    recorded = await _record_fast(session, attempt_id, fixed, question_no, option, now) if fixed else None
    return recorded or AnswerOutcome("duplicate", attempt)


async def submit_prediction(session: AsyncSession, *, attempt_id: int, user_id: int, value: int,
                            now: datetime) -> AnswerOutcome:
    """The unscored prediction that ends a contest attempt; only once, only before the deadline."""
    attempt = await load_attempt(session, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        return AnswerOutcome("foreign")
    if attempt.deadline is not None and now >= attempt.deadline and attempt.status == "active":
        await expire_attempt(session, attempt_id=attempt_id, now=now)
        return AnswerOutcome("expired", await load_attempt(session, attempt_id))
    if not attempt.awaiting_prediction:
        return AnswerOutcome("closed", attempt)
    result = await session.execute(
        update(_TABLE).where(_A.id == attempt_id, _A.status == "active")
        .values(prediction=value, status="finished", finished=now, duration_ms=_ms(attempt.started, now)))
    if not result.rowcount:  # type: ignore[attr-defined]
        return AnswerOutcome("closed", attempt)
    return AnswerOutcome("recorded", await load_attempt(session, attempt_id))


async def expire_attempt(session: AsyncSession, *, attempt_id: int, now: datetime) -> bool:
    """Close an attempt whose time is up, with the score it has; True only for the one caller that closed it."""
    row = (await session.execute(select(_A.started, _A.deadline).where(_A.id == attempt_id))).first()
    if row is None:
        return False
    end = as_utc(row.deadline) if row.deadline else now
    result = await session.execute(
        update(_TABLE).where(_A.id == attempt_id, _A.status == "active")
        .values(status="expired", finished=end, duration_ms=_ms(as_utc(row.started), end)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def active_attempt(session: AsyncSession, *, user_id: int, contest_id: int | None) -> int | None:
    """The id of the user's attempt in progress in this contest (or practice, for None)."""
    query = select(_A.id).where(_A.user_id == user_id, _A.status == "active").order_by(_A.id.desc()).limit(1)
    query = query.where(_A.contest_id == contest_id) if contest_id is not None else query.where(_A.mode == "practice")
    return (await session.execute(query)).scalar_one_or_none()


async def start_practice(session: AsyncSession, bank: QuizBank, *, user_id: int, channel: str, chat_id: str,
                         lang: str, topic: str | None, now: datetime, rng: random.Random,
                         only_ids: list[str] | None = None) -> int:
    """A new practice run of 10 questions (or the given ones); an unfinished earlier run is set aside."""
    await session.execute(update(_TABLE)
                          .where(_A.user_id == user_id, _A.mode == "practice", _A.status == "active")
                          .values(status="abandoned", finished=now))
    questions = draw_questions(bank, PRACTICE_QUESTIONS, rng, topics=[topic] if topic else None, only_ids=only_ids)
    return await _insert_attempt(session, user_id=user_id, mode="practice", contest_id=None, round_no=0,
                                 registration_id=None, channel=channel, chat_id=chat_id, lang=lang,
                                 snapshot=Snapshot(tuple(questions)), started=now, deadline=None)


async def start_contest_attempt(session: AsyncSession, bank: QuizBank, contest: ContestInfo, *, registration_id: int,
                                user_id: int, channel: str, chat_id: str, lang: str, now: datetime,
                                rng: random.Random) -> int:
    """The user's attempt in progress, or a new one with its own questions and a server-side deadline.

    Raises StartRefused when the contest is not running or the attempts allowed are used up.
    """
    # Touching the registration row first serialises two starts by the same person (a row lock
    # in PostgreSQL, the write lock in SQLite), so a double press never opens two attempts.
    await session.execute(update(Registration).where(col(Registration.id) == registration_id)
                          .values(unit_id=col(Registration.unit_id)))
    running = await active_attempt(session, user_id=user_id, contest_id=contest.id)
    if running is not None:
        return running
    if contest.status != "open" or now >= contest.spec.closes:
        raise StartRefused("closed")
    current = await round_at(session, contest.id, now)
    if current is None or now < contest.spec.opens:
        raise StartRefused("not_open")
    used = (await session.execute(select(func.count()).select_from(Attempt).where(
        col(Attempt.registration_id) == registration_id, col(Attempt.round_no) == current.round_no))).scalar_one()
    if contest.spec.attempts and used >= contest.spec.attempts:
        raise StartRefused("no_attempts_left")
    spec = contest.spec
    questions = draw_questions(bank, spec.questions, rng, topics=spec.topics or None, difficulty=spec.difficulty or None)
    deadline = min(now + timedelta(minutes=spec.time_limit_min), as_utc(current.closes))
    return await _insert_attempt(session, user_id=user_id, mode="contest", contest_id=contest.id,
                                 round_no=current.round_no, registration_id=registration_id, channel=channel,
                                 chat_id=chat_id, lang=lang, snapshot=Snapshot(tuple(questions), spec.prediction),
                                 started=now, deadline=deadline)


async def _insert_attempt(session: AsyncSession, *, user_id: int, mode: str, contest_id: int | None, round_no: int,
                          registration_id: int | None, channel: str, chat_id: str, lang: str, snapshot: Snapshot,
                          started: datetime, deadline: datetime | None) -> int:
    row = Attempt(user_id=user_id, mode=mode, contest_id=contest_id, round_no=round_no,
                  registration_id=registration_id, channel=channel[:16], chat_id=chat_id[:64], lang=lang,
                  questions=_encode(snapshot), n_questions=len(snapshot.questions), started=started, deadline=deadline)
    session.add(row)
    await session.flush()
    assert row.id is not None
    # Known already: the first load_attempt reads the running state only, not the snapshot back.
    _keep(_key(session, row.id), _Fixed(
        user_id=user_id, mode=mode, contest_id=contest_id, round_no=round_no, n_questions=len(snapshot.questions),
        lang=lang, started=as_utc(started), snapshot=Snapshot(tuple(map(shared, snapshot.questions)), snapshot.predict)))
    return row.id


async def answered_options(session: AsyncSession, attempt_id: int) -> dict[int, tuple[int, bool]]:
    """question_no → (option chosen, right or wrong) for one attempt."""
    rows = await session.execute(select(col(AttemptAnswer.question_no), col(AttemptAnswer.option), col(AttemptAnswer.correct))
                                 .where(col(AttemptAnswer.attempt_id) == attempt_id))
    return {int(r[0]): (int(r[1]), bool(r[2])) for r in rows}
