"""How a quiz question looks in chat, and reading a typed answer ("A", "câu b", "2", or the option's text)."""

from __future__ import annotations

import re
from datetime import datetime

from bot.contests.attempts import AttemptView
from bot.core.messages import Choice, Reply
from bot.core.quiz_texts import qt
from bot.qa.normalize import fold
from bot.quiz.draw import ShownQuestion

LETTERS = "ABCD"
LABEL_CHARS = 48
_TYPED_RE = re.compile(r"^(?:(?:cau|dap an|chon|answer|option)\s*)?([a-d1-4])[\s.)]*$")


def short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clock_text(seconds: int) -> str:
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def question_reply(attempt: AttemptView, lang: str, now: datetime) -> Reply:
    """The current question with A–D buttons; contest questions show the time left and edit in place."""
    question = attempt.current
    assert question is not None
    wording, options, _ = question.wording(lang)
    head = qt("question_head", lang, no=str(attempt.current_no + 1), n=str(attempt.n_questions))
    left = attempt.seconds_left(now)
    if left is not None:
        head += " · " + qt("time_left", lang, left=clock_text(left))
    lines = [head, "", wording, ""] + [f"{LETTERS[i]}. {opt}" for i, opt in enumerate(options)]
    choices = tuple(Choice(f"{LETTERS[i]}. {short(opt)}", answer_payload(attempt.id, attempt.current_no, i))
                    for i, opt in enumerate(options))
    return Reply("\n".join(lines), choices, kind="question", edit_key=f"attempt:{attempt.id}",
                 choices_prefix=answer_prefix(attempt.id))


def answer_payload(attempt_id: int, question_no: int, option: int) -> str:
    """`a:<attempt>:<question>:<option>`: compact ASCII, well under Telegram's 64 bytes."""
    return f"{answer_prefix(attempt_id)}{question_no}:{option}"


def answer_prefix(attempt_id: int) -> str:
    """What every answer button of an attempt starts with."""
    return f"a:{attempt_id}:"


def parse_answer_payload(rest: str) -> tuple[int, int, int] | None:
    parts = rest.split(":")
    if len(parts) != 3 or not all(p.isdecimal() and len(p) <= 12 for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def typed_option(text: str, question: ShownQuestion, lang: str) -> int | None:
    """The option a typed answer means: a letter, a number 1–4, "câu A", or the option's own text."""
    folded = " ".join(fold(text).strip().split())
    match = _TYPED_RE.match(folded)
    if match:
        key = match.group(1)
        return int(key) - 1 if key.isdecimal() else LETTERS.index(key.upper())
    for options in (question.options, question.wording(lang)[1]):
        for i, option in enumerate(options):
            if folded and folded == " ".join(fold(option).split()):
                return i
    return None


def feedback_text(question: ShownQuestion, option: int, lang: str) -> str:
    """Right or wrong, the right option, the explanation and its source (practice only)."""
    _, options, explanation = question.wording(lang)
    right = f"{LETTERS[question.correct]}. {options[question.correct]}"
    lines = [qt("right", lang) if option == question.correct else qt("wrong", lang, right=right)]
    if explanation:
        lines.append(explanation)
    lines.append(qt("source", lang, source=question.source))
    return "\n".join(lines)
