"""Q&A in the dialogue: free-text questions, topics, related answers, feedback, the menu."""

from __future__ import annotations

from bot import metrics
from bot.core.answers import answer_reply, match_reply, no_answer_reply, short, topic_choices
from bot.core.dialogue import Handler, Routes, Turn, change_language
from bot.core.messages import Choice, Reply
from bot.core.texts import t
from bot.qa.normalize import normalise
from bot.qa.store import KnowledgeStore
from bot.storage.qa_log import log_question, record_feedback

TOPIC_PAGE = 8


class AskFeature:
    """Answers questions from the knowledge base and lets users browse it."""

    def __init__(self, knowledge: KnowledgeStore) -> None:
        self.knowledge = knowledge
        self.menu_actions: dict[str, Handler] = {}   # other features' menu buttons, e.g. "practice"

    def routes(self) -> Routes:
        return Routes(
            commands={
                "start": self.start, "help": self.help, "huongdan": self.help,
                "chude": self.topics, "topics": self.topics, "lang": change_language, "ngonngu": change_language,
            },
            payloads={
                "e": self.show_entry, "t": self.show_topic, "tp": self.topics, "fb": self.feedback,
                "no": self.none_of_these, "m": self.menu, "lang": change_language,
            },
            text=self.ask,
        )

    async def ask(self, turn: Turn, text: str) -> list[Reply]:
        """Answer a free-text question, suggest close ones, or say kindly that we don't know."""
        matcher = self.knowledge.matcher
        match = matcher.match(text)
        metrics.qa_outcome(match.outcome)
        log_id = None
        if match.outcome not in ("empty", "smalltalk"):
            log_id = await log_question(
                turn.session, question=" ".join(normalise(text).accented), lang=match.lang,
                platform=turn.inbound.channel, outcome=match.outcome,
                entry_id=match.entry.id if match.entry else None, score=match.score,
            )
        return [match_reply(match, matcher.kb, log_id)]

    async def start(self, turn: Turn, _arg: str) -> list[Reply]:
        """Welcome and the main menu."""
        return [Reply(t("welcome", turn.lang), main_menu(turn.lang))]

    async def help(self, turn: Turn, _arg: str) -> list[Reply]:
        return [Reply(t("help", turn.lang), main_menu(turn.lang))]

    async def topics(self, turn: Turn, _arg: str) -> list[Reply]:
        """The list of topics as choices."""
        return [Reply(t("topics_title", turn.lang), topic_choices(self.knowledge.kb, turn.lang, limit=20))]

    async def show_topic(self, turn: Turn, arg: str) -> list[Reply]:
        """The questions of one topic, a page at a time."""
        topic_id, _, page_text = arg.partition(":")
        kb = self.knowledge.kb
        topic = kb.topics.get(topic_id)
        if topic is None:
            return [Reply(t("stale", turn.lang), kind="error")]
        page = int(page_text) if page_text.isdecimal() else 0
        entries = kb.in_topic(topic_id)
        shown = entries[page * TOPIC_PAGE : (page + 1) * TOPIC_PAGE]
        choices = [Choice(short(e.title(turn.lang)), f"e:{e.id}") for e in shown]
        if (page + 1) * TOPIC_PAGE < len(entries):
            choices.append(Choice(t("more", turn.lang), f"t:{topic_id}:{page + 1}"))
        return [Reply(t("topic_title", turn.lang, topic=topic.name(turn.lang)), tuple(choices))]

    async def show_entry(self, turn: Turn, entry_id: str) -> list[Reply]:
        """The answer of an entry chosen from a button or a numbered list."""
        kb = self.knowledge.kb
        entry = kb.entries.get(entry_id)
        if entry is None:
            return [Reply(t("stale", turn.lang), kind="error")]
        log_id = await log_question(turn.session, question=f"[{entry_id}]", lang=turn.lang,
                                    platform=turn.inbound.channel, outcome="chosen", entry_id=entry_id, score=100.0)
        return [answer_reply(entry, turn.lang, kb, log_id)]

    async def feedback(self, turn: Turn, arg: str) -> list[Reply]:
        """👍/👎 on an answer; a forged or repeated press changes nothing."""
        log_text, _, vote = arg.partition(":")
        if not log_text.isdecimal() or vote not in ("u", "d"):
            return [Reply(t("stale", turn.lang), kind="error")]
        stored = await record_feedback(turn.session, log_id=int(log_text), rating=1 if vote == "u" else -1)
        if stored is None:
            return [Reply(t("stale", turn.lang), kind="error")]
        return [Reply(t("thanks_feedback" if stored else "feedback_already", turn.lang))]

    async def none_of_these(self, turn: Turn, _arg: str) -> list[Reply]:
        await log_question(turn.session, question="[none-of-these]", lang=turn.lang,
                           platform=turn.inbound.channel, outcome="rejected", entry_id=None, score=0.0)
        return [no_answer_reply(self.knowledge.kb, turn.lang, key="after_none_of_these")]

    async def menu(self, turn: Turn, action: str) -> list[Reply]:
        """The main menu's buttons; features that are not loaded fall back to help."""
        if action == "topics":
            return await self.topics(turn, "")
        if action == "ask":
            return [Reply(t("ask_prompt", turn.lang))]
        if action in self.menu_actions:
            return await self.menu_actions[action](turn, "")
        return await self.help(turn, "")


def main_menu(lang: str) -> tuple[Choice, ...]:
    return (
        Choice(t("menu_ask", lang), "m:ask"),
        Choice(t("menu_practice", lang), "m:practice"),
        Choice(t("menu_contest", lang), "m:contest"),
        Choice(t("menu_topics", lang), "m:topics"),
        Choice(t("menu_help", lang), "m:help"),
    )
