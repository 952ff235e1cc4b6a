"""The knowledge base the bot is serving, reloaded without ever serving a broken one."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.qa.knowledge import KnowledgeBase, load_knowledge
from bot.qa.matcher import Matcher
from bot.yamlfile import Problem

log = logging.getLogger(__name__)


class KnowledgeStore:
    """Holds the current matcher; `reload()` swaps it only for a valid knowledge base."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._matcher: Matcher | None = None

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self.reload()
        assert self._matcher is not None
        return self._matcher

    @property
    def kb(self) -> KnowledgeBase:
        return self.matcher.kb

    def reload(self) -> list[Problem]:
        """Load and index again. With errors, keep serving the last good version."""
        kb, problems = load_knowledge(self.directory)
        errors = [p for p in problems if p.severity == "error"]
        if errors and self._matcher is not None:
            log.warning("knowledge reload refused: %d errors; the previous version keeps serving", len(errors))
            return problems
        if errors:
            log.error("knowledge loaded with %d errors; broken entries are skipped", len(errors))
        self._matcher = Matcher(kb)
        log.info("knowledge loaded: %d entries, %d topics", len(kb.entries), len(kb.topics))
        return problems
