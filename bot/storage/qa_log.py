"""The question log and feedback. No user id or name is stored with a question."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Feedback, QuestionLog, utcnow
from bot.storage.upsert import insert_ignore


async def log_question(
    session: AsyncSession, *, question: str, lang: str, platform: str, outcome: str, entry_id: str | None, score: float
) -> int:
    """Record an asked question (normalised text only) and return its log id."""
    row = QuestionLog(question=question[:400], lang=lang, platform=platform, outcome=outcome,
                      entry_id=entry_id, score=round(score, 1), created=utcnow())
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def record_feedback(session: AsyncSession, *, log_id: int, rating: int) -> bool | None:
    """Store 👍 (+1) or 👎 (-1) for one logged answer; a repeat press changes nothing.

    Returns True when stored, False for a repeat, None when there is no such answer.
    """
    log = await session.get(QuestionLog, log_id)
    if log is None:
        return None
    result = await session.execute(
        insert_ignore(session, Feedback,
                      {"log_id": log_id, "entry_id": log.entry_id, "rating": 1 if rating > 0 else -1, "created": utcnow()})
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def count_outcomes(session: AsyncSession, *, since: datetime | None = None) -> dict[str, int]:
    query = select(QuestionLog.outcome, func.count()).group_by(QuestionLog.outcome)  # type: ignore[call-overload]
    if since is not None:
        query = query.where(QuestionLog.created >= since)
    return {outcome: n for outcome, n in (await session.execute(query)).all()}
