"""Reloading the knowledge base and the question banks in running bots, without a restart.

`/reload` and `rightsbot kb reload` start a new generation in the database (`content_versions`);
every process checks it every few seconds and reloads. A version that does not validate is
never served: the last good one stays, and the errors name the file and line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.qa.store import KnowledgeStore
from bot.quiz.bank import QuizBank, load_bank
from bot.storage.content_versions import bump_generation, current_generation
from bot.storage.db import Database
from bot.yamlfile import Problem

log = logging.getLogger(__name__)
CHECK_SECONDS = 3.0


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: which parts were swapped in, and every error (path:line) that kept one out."""

    knowledge_ok: bool
    quizzes_ok: bool
    entries: int
    questions: int
    errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.knowledge_ok and self.quizzes_ok


def reload_bank(bank: QuizBank, directory: Path) -> list[Problem]:
    """Swap the questions, topics and units in place (features hold this object) when the folder
    has no errors; otherwise leave it as it is. Returns the errors."""
    fresh, problems = load_bank(directory)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        return errors
    bank.questions, bank.topics, bank.units = fresh.questions, fresh.topics, fresh.units
    return []


class ContentReloader:
    """Reloads this process's knowledge and question banks; asks the others through the database."""

    def __init__(self, db: Database, knowledge: KnowledgeStore, bank: QuizBank, quizzes_dir: Path) -> None:
        self.db = db
        self.knowledge = knowledge
        self.bank = bank
        self.quizzes_dir = quizzes_dir
        self.generation: int | None = None      # the generation this process serves

    def reload_here(self) -> ReloadResult:
        """Reload in this process; each part keeps its last good version on errors."""
        knowledge_errors = [p for p in self.knowledge.reload() if p.severity == "error"]
        quiz_errors = reload_bank(self.bank, self.quizzes_dir)
        result = ReloadResult(not knowledge_errors, not quiz_errors, len(self.knowledge.kb.entries),
                              len(self.bank.questions), knowledge_errors + quiz_errors)
        if result.ok:
            log.info("content reloaded: %d entries, %d quiz questions", result.entries, result.questions)
        else:
            log.warning("content reload kept the previous version of %s: %d errors",
                        ", ".join(p for p, ok in (("knowledge", result.knowledge_ok), ("quizzes", result.quizzes_ok))
                                  if not ok), len(result.errors))
        return result

    async def request(self, requested_by: str, session: AsyncSession | None = None) -> ReloadResult:
        """Reload here at once, and start a new generation so every other process reloads too.

        From a chat turn, pass its session: the bump commits with the turn (a second writer
        beside the turn's own transaction would wait on SQLite's lock)."""
        result = await asyncio.to_thread(self.reload_here)   # indexing takes ~0.5 s: off the event loop
        if session is not None:
            self.generation = await bump_generation(session, requested_by=requested_by)
            return result
        async with self.db.session() as own:
            self.generation = await bump_generation(own, requested_by=requested_by)
            await own.commit()
        return result

    async def check(self) -> ReloadResult | None:
        """Reload when another process asked for it since we last looked; None when nothing is new."""
        async with self.db.session() as session:
            generation = await current_generation(session)
        if self.generation is None:
            self.generation = generation       # start-up already loaded the current content
            return None
        if generation == self.generation:
            return None
        self.generation = generation
        return await asyncio.to_thread(self.reload_here)

    async def watch(self, stop: asyncio.Event, interval: float = CHECK_SECONDS) -> None:
        """Check every few seconds until `stop` is set; a database hiccup waits for the next check."""
        while not stop.is_set():
            try:
                await self.check()
            except SQLAlchemyError as exc:
                log.error("content generation check failed: %s", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                continue


async def run_reload_watcher(app: object, stop: asyncio.Event) -> None:
    """The runner's core job: follow reload requests made by `/reload` or `rightsbot kb reload`."""
    reloader = getattr(app, "content", None)
    if isinstance(reloader, ContentReloader):
        await reloader.watch(stop)
