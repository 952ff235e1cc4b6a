"""Data access for the Telegram channel: edit keys, group quizzes (broadcast claims: storage/broadcasts.py).

Kept in the database, not in memory, because several bot processes may serve one webhook.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlmodel import col

from bot.storage.db import connection_of
from bot.storage.direct import Direct, PerDialect
from bot.storage.models import (
    StaffRole,
    TelegramGroupQuiz,
    TelegramMessage,
    TelegramQuizAnswer,
    TelegramQuizPoll,
    utcnow,
)
from bot.storage.upsert import insert_ignore

# --- edit keys ------------------------------------------------------------------------------------


_MESSAGES = TelegramMessage.__table__  # type: ignore[attr-defined]
_M = _MESSAGES.c
# A press's edit target is looked up (when this process did not send the message) and a new
# keyed message remembered on the hot path of a contest: prebuilt statements, one per dialect.
_KEYED = Direct(select(_M.message_id).where(_M.chat_id == bindparam("m_chat"), _M.edit_key == bindparam("m_key")))


def _remember(dialect: Any) -> Executable:
    statement = dialect.insert(_MESSAGES).values(chat_id=bindparam("m_chat"), edit_key=bindparam("m_key"),
                                                 message_id=bindparam("m_id"), updated=bindparam("m_updated"))
    return statement.on_conflict_do_update(
        index_elements=[_M.chat_id, _M.edit_key],
        set_={"message_id": statement.excluded.message_id, "updated": statement.excluded.updated})


_REMEMBER = PerDialect(_remember)


async def keyed_message(session: AsyncSession, *, chat_id: str, edit_key: str) -> int | None:
    """The id of the message that last carried `edit_key` in this chat."""
    row = (await _KEYED.run(await connection_of(session), {"m_chat": chat_id, "m_key": edit_key[:64]})).first()
    return None if row is None else int(row.message_id)


async def remember_keyed_message(session: AsyncSession, *, chat_id: str, edit_key: str, message_id: int) -> None:
    await _REMEMBER.run(await connection_of(session), {
        "m_chat": chat_id, "m_key": edit_key[:64], "m_id": message_id, "m_updated": utcnow()})


# --- staff -----------------------------------------------------------------------------------------


async def has_staff_role(session: AsyncSession, *, user_key: str) -> bool:
    row = await session.execute(select(func.count()).select_from(StaffRole).where(col(StaffRole.user_key) == user_key))
    return bool(row.scalar_one())


# --- group quizzes -------------------------------------------------------------------------------


async def running_quiz(session: AsyncSession, *, chat_id: str) -> TelegramGroupQuiz | None:
    row = await session.execute(select(TelegramGroupQuiz).where(col(TelegramGroupQuiz.chat_id) == chat_id,
                                                                col(TelegramGroupQuiz.status) == "running"))
    return row.scalars().first()


async def create_quiz(session: AsyncSession, **values: object) -> TelegramGroupQuiz:
    quiz = TelegramGroupQuiz(**values)  # type: ignore[arg-type]
    session.add(quiz)
    await session.flush()
    return quiz


async def due_quizzes(session: AsyncSession, *, now: datetime) -> list[TelegramGroupQuiz]:
    rows = await session.execute(select(TelegramGroupQuiz).where(col(TelegramGroupQuiz.status) == "running",
                                                                 col(TelegramGroupQuiz.next_at) <= now))
    return list(rows.scalars())


async def claim_quiz_step(session: AsyncSession, *, quiz: TelegramGroupQuiz, next_at: datetime) -> bool:
    """Take the quiz's next step; False when another process took it first."""
    result = await session.execute(
        update(TelegramGroupQuiz)
        .where(col(TelegramGroupQuiz.id) == quiz.id, col(TelegramGroupQuiz.sent) == quiz.sent,
               col(TelegramGroupQuiz.status) == "running")
        .values(sent=quiz.sent + 1, next_at=next_at))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def finish_quiz(session: AsyncSession, *, quiz_id: int) -> None:
    await session.execute(update(TelegramGroupQuiz).where(col(TelegramGroupQuiz.id) == quiz_id).values(status="done"))
    # Names were only needed for the leaderboard.
    polls = select(col(TelegramQuizPoll.poll_id)).where(col(TelegramQuizPoll.quiz_id) == quiz_id)
    await session.execute(update(TelegramQuizAnswer).where(col(TelegramQuizAnswer.poll_id).in_(polls)).values(display_name=""))


async def record_poll(session: AsyncSession, *, poll_id: str, quiz_id: int, question_no: int, correct: int,
                      message_id: int) -> None:
    await session.execute(insert_ignore(session, TelegramQuizPoll, {
        "poll_id": poll_id, "quiz_id": quiz_id, "question_no": question_no, "correct": correct, "message_id": message_id}))


async def record_poll_answer(session: AsyncSession, *, poll_id: str, user_id: str, option: int, name: str) -> bool:
    """Keep a member's first answer to a poll; False for a repeated one."""
    result = await session.execute(insert_ignore(session, TelegramQuizAnswer, {
        "poll_id": poll_id, "user_id": user_id, "option": option, "display_name": name[:64], "answered": utcnow()}))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def leaderboard(session: AsyncSession, *, quiz_id: int, limit: int = 10) -> list[tuple[str, int]]:
    """(display name, right answers), best first; ties go to whoever finished answering first."""
    answer, poll = TelegramQuizAnswer, TelegramQuizPoll
    score = func.sum(case((col(answer.option) == col(poll.correct), 1), else_=0))
    rows = await session.execute(
        select(func.max(col(answer.display_name)), score, func.max(col(answer.answered)))
        .join(poll, col(poll.poll_id) == col(answer.poll_id))
        .where(col(poll.quiz_id) == quiz_id)
        .group_by(col(answer.user_id))
        .order_by(score.desc(), func.max(col(answer.answered)))
        .limit(limit))
    return [(str(name), int(points or 0)) for name, points, _ in rows.all()]
