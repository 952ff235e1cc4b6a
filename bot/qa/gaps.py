"""What people asked that the bot could not answer well: the admins' curation list.

Unanswered questions and answers rated 👎 are read from the question log (normalised text,
no user id), grouped when they are near-identical (same words without diacritics, or a
rapidfuzz token_sort_ratio ≥ 85 on that form), counted, and paired with the closest entry the
matcher finds, most frequent first. An admin then adds a group's question as a new phrasing of
an entry (`bot/qa/phrasing.py`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.qa.knowledge import Entry
from bot.qa.matcher import Matcher
from bot.qa.normalize import fold, normalise
from bot.storage.models import Feedback, QuestionLog

SIMILAR_AT = 85.0
MAX_ROWS = 20_000          # the newest rows read at most (the list is for people to go through)


@dataclass(frozen=True)
class LoggedQuestion:
    log_id: int
    text: str
    lang: str
    kind: str                  # unanswered | suggested | disliked
    entry_id: str | None       # for a disliked answer: the entry that was given
    created: datetime


@dataclass
class GapGroup:
    """Near-identical questions counted together, with the entry closest to them."""

    text: str                                   # the most frequent wording
    lang: str
    log_id: int                                 # the newest log row with that wording (for buttons)
    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    variants: Counter[str] = field(default_factory=Counter)
    given: Counter[str] = field(default_factory=Counter)    # entries given to 👎-rated answers
    last_seen: datetime = datetime.min.replace(tzinfo=UTC)
    closest: Entry | None = None
    closest_score: float = 0.0
    candidates: tuple[Entry, ...] = ()


async def logged_gaps(session: AsyncSession, *, since: datetime | None = None,
                      suggested: bool = False) -> list[LoggedQuestion]:
    """Unanswered (and, when asked, "did you mean") questions, and answers rated 👎, newest first."""
    outcomes = ("none", "suggest") if suggested else ("none",)
    query = (select(col(QuestionLog.id), col(QuestionLog.question), col(QuestionLog.lang), col(QuestionLog.outcome),
                    col(QuestionLog.entry_id), col(QuestionLog.created))
             .where(col(QuestionLog.outcome).in_(outcomes)).order_by(col(QuestionLog.id).desc()).limit(MAX_ROWS))
    disliked = (select(col(QuestionLog.id), col(QuestionLog.question), col(QuestionLog.lang), col(QuestionLog.outcome),
                       col(QuestionLog.entry_id), col(QuestionLog.created))
                .join(Feedback, col(Feedback.log_id) == col(QuestionLog.id))
                .where(col(Feedback.rating) < 0).order_by(col(QuestionLog.id).desc()).limit(MAX_ROWS))
    if since is not None:
        query = query.where(col(QuestionLog.created) >= since)
        disliked = disliked.where(col(QuestionLog.created) >= since)
    found: list[LoggedQuestion] = []
    for statement, kind in ((query, None), (disliked, "disliked")):
        for log_id, text, lang, outcome, entry_id, created in await session.execute(statement):
            if not text or text.startswith("["):      # "[entry-id]" rows are list clicks, not questions
                continue
            label = kind or ("unanswered" if outcome == "none" else "suggested")
            found.append(LoggedQuestion(int(log_id or 0), str(text), str(lang), label, entry_id,
                                        created if created.tzinfo else created.replace(tzinfo=UTC)))
    return found


def group_key(text: str) -> str:
    """The form near-identical questions share: words without diacritics, in order."""
    return " ".join(fold(tok) for tok in normalise(text).accented)


def group_questions(questions: list[LoggedQuestion], matcher: Matcher | None = None,
                    similar_at: float = SIMILAR_AT) -> list[GapGroup]:
    """Group near-identical questions, most frequent first, each with its closest entry."""
    by_key: dict[str, list[LoggedQuestion]] = {}
    for q in questions:
        key = group_key(q.text)
        if key:
            by_key.setdefault(key, []).append(q)
    # The most asked forms become groups first; a rarer form joins the first group it is close to.
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), k))
    heads: list[str] = []
    members: dict[str, list[str]] = {}
    for key in keys:
        hit = process.extractOne(key, heads, scorer=fuzz.token_sort_ratio, score_cutoff=similar_at) if heads else None
        if hit is None:
            heads.append(key)
            members[key] = [key]
        else:
            members[hit[0]].append(key)
    groups = [_group([q for k in members[head] for q in by_key[k]]) for head in heads]
    if matcher is not None:
        for group in groups:
            _closest(group, matcher)
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.text))


def _group(items: list[LoggedQuestion]) -> GapGroup:
    variants = Counter(q.text for q in items)
    # The most asked wording; on a tie, one typed with diacritics (the better phrasing to keep), then the shorter.
    text = max(variants, key=lambda t: (variants[t], fold(t) != t, -len(t), t))
    newest = max((q for q in items if q.text == text), key=lambda q: (q.created, q.log_id))
    group = GapGroup(text=text, lang=Counter(q.lang for q in items).most_common(1)[0][0], log_id=newest.log_id)
    group.count = len(items)
    group.kinds = Counter(q.kind for q in items)
    group.variants = variants
    group.given = Counter(q.entry_id for q in items if q.kind == "disliked" and q.entry_id)
    group.last_seen = max(q.created for q in items)
    return group


def _closest(group: GapGroup, matcher: Matcher) -> None:
    match = matcher.match(group.text, group.lang if group.lang in ("vi", "en") else None)
    group.candidates = tuple(c.entry for c in match.candidates[:3])
    if match.candidates:
        group.closest = match.candidates[0].entry
        group.closest_score = round(match.candidates[0].score, 1)
