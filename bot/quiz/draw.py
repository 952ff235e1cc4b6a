"""Draw the questions of one attempt: a topic and difficulty mix, options shuffled, kept as a snapshot.

The snapshot is stored with the attempt, so editing the bank later never changes a past result.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bot.quiz.bank import QuizBank, QuizQuestion


@dataclass(frozen=True)
class ShownQuestion:
    """A question as one attempt shows it: options in shuffled order, `correct` indexes them."""

    id: str
    topic: str
    question: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    source: str
    question_en: str = ""
    options_en: tuple[str, ...] = ()
    explanation_en: str = ""

    def wording(self, lang: str) -> tuple[str, tuple[str, ...], str]:
        """(question, options, explanation) in the language, Vietnamese when English is missing."""
        if lang == "en" and self.question_en and len(self.options_en) == len(self.options):
            return self.question_en, self.options_en, self.explanation_en or self.explanation
        return self.question, self.options, self.explanation


def apportion(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split `total` in proportion to weights (largest remainder), e.g. 10 by {a: 1, b: 1} → 5 and 5."""
    positive = {k: float(w) for k, w in weights.items() if w and w > 0}
    if total <= 0 or not positive:
        return {}
    whole = sum(positive.values())
    exact = {k: total * w / whole for k, w in positive.items()}
    counts = {k: int(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - counts[k]), k))[:rest]:
        counts[k] += 1
    return counts


def draw_questions(bank: QuizBank, n: int, rng: random.Random, topics: Mapping[str, float] | Sequence[str] | None = None,
                   difficulty: Mapping[str, float] | None = None, only_ids: Sequence[str] | None = None) -> list[ShownQuestion]:
    """Up to `n` distinct questions by the mix, each with its options shuffled.

    A topic or difficulty with too few questions is topped up from the rest of the pool.
    """
    if only_ids is not None:
        pool = [bank.questions[i] for i in only_ids if i in bank.questions]
        rng.shuffle(pool)
        return [shuffle_options(q, rng) for q in pool[:n]]
    weights = _topic_weights(bank, topics)
    picked: list[QuizQuestion] = []
    for topic, count in apportion(n, weights).items():
        picked.extend(_draw_by_difficulty(bank.in_topic(topic), count, difficulty, rng))
    chosen = {q.id for q in picked}
    allowed = set(weights) or set(bank.topics)
    rest = [q for q in bank.questions.values() if q.id not in chosen and q.topic in allowed]
    rng.shuffle(rest)
    picked.extend(rest[: max(0, n - len(picked))])
    rng.shuffle(picked)
    return [shuffle_options(q, rng) for q in picked[:n]]


def _topic_weights(bank: QuizBank, topics: Mapping[str, float] | Sequence[str] | None) -> dict[str, float]:
    if not topics:
        return {t: float(len(bank.in_topic(t))) for t in bank.topics}
    if isinstance(topics, Mapping):
        return {t: float(w) for t, w in topics.items() if t in bank.topics}
    return {t: 1.0 for t in topics if t in bank.topics}


def _draw_by_difficulty(pool: list[QuizQuestion], count: int, difficulty: Mapping[str, float] | None,
                        rng: random.Random) -> list[QuizQuestion]:
    if not difficulty:
        return rng.sample(pool, min(count, len(pool)))
    picked: list[QuizQuestion] = []
    for level, k in apportion(count, difficulty).items():
        level_pool = [q for q in pool if q.difficulty == level]
        picked.extend(rng.sample(level_pool, min(k, len(level_pool))))
    chosen = {q.id for q in picked}
    rest = [q for q in pool if q.id not in chosen]
    picked.extend(rng.sample(rest, min(count - len(picked), len(rest))))
    return picked


def shuffle_options(question: QuizQuestion, rng: random.Random) -> ShownQuestion:
    """The question with its options in a random order (English follows the same order)."""
    order = list(range(len(question.vi.options)))
    rng.shuffle(order)
    en = question.en
    return ShownQuestion(
        id=question.id, topic=question.topic, question=question.vi.question,
        options=tuple(question.vi.options[i] for i in order), correct=order.index(question.answer),
        explanation=question.vi.explanation, source=question.source,
        question_en=en.question if en else "", options_en=tuple(en.options[i] for i in order) if en else (),
        explanation_en=en.explanation if en else "",
    )


def snapshot_json(questions: Sequence[ShownQuestion]) -> str:
    """The JSON stored with an attempt."""
    return json.dumps(snapshot_rows(questions), ensure_ascii=False, separators=(",", ":"))


def snapshot_rows(questions: Sequence[ShownQuestion]) -> list[dict[str, Any]]:
    """The questions as the JSON-ready rows `snapshot_json` stores."""
    return [asdict(q) for q in questions]


# Parsed questions shared between attempts: thousands of attempts show the same few hundred bank
# questions (in at most 24 option orders each), and a process keeps every running attempt's
# snapshot, so equal questions are kept once (4,000 attempts × 20 questions: 180 MB → a few MB).
_SHARED: dict[ShownQuestion, ShownQuestion] = {}
_SHARED_MAX = 50_000    # cleared when full (bank edits leave old wordings behind)


def parse_snapshot(text: str) -> list[ShownQuestion]:
    """The questions an attempt showed, back from its stored JSON (equal ones shared)."""
    return parse_snapshot_rows(json.loads(text))


def parse_snapshot_rows(rows: list[dict[str, Any]]) -> list[ShownQuestion]:
    """`parse_snapshot` for rows already parsed from JSON."""
    return [shared(ShownQuestion(**{**row, "options": tuple(row["options"]),
                                     "options_en": tuple(row.get("options_en") or ())}))
            for row in rows]


def shared(question: ShownQuestion) -> ShownQuestion:
    """The one kept copy of an equal question (this one, the first time it is seen)."""
    kept = _SHARED.get(question)
    if kept is None:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        kept = _SHARED[question] = question
    return kept
