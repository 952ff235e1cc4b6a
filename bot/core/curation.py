"""The admins' curation loop in chat: what the bot could not answer, adding a question as a
new phrasing of an entry, and reloading the knowledge in every running bot.

Payloads carry only a question-log id and an entry id; each press is checked again (admin,
log row, entry) because a payload is untrusted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.core.answering import Clock
from bot.core.content_reload import ContentReloader, ReloadResult
from bot.core.dialogue import Routes, Turn
from bot.core.messages import Choice, Reply
from bot.core.quiz_texts import qt
from bot.core.report_texts import rt
from bot.qa.gaps import GapGroup, group_questions, logged_gaps
from bot.qa.phrasing import add_phrasing
from bot.qa.store import KnowledgeStore
from bot.storage.models import QuestionLog

GAP_DAYS = 30
GAPS_SHOWN = 10
MAX_ERRORS_SHOWN = 15


class CurationFeature:
    """`/cauhoimoi [DAYS]`, the ➕ buttons (`kg:`, `kp:`), and `/reload` — admins only."""

    def __init__(self, knowledge: KnowledgeStore, reloader: ContentReloader, knowledge_dir: Path,
                 clock: Clock) -> None:
        self.knowledge = knowledge
        self.reloader = reloader
        self.knowledge_dir = knowledge_dir
        self.clock = clock

    def routes(self) -> Routes:
        return Routes(
            commands={"cauhoimoi": self.gaps, "newquestions": self.gaps, "reload": self.reload, "napla": self.reload},
            payloads={"kg": self.pick_entry, "kp": self.add},
        )

    async def gaps(self, turn: Turn, arg: str) -> list[Reply]:
        """The most frequent unanswered or 👎-rated questions, each with a ➕ button."""
        if not turn.is_admin:
            return [Reply(rt("admins_only", turn.lang), kind="error")]
        days = int(arg) if arg.strip().isdecimal() and 0 < int(arg) <= 3650 else GAP_DAYS
        logged = await logged_gaps(turn.session, since=self.clock() - timedelta(days=days))
        groups = group_questions(logged, self.knowledge.matcher)[:GAPS_SHOWN]
        if not groups:
            return [Reply(rt("gaps_none", turn.lang, days=str(days)))]
        lines = [rt("gaps_title", turn.lang, days=str(days))]
        lines += [gap_line(no, g, turn.lang) for no, g in enumerate(groups, start=1)]
        lines.append(rt("gaps_hint", turn.lang))
        choices = tuple(Choice(rt("gaps_add", turn.lang, no=str(no)), f"kg:{g.log_id}")
                        for no, g in enumerate(groups, start=1))
        return [Reply("\n".join(lines), choices)]

    async def pick_entry(self, turn: Turn, log_text: str) -> list[Reply]:
        """Offer the entries closest to one logged question."""
        if not turn.is_admin:
            return [Reply(rt("admins_only", turn.lang), kind="error")]
        logged = await self._logged(turn, log_text)
        if logged is None:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        match = self.knowledge.matcher.match(logged.question, logged.lang if logged.lang in ("vi", "en") else None)
        entries = [c.entry for c in match.candidates[:3]]
        if not entries:
            return [Reply(rt("pick_none", turn.lang))]
        choices = tuple(Choice(f"→ {e.id}: {e.title('vi')}"[:60], f"kp:{logged.id}:{e.id}") for e in entries)
        return [Reply(rt("pick_entry", turn.lang, text=logged.question), choices)]

    async def add(self, turn: Turn, rest: str) -> list[Reply]:
        """Write the question into the entry's YAML (comments kept), validate, then reload everywhere."""
        if not turn.is_admin:
            return [Reply(rt("admins_only", turn.lang), kind="error")]
        log_text, _, entry_id = rest.partition(":")
        logged = await self._logged(turn, log_text)
        entry = self.knowledge.kb.entries.get(entry_id)
        if logged is None or entry is None:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        lang = "en" if logged.lang == "en" and entry.en is not None else "vi"
        result = await asyncio.to_thread(add_phrasing, self.knowledge_dir, entry.id, logged.question, lang)
        if not result.added:
            problems = "\n".join(str(p) for p in result.problems[:MAX_ERRORS_SHOWN])
            return [Reply(rt("phrasing_refused", turn.lang, reason=result.message) + ("\n" + problems if problems else ""),
                          kind="error")]
        reloaded = await self.reloader.request(turn.inbound.user_key, turn.session)
        return [Reply(rt("phrasing_added", turn.lang, text=logged.question, entry=entry.id, path=Path(result.path).name,
                         line=str(result.line), reload=reload_text(reloaded, turn.lang)))]

    async def reload(self, turn: Turn, _arg: str) -> list[Reply]:
        """Reload the knowledge base and question banks here and in every running process."""
        if not turn.is_admin:
            return [Reply(rt("admins_only", turn.lang), kind="error")]
        result = await self.reloader.request(turn.inbound.user_key, turn.session)
        return [Reply(reload_text(result, turn.lang), kind="info" if result.ok else "error")]

    async def _logged(self, turn: Turn, log_text: str) -> QuestionLog | None:
        if not log_text.isdecimal():
            return None
        row = await turn.session.get(QuestionLog, int(log_text))
        if row is None or not row.question or row.question.startswith("["):
            return None
        return row


def gap_line(no: int, group: GapGroup, lang: str) -> str:
    kinds = rt("gaps_kinds", lang, unanswered=str(group.kinds["unanswered"]), suggested=str(group.kinds["suggested"]),
               disliked=str(group.kinds["disliked"]))
    closest = f"{group.closest.id} ({group.closest_score:g})" if group.closest else rt("no_closest", lang)
    return rt("gaps_line", lang, no=str(no), text=group.text[:120], count=str(group.count), kinds=kinds, closest=closest)


def reload_text(result: ReloadResult, lang: str) -> str:
    """"Reloaded: N entries…", or which part kept its old version and every error as path:line."""
    if result.ok:
        return rt("reload_ok", lang, entries=str(result.entries), questions=str(result.questions))
    parts = ", ".join(rt(f"part_{name}", lang) for name, ok in (("knowledge", result.knowledge_ok),
                                                                ("quizzes", result.quizzes_ok)) if not ok)
    errors = [str(p) for p in result.errors[:MAX_ERRORS_SHOWN]]
    more = [f"… (+{len(result.errors) - MAX_ERRORS_SHOWN})"] if len(result.errors) > MAX_ERRORS_SHOWN else []
    return "\n".join([rt("reload_errors", lang, parts=parts), *errors, *more])
