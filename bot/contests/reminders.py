"""Reminders: registered people who have not taken a round yet hear about it 24 h and 1 h before it closes.

The scheduler calls `queue_reminders` every tick. Each reminder is a row in the `broadcasts`
outbox under the key (reminder, "<contest>:<round>:<window>", channel, chat), so it is queued
exactly once however many ticks or processes see it. Only the nearest window is used: a round
closing in 50 minutes gets the 1 h reminder, never a late "24 h" one too. Someone who registered
after a window began is not reminded for that window (they have just been in the chat).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.contests import as_utc
from bot.contests.spec import local_text
from bot.core.quiz_texts import qt
from bot.storage.broadcasts import Outgoing, enqueue_broadcast
from bot.storage.models import Attempt, Broadcast, Contest, ContestRound, Registration, User

log = logging.getLogger(__name__)
KIND = "reminder"
WINDOWS = (("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)))   # nearest first


def window_for(left: timedelta) -> tuple[str, timedelta] | None:
    """The nearest reminder window that the time left falls in, e.g. 50 min → ("1h", 1 h)."""
    return next(((label, size) for label, size in WINDOWS if timedelta(0) < left <= size), None)


async def queue_reminders(session: AsyncSession, now: datetime) -> int:
    """Queue the due reminders of every running round; returns how many were added."""
    horizon = now + max(size for _, size in WINDOWS)
    rows = await session.execute(
        select(ContestRound, Contest).join(Contest, col(Contest.id) == col(ContestRound.contest_id))
        .where(col(Contest.status) == "open", col(ContestRound.closed_at).is_(None), col(ContestRound.opens) <= now,
               col(ContestRound.closes) > now, col(ContestRound.closes) <= horizon))
    added = 0
    for round_row, contest in rows.all():
        window = window_for(as_utc(round_row.closes) - now)
        if window is not None:
            added += await _remind_round(session, contest, round_row, window, now)
    return added


async def _remind_round(session: AsyncSession, contest: Contest, round_row: ContestRound,
                        window: tuple[str, timedelta], now: datetime) -> int:
    label, size = window
    closes = as_utc(round_row.closes)
    ref = f"{contest.id}:{round_row.round_no}:{label}"
    people = await _not_started(session, contest.id or 0, round_row.round_no, ref, closes - size)
    messages = [Outgoing(KIND, ref, channel, chat_id,
                         qt("reminder", lang, title=contest.title, code=contest.code, closes=local_text(closes)))
                for channel, chat_id, lang in people]
    added = await enqueue_broadcast(session, messages, now)
    if added:
        log.info("contest %s round %s: %d reminders (%s) queued", contest.code, round_row.round_no, added, label)
    return added


async def _not_started(session: AsyncSession, contest_id: int, round_no: int, ref: str,
                       registered_by: datetime) -> list[tuple[str, str, str]]:
    """(channel, chat id, language) of people registered by then, not erased, with no attempt in the
    round and no reminder under `ref` yet (private chats: the chat id is the user's id)."""
    attempted = exists().where(col(Attempt.registration_id) == col(Registration.id), col(Attempt.round_no) == round_no)
    reminded = exists().where(and_(col(Broadcast.kind) == KIND, col(Broadcast.ref) == ref,
                                   col(Broadcast.channel) == col(User.platform),
                                   col(Broadcast.chat_id) == col(User.platform_user_id)))
    rows = await session.execute(
        select(col(User.platform), col(User.platform_user_id), col(User.language))
        .join(Registration, col(Registration.user_id) == col(User.id))
        .where(col(Registration.contest_id) == contest_id, col(Registration.erased).is_(False),
               col(Registration.created) <= registered_by, ~attempted, ~reminded))
    return [(str(r[0]), str(r[1]), str(r[2] or "vi")) for r in rows]
