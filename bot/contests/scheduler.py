"""The contest clock: submits attempts whose time is up, ranks rounds that have closed, and
queues reminders to registered people who have not taken a round 24 h and 1 h before it closes.

Run `run_scheduler(app, stop_event)` as an asyncio task beside the channels. Several processes
may run it against one PostgreSQL: rows are claimed with `FOR UPDATE SKIP LOCKED` and every
close is a conditional update, so each attempt and each round is closed exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.contests.reminders import queue_reminders
from bot.contests.results import close_due_rounds, close_expired
from bot.contests.retention import purge_expired_personal_data
from bot.quiz.units import Unit
from bot.storage.db import Database
from bot.storage.events import forget_old_events
from bot.storage.models import utcnow

log = logging.getLogger(__name__)
TICK_SECONDS = 5.0


@dataclass(frozen=True)
class TickResult:
    attempts_closed: int
    rounds_closed: int
    reminders_queued: int = 0
    personal_data_purged: int = 0


async def tick(db: Database, units: dict[str, Unit], now: datetime, retention_days: int | None = None) -> TickResult:
    """One pass: close expired attempts, then rounds whose time is over, then queue due reminders,
    then (with `retention_days`) purge the personal fields of contests closed longer ago and forget
    old event ids (each in its own transaction)."""
    async with db.session() as session:
        attempts = await close_expired(session, now)
        await session.commit()
    async with db.session() as session:
        rounds = await close_due_rounds(session, units, now)
        await session.commit()
    async with db.session() as session:
        reminders = await queue_reminders(session, now)
        await session.commit()
    purged = 0
    if retention_days is not None:
        async with db.session() as session:
            purged = await purge_expired_personal_data(session, now=now, days=retention_days)
            await forget_old_events(session)
            await session.commit()
    return TickResult(attempts, rounds, reminders, purged)


async def run_scheduler(app: Any, stop: asyncio.Event, interval: float = TICK_SECONDS,
                        clock: Callable[[], datetime] = utcnow) -> None:
    """Tick until `stop` is set; a database hiccup is logged and retried on the next tick."""
    while not stop.is_set():
        try:
            result = await tick(app.db, app.quizzes.units, clock(), app.settings.retention_days)
            if result.attempts_closed or result.rounds_closed:
                log.info("scheduler closed %d attempts, %d rounds", result.attempts_closed, result.rounds_closed)
        except SQLAlchemyError as exc:
            log.error("scheduler tick failed: %s", type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            continue
