"""Assemble the bot: settings, database, knowledge, and the dialogue with its features."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Settings
from bot.core.answering import AnswerFeature
from bot.core.ask import AskFeature
from bot.core.content_reload import ContentReloader
from bot.core.contest_dialogue import ContestFeature
from bot.core.contest_staff import StaffFeature
from bot.core.curation import CurationFeature
from bot.core.dialogue import Dialogue
from bot.core.flood import FloodFeature
from bot.core.practice import PracticeFeature
from bot.core.privacy import PrivacyFeature
from bot.core.reports_dialogue import ReportsFeature
from bot.logs import quiet_chatty_loggers
from bot.qa.store import KnowledgeStore
from bot.quiz.bank import QuizBank, load_bank
from bot.storage.db import Database
from bot.storage.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class App:
    """The running core that every channel talks to."""

    settings: Settings
    db: Database
    knowledge: KnowledgeStore
    dialogue: Dialogue
    quizzes: QuizBank = field(default_factory=QuizBank)
    clock: Callable[[], datetime] = utcnow
    content: ContentReloader | None = None     # reloads knowledge and quizzes on request (issue 7)

    async def close(self) -> None:
        await self.db.close()


async def build_app(settings: Settings, clock: Callable[[], datetime] = utcnow) -> App:
    """Migrate the database, load the knowledge base and question banks, wire the dialogue.

    `clock` is the time the contest features see (tests pass a controllable one)."""
    quiet_chatty_loggers()
    db = Database(settings.database_url, busy_timeout=settings.sqlite_busy_seconds)
    await db.upgrade()
    knowledge = KnowledgeStore(settings.knowledge_dir)
    for problem in knowledge.reload():
        if problem.severity == "error":
            log.error("%s", problem)
    dialogue = Dialogue(db, admins=settings.admins)
    # Flood control first: a flooding user's messages go no further (issue 9).
    dialogue.add(FloodFeature(settings.flood_messages, settings.flood_seconds).routes())
    quizzes = _load_quizzes(settings)
    ask = AskFeature(knowledge)
    practice = PracticeFeature(quizzes, clock)
    contests = ContestFeature(quizzes, clock)
    ask.menu_actions.update({"practice": practice.menu, "contest": contests.join_command})
    dialogue.add(ask.routes())
    # Order matters for interceptors: a running attempt first, then the guided forms.
    dialogue.add(AnswerFeature(clock).routes())
    dialogue.add(practice.routes())
    dialogue.add(contests.routes())
    staff = StaffFeature(quizzes, clock)
    dialogue.add(staff.routes())
    dialogue.add(PrivacyFeature().routes())
    # Reports and curation (issue 7): after the staff feature, whose results text they extend.
    content = ContentReloader(db, knowledge, quizzes, settings.quizzes_dir)
    dialogue.add(ReportsFeature(quizzes, knowledge, staff, clock).routes())
    dialogue.add(CurationFeature(knowledge, content, settings.knowledge_dir, clock).routes())
    return App(settings=settings, db=db, knowledge=knowledge, dialogue=dialogue, quizzes=quizzes, clock=clock,
               content=content)


def _load_quizzes(settings: Settings) -> QuizBank:
    """The question banks and units; a bad question is skipped and logged, never fatal."""
    bank, problems = load_bank(settings.quizzes_dir)
    for problem in problems:
        if problem.severity == "error":
            log.error("%s", problem)
    return bank
