"""Turn the matcher's verdict into replies: answer with source, "did you mean", or no answer."""

from __future__ import annotations

from bot.core.messages import Choice, Reply
from bot.core.texts import t
from bot.qa.knowledge import Entry, KnowledgeBase
from bot.qa.matcher import Match

LABEL_CHARS = 60
CLOSE_SCORE = 5.0   # runner-ups this close to the answer are offered as related questions


def short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def entry_text(entry: Entry, lang: str) -> str:
    """The answer as the user sees it: fact, review note, source line."""
    version = entry.version(lang)
    parts = []
    if lang == "en" and entry.en is None:
        parts.append(t("vi_only_note", "en"))
    parts.append(version.answer)
    if entry.review:
        parts.append(t("review_note", lang))
    parts.append(t("source", lang, source="; ".join(entry.sources)))
    return "\n\n".join(parts)


def entry_choice(entry: Entry, lang: str) -> Choice:
    return Choice(short(entry.title(lang)), f"e:{entry.id}")


def answer_reply(entry: Entry, lang: str, kb: KnowledgeBase, log_id: int | None,
                 close: tuple[Entry, ...] = ()) -> Reply:
    """An answer with up to 3 related topics (close runner-ups first) and 👍/👎 buttons."""
    related = list(dict.fromkeys([*close, *(kb.entries[r] for r in entry.related if r in kb.entries)]))
    related = [r for r in related if r.id != entry.id][:3]
    choices = [entry_choice(r, lang) for r in related]
    if log_id is not None:
        choices += [Choice("👍", f"fb:{log_id}:u"), Choice("👎", f"fb:{log_id}:d")]
    return Reply(entry_text(entry, lang), tuple(choices), kind="answer", source="; ".join(entry.sources),
                 extra={"entry_id": entry.id})


def suggest_reply(match: Match, lang: str) -> Reply:
    choices = [entry_choice(e, lang) for e in match.suggestions[:3]]
    choices.append(Choice(t("none_of_these", lang), "no"))
    return Reply(t("did_you_mean", lang), tuple(choices), kind="suggest")


def topic_choices(kb: KnowledgeBase, lang: str, limit: int = 12) -> tuple[Choice, ...]:
    return tuple(Choice(short(topic.name(lang)), f"t:{topic.id}") for topic in list(kb.topics.values())[:limit])


def no_answer_reply(kb: KnowledgeBase, lang: str, key: str = "no_answer") -> Reply:
    return Reply(t(key, lang), topic_choices(kb, lang, limit=6), kind="none")


def match_reply(match: Match, kb: KnowledgeBase, log_id: int | None) -> Reply:
    """The reply for any matcher outcome."""
    lang = match.lang
    if match.outcome == "answer" and match.entry is not None:
        close = tuple(c.entry for c in match.candidates[1:] if match.score - c.score <= CLOSE_SCORE)[:2]
        return answer_reply(match.entry, lang, kb, log_id, close)
    if match.outcome == "suggest":
        return suggest_reply(match, lang)
    if match.outcome == "smalltalk" and match.smalltalk is not None:
        text = match.smalltalk.en if lang == "en" else match.smalltalk.vi
        return Reply(text, kind="smalltalk")
    if match.outcome == "empty":
        return Reply(t("empty", lang), kind="none")
    return no_answer_reply(kb, lang)
