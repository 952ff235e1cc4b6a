"""Answering quiz questions in chat, for practice and contests alike.

A button press (`a:<attempt>:<question>:<option>`) and a typed answer ("A", "câu b", "2",
the option's text) take the same path into `answer_question`, which records each answer
exactly once and only for the attempt's owner. While an attempt runs, the user's dialogue
step is `quiz`, so typed answers reach us before the Q&A does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from bot import metrics
from bot.contests.attempts import (
    AnswerOutcome,
    AttemptView,
    answer_question,
    answered_options,
    load_attempt,
    submit_prediction,
)
from bot.contests.contests import get_contest
from bot.core.dialogue import Routes, Turn
from bot.core.messages import Choice, Reply
from bot.core.quiz_texts import qt
from bot.core.quiz_view import feedback_text, parse_answer_payload, question_reply, typed_option
from bot.storage.users import save_step

Clock = Callable[[], datetime]
QUIZ_STEP = "quiz"


class AnswerFeature:
    """Takes answers and predictions, gives feedback (practice) and the end-of-attempt summary."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def routes(self) -> Routes:
        return Routes(payloads={"a": self.pressed}, interceptors=[self.typed])

    async def pressed(self, turn: Turn, rest: str) -> list[Reply]:
        """A pressed A–D button."""
        parsed = parse_answer_payload(rest)
        if parsed is None:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        attempt_id, question_no, option = parsed
        return await self.answer(turn, attempt_id, question_no, option)

    async def typed(self, turn: Turn) -> list[Reply] | None:
        """A typed answer or prediction while an attempt runs; anything else passes on."""
        if turn.state.step != QUIZ_STEP or turn.inbound.payload is not None:
            return None
        text = turn.inbound.text.strip()
        if text.startswith("/"):
            return None
        attempt_id = _attempt_of(turn)
        attempt = await load_attempt(turn.session, attempt_id) if attempt_id else None
        if attempt is None or attempt.user_id != turn.user_id:
            await save_step(turn.session, user_id=turn.user_id, step=None)
            return None
        now = self.clock()
        if attempt.status == "active" and attempt.deadline is not None and now >= attempt.deadline:
            return await self.answer(turn, attempt.id, attempt.current_no, 0)
        if attempt.awaiting_prediction:
            return await self._prediction(turn, attempt, text, now)
        question = attempt.current
        if question is None:
            await save_step(turn.session, user_id=turn.user_id, step=None)
            return None
        option = typed_option(text, question, turn.lang)
        if option is None:
            if attempt.mode == "practice":
                return None
            return [Reply(qt("pick_a_to_d", turn.lang), kind="error"), question_reply(attempt, turn.lang, now)]
        return await self.answer(turn, attempt.id, attempt.current_no, option)

    async def answer(self, turn: Turn, attempt_id: int, question_no: int, option: int) -> list[Reply]:
        """Record one answer and show what comes next."""
        now = self.clock()
        outcome = await answer_question(turn.session, attempt_id=attempt_id, user_id=turn.user_id,
                                        question_no=question_no, option=option, now=now)
        return await self._after(turn, outcome, now, option)

    async def _after(self, turn: Turn, outcome: AnswerOutcome, now: datetime, option: int) -> list[Reply]:
        attempt = outcome.attempt
        if outcome.status in ("missing", "foreign") or attempt is None:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        if outcome.status == "expired":
            await save_step(turn.session, user_id=turn.user_id, step=None)
            return [await self._finished(turn, attempt, timed_out=True)]
        if outcome.status == "closed":
            return [Reply(qt("attempt_over", turn.lang), kind="error")]
        if outcome.status in ("duplicate", "stale"):
            replies = [Reply(qt("already_answered" if outcome.status == "duplicate" else "not_your_button", turn.lang),
                             kind="error")]
            return replies + self._next(turn, attempt, now)
        metrics.answer_recorded(attempt.mode)
        replies = []
        if attempt.mode == "practice" and outcome.question is not None:
            replies.append(Reply(feedback_text(outcome.question, option, turn.lang), kind="answer",
                                 source=outcome.question.source))
        await _keep_quiz_step(turn, attempt)
        if attempt.status != "active":
            replies.append(await self._finished(turn, attempt, timed_out=False))
            return replies
        return replies + self._next(turn, attempt, now)

    def _next(self, turn: Turn, attempt: AttemptView, now: datetime) -> list[Reply]:
        if attempt.awaiting_prediction:
            key = "predict_participants" if attempt.snapshot.predict == "participants" else "predict_full_scores"
            return [Reply(qt(key, turn.lang), kind="question", edit_key=f"attempt:{attempt.id}")]
        if attempt.current is None:
            return []
        return [question_reply(attempt, turn.lang, now)]

    async def _prediction(self, turn: Turn, attempt: AttemptView, text: str, now: datetime) -> list[Reply]:
        digits = text.replace(".", "").replace(",", "").replace(" ", "")
        if not digits.isdecimal() or len(digits) > 9:
            return [Reply(qt("predict_number", turn.lang), kind="error")]
        outcome = await submit_prediction(turn.session, attempt_id=attempt.id, user_id=turn.user_id,
                                          value=int(digits), now=now)
        await save_step(turn.session, user_id=turn.user_id, step=None)
        if outcome.attempt is None:
            return [Reply(qt("attempt_over", turn.lang), kind="error")]
        return [await self._finished(turn, outcome.attempt, timed_out=outcome.status == "expired")]

    async def _finished(self, turn: Turn, attempt: AttemptView, timed_out: bool) -> Reply:
        """The summary: practice shows what was missed; a contest shows score, time and what counts."""
        if attempt.mode == "practice":
            return await practice_summary(turn, attempt)
        contest = await get_contest(turn.session, attempt.contest_id or 0)
        seconds = (attempt.duration_ms or 0) // 1000
        text = qt("contest_done", turn.lang, score=str(attempt.score), n=str(attempt.n_questions),
                  time=f"{seconds // 60} phút {seconds % 60} giây" if turn.lang != "en" else f"{seconds // 60} min {seconds % 60} s")
        if timed_out:
            text = qt("time_up", turn.lang) + "\n" + text
        if contest is not None:
            text += "\n" + qt("counts_" + contest.spec.counts, turn.lang) + "\n" + qt("keys_after_close", turn.lang)
        return Reply(text, (Choice(qt("my_results", turn.lang), "cr:me"),), kind="info", edit_key=f"attempt:{attempt.id}")


async def _keep_quiz_step(turn: Turn, attempt: AttemptView) -> None:
    """The step is `quiz` with this attempt while it runs, none after; written only when that
    changes (on the first answer and the last, not on the eighteen between)."""
    step, data = (QUIZ_STEP, {"a": attempt.id}) if attempt.status == "active" else (None, {})
    if turn.state.step == step and _state_data(turn) == data:
        return
    await save_step(turn.session, user_id=turn.user_id, step=step, data=data)
    turn.state.step, turn.state.data = step, json.dumps(data)


def _state_data(turn: Turn) -> object:
    try:
        return json.loads(turn.state.data or "{}")
    except ValueError:
        return None


def _attempt_of(turn: Turn) -> int | None:
    try:
        value = json.loads(turn.state.data or "{}").get("a")
    except ValueError:
        return None
    return int(value) if isinstance(value, int) else None


async def practice_summary(turn: Turn, attempt: AttemptView) -> Reply:
    """Score of a practice run, with "practise the ones I missed" when some were wrong."""
    answers = await answered_options(turn.session, attempt.id)
    missed = [no for no, (_, ok) in answers.items() if not ok]
    choices = [Choice(qt("practice_again", turn.lang), "m:practice")]
    if missed:
        choices.insert(0, Choice(qt("practice_missed", turn.lang, n=str(len(missed))), f"pr:{attempt.id}"))
    text = qt("practice_done", turn.lang, score=str(attempt.score), n=str(attempt.n_questions))
    return Reply(text, tuple(choices), kind="info")
