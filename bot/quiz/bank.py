"""Load `quizzes/*.yaml` into a question bank, with `path:line` problems for whatever is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.quiz.units import UNITS_FILE, Unit, load_units
from bot.yamlfile import Problem, line_of, load_yaml

LETTERS = "ABCD"
DIFFICULTIES = ("easy", "medium", "hard")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class QuizText:
    """A question in one language: its wording, four options (in bank order) and explanation."""

    question: str
    options: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class QuizQuestion:
    """One multiple-choice question of the bank."""

    id: str
    topic: str
    group: str
    difficulty: str
    vi: QuizText
    answer: int                     # index of the correct option in bank order
    source: str
    en: QuizText | None = None
    review: bool = False
    path: str = ""
    line: int = 0

    def text(self, lang: str) -> QuizText:
        return self.en if lang == "en" and self.en is not None else self.vi


@dataclass(frozen=True)
class QuizTopic:
    id: str
    vi: str
    en: str

    def name(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.vi


@dataclass
class QuizBank:
    """Every question by id, the topics, and the units that take part in contests."""

    questions: dict[str, QuizQuestion] = field(default_factory=dict)
    topics: dict[str, QuizTopic] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)

    def in_topic(self, topic: str | None) -> list[QuizQuestion]:
        """The questions of one topic, or all of them for None."""
        return [q for q in self.questions.values() if topic is None or q.topic == topic]


def load_bank(directory: Path) -> tuple[QuizBank, list[Problem]]:
    """Read every question file and `units.yaml`; a bad question is skipped and reported."""
    bank = QuizBank()
    problems: list[Problem] = []
    if not directory.is_dir():
        return bank, [Problem(str(directory), 1, "quizzes folder not found")]
    for path in sorted(directory.glob("*.yaml")):
        if path.name == UNITS_FILE:
            continue
        _load_file(path, bank, problems)
    units_path = directory / UNITS_FILE
    if units_path.is_file():
        bank.units, unit_problems = load_units(units_path)
        problems.extend(unit_problems)
    return bank, problems


def _load_file(path: Path, bank: QuizBank, problems: list[Problem]) -> None:
    data, found = load_yaml(path)
    problems.extend(found)
    name = str(path)
    if data is None:
        if not found:
            problems.append(Problem(name, 1, "file is empty"))
        return
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        problems.append(Problem(name, line_of(data), "expected a mapping with `topic`, `group` and a `questions` list"))
        return
    topic = _parse_topic(data.get("topic"), path, problems)
    bank.topics.setdefault(topic.id, topic)
    group = str(data.get("group") or "general")
    items = data["questions"]
    for i, raw in enumerate(items):
        line = items.lines[i] if hasattr(items, "lines") else line_of(raw)
        question = parse_question(raw, topic.id, group, name, line, problems)
        if question is None:
            continue
        if question.id in bank.questions:
            first = bank.questions[question.id]
            problems.append(Problem(name, line, f"duplicate question id {question.id!r} (first at {first.path}:{first.line})"))
            continue
        bank.questions[question.id] = question


def _parse_topic(raw: Any, path: Path, problems: list[Problem]) -> QuizTopic:
    if isinstance(raw, dict) and raw.get("id"):
        return QuizTopic(str(raw["id"]), str(raw.get("vi") or raw["id"]), str(raw.get("en") or ""))
    if isinstance(raw, str) and raw:
        return QuizTopic(raw, raw, "")
    problems.append(Problem(str(path), line_of(raw), "missing `topic` (id, vi, en); using the file name"))
    return QuizTopic(path.stem, path.stem, "")


def _text_options(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        return None
    return tuple(str(v).strip() for v in value)


def resolve_answer(answer: Any, options: tuple[str, ...]) -> int | None:
    """The correct option's index from a letter A–D or the option's exact text."""
    text = str(answer).strip() if answer is not None else ""
    if len(text) == 1 and text.upper() in LETTERS[: len(options)]:
        return LETTERS.index(text.upper())
    matches = [i for i, option in enumerate(options) if option == text]
    return matches[0] if len(matches) == 1 else None


def parse_question(raw: Any, topic: str, group: str, where: str, line: int, problems: list[Problem]) -> QuizQuestion | None:
    """One question from its YAML mapping, or None (with the reason in `problems`)."""
    if not isinstance(raw, dict):
        problems.append(Problem(where, line, "a question must be a mapping"))
        return None
    qid = str(raw.get("id") or "")
    label = qid or "question"

    def bad(message: str, key: str | None = None) -> None:
        problems.append(Problem(where, line_of(raw, line, key), f"{label}: {message}"))

    if not _ID_RE.match(qid):
        bad("missing or malformed `id` (lower-case letters, digits, - and _)", "id")
        return None
    vi = _parse_text(raw, bad)
    if vi is None:
        return None
    answer = resolve_answer(raw.get("answer"), vi.options)
    if answer is None:
        bad("`answer` must be a letter A–D or the exact text of exactly one option", "answer")
        return None
    if len(set(vi.options)) != len(vi.options):
        bad("two options are the same", "options")
        return None
    difficulty = str(raw.get("difficulty") or "medium")
    if difficulty not in DIFFICULTIES:
        bad(f"`difficulty` must be one of {', '.join(DIFFICULTIES)}", "difficulty")
        difficulty = "medium"
    source = str(raw.get("source") or "").strip()
    if not source:
        bad("missing `source`", "source")
        return None
    en = _parse_en(raw.get("en"), bad)
    return QuizQuestion(id=qid, topic=str(raw.get("topic") or topic), group=str(raw.get("group") or group),
                        difficulty=difficulty, vi=vi, answer=answer, source=source, en=en,
                        review=bool(raw.get("review")), path=where, line=line_of(raw, line))


def _parse_text(raw: dict[str, Any], bad: Any) -> QuizText | None:
    question = str(raw.get("question") or "").strip()
    if not question:
        bad("missing `question`", "question")
        return None
    options = _text_options(raw.get("options"))
    if options is None or len(options) != 4 or not all(options):
        bad("`options` must be a list of exactly 4 non-empty texts", "options")
        return None
    return QuizText(question, options, str(raw.get("explanation") or "").strip())


def _parse_en(raw: Any, bad: Any) -> QuizText | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        bad("`en` must be a mapping with question, options, explanation", "en")
        return None
    options = _text_options(raw.get("options"))
    question = str(raw.get("question") or "").strip()
    if not question or options is None or len(options) != 4:
        bad("`en` needs a question and exactly 4 options in the same order", "en")
        return None
    return QuizText(question, options, str(raw.get("explanation") or "").strip())
