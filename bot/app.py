"""Assemble the bot: settings, database, knowledge, and the dialogue with its features."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.core.ask import AskFeature
from bot.core.dialogue import Dialogue
from bot.qa.store import KnowledgeStore
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class App:
    """The running core that every channel talks to."""

    settings: Settings
    db: Database
    knowledge: KnowledgeStore
    dialogue: Dialogue

    async def close(self) -> None:
        await self.db.close()


async def build_app(settings: Settings) -> App:
    """Migrate the database, load the knowledge base, wire the dialogue."""
    db = Database(settings.database_url)
    await db.upgrade()
    knowledge = KnowledgeStore(settings.knowledge_dir)
    for problem in knowledge.reload():
        if problem.severity == "error":
            log.error("%s", problem)
    dialogue = Dialogue(db, admins=settings.admins)
    dialogue.add(AskFeature(knowledge).routes())
    return App(settings=settings, db=db, knowledge=knowledge, dialogue=dialogue)
