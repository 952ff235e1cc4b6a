"""`rightsbot kb check` and `kb stats` for the question banks: errors the loader finds, plus
warnings for texts too long for a Telegram quiz poll and for questions that ask the same fact."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.qa.normalize import fold
from bot.quiz.bank import DIFFICULTIES, QuizBank, QuizQuestion, QuizText, load_bank
from bot.yamlfile import Problem

# Telegram quiz polls: question ≤ 300, option ≤ 100, explanation ≤ 200 characters.
MAX_QUESTION = 300
MAX_OPTION = 100
MAX_EXPLANATION = 200
NEAR_DUPLICATE = 86.0       # token_sort_ratio of "question + correct answer", folded
SAME_ANSWER = 85.0
_WORDS = re.compile(r"[^\w/]+")


def too_long(text: QuizText, lang: str) -> list[str]:
    """What in one language's wording is over the quiz-poll limits, e.g. ["option B (vi) is 130 > 100"]."""
    found = []
    if len(text.question) > MAX_QUESTION:
        found.append(f"question ({lang}) is {len(text.question)} characters > {MAX_QUESTION}")
    for letter, option in zip("ABCD", text.options, strict=False):
        if len(option) > MAX_OPTION:
            found.append(f"option {letter} ({lang}) is {len(option)} characters > {MAX_OPTION}")
    if len(text.explanation) > MAX_EXPLANATION:
        found.append(f"explanation ({lang}) is {len(text.explanation)} characters > {MAX_EXPLANATION}")
    return found


def length_warnings(question: QuizQuestion) -> list[Problem]:
    """Warnings for a question whose texts Telegram would cut or refuse in a quiz poll."""
    found = too_long(question.vi, "vi") + (too_long(question.en, "en") if question.en else [])
    return [Problem(question.path, question.line, f"{question.id}: {what}", "warning") for what in found]


def _norm(text: str) -> str:
    return " ".join(_WORDS.sub(" ", fold(text)).split())


def near_duplicate_questions(bank: QuizBank) -> list[Problem]:
    """Pairs of questions that ask the same fact (same wording and answer, or one asked in reverse)."""
    questions = list(bank.questions.values())
    asked = [_norm(q.vi.question) for q in questions]
    right = [_norm(q.vi.options[q.answer]) for q in questions]
    texts = [f"{a} {r}" for a, r in zip(asked, right, strict=True)]
    problems = []
    for i, text in enumerate(texts):
        for _, score, k in process.extract(text, texts[i + 1:], scorer=fuzz.token_sort_ratio,
                                           score_cutoff=NEAR_DUPLICATE, limit=None):
            j = i + 1 + k
            same_answer = fuzz.ratio(right[i], right[j]) >= SAME_ANSWER
            reversed_ = right[i] in asked[j] or right[j] in asked[i]
            if same_answer or reversed_:
                a, b = questions[i], questions[j]
                problems.append(Problem(b.path, b.line, f"{b.id} asks almost the same as {a.id} "
                                        f"({a.path}:{a.line}, {score:.0f}% alike); keep one", "warning"))
    return problems


def unknown_topics(bank: QuizBank) -> list[Problem]:
    """Questions whose `topic` no file declares (they would never be drawn by topic)."""
    return [Problem(q.path, q.line, f"{q.id}: unknown topic {q.topic!r} (known: {', '.join(sorted(bank.topics))})")
            for q in bank.questions.values() if q.topic not in bank.topics]


def check_quizzes(directory: Path) -> tuple[QuizBank, list[Problem]]:
    """Every error and warning for one quizzes folder, in file order."""
    bank, problems = load_bank(directory)
    problems += unknown_topics(bank)
    for question in bank.questions.values():
        problems += length_warnings(question)
    problems += near_duplicate_questions(bank)
    return bank, problems


@dataclass(frozen=True)
class GroupStats:
    """One row of `kb stats` for the quizzes: a group's questions by difficulty, English and review flags."""

    group: str
    total: int
    by_difficulty: dict[str, int]
    english: int
    review: int


def quiz_stats(bank: QuizBank) -> list[GroupStats]:
    """Questions per group (sorted), with difficulty counts, English versions and review flags."""
    groups: dict[str, list[QuizQuestion]] = {}
    for question in bank.questions.values():
        groups.setdefault(question.group, []).append(question)
    rows = []
    for group in sorted(groups):
        qs = groups[group]
        levels = Counter(q.difficulty for q in qs)
        rows.append(GroupStats(group, len(qs), {d: levels.get(d, 0) for d in DIFFICULTIES},
                               sum(q.en is not None for q in qs), sum(q.review for q in qs)))
    return rows
