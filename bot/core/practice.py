"""Practice mode: anyone, unlimited, unranked. Ten questions on a topic or mixed, feedback after each."""

from __future__ import annotations

import random

from bot.contests.attempts import answered_options, load_attempt, start_practice
from bot.core.answering import QUIZ_STEP, Clock
from bot.core.dialogue import Routes, Turn
from bot.core.messages import Choice, Reply
from bot.core.quiz_texts import qt
from bot.core.quiz_view import question_reply
from bot.quiz.bank import QuizBank
from bot.storage.users import save_step


class PracticeFeature:
    """`/luyentap`: pick a topic, answer ten questions, see what you missed, practise those again."""

    def __init__(self, bank: QuizBank, clock: Clock) -> None:
        self.bank = bank
        self.clock = clock

    def routes(self) -> Routes:
        return Routes(commands={"luyentap": self.menu, "practice": self.menu},
                      payloads={"pm": self.start, "pr": self.retry_missed})

    async def menu(self, turn: Turn, _arg: str) -> list[Reply]:
        """The topics to practise, and "mixed"."""
        if not self.bank.questions:
            return [Reply(qt("no_questions", turn.lang), kind="error")]
        choices = [Choice(qt("mixed", turn.lang), "pm:all")]
        choices += [Choice(topic.name(turn.lang), f"pm:{topic.id}") for topic in self.bank.topics.values()
                    if self.bank.in_topic(topic.id)][:12]
        return [Reply(qt("practice_pick", turn.lang), tuple(choices))]

    async def start(self, turn: Turn, topic: str) -> list[Reply]:
        """Ten questions on the chosen topic, one at a time."""
        if topic != "all" and topic not in self.bank.topics:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        return await self._begin(turn, None if topic == "all" else topic, None)

    async def retry_missed(self, turn: Turn, rest: str) -> list[Reply]:
        """Practise again the questions missed in one of your own practice runs."""
        attempt = await load_attempt(turn.session, int(rest)) if rest.isdecimal() and len(rest) < 12 else None
        if attempt is None or attempt.user_id != turn.user_id or attempt.mode != "practice":
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        answers = await answered_options(turn.session, attempt.id)
        missed = [attempt.snapshot.questions[no].id for no, (_, ok) in sorted(answers.items()) if not ok]
        if not missed:
            return [Reply(qt("nothing_missed", turn.lang))]
        return await self._begin(turn, None, missed)

    async def _begin(self, turn: Turn, topic: str | None, only_ids: list[str] | None) -> list[Reply]:
        now = self.clock()
        attempt_id = await start_practice(turn.session, self.bank, user_id=turn.user_id, channel=turn.inbound.channel,
                                          chat_id=turn.inbound.chat_id, lang=turn.lang, topic=topic, now=now,
                                          rng=random.Random(), only_ids=only_ids)
        attempt = await load_attempt(turn.session, attempt_id)
        if attempt is None or attempt.current is None:
            return [Reply(qt("no_questions", turn.lang), kind="error")]
        await save_step(turn.session, user_id=turn.user_id, step=QUIZ_STEP, data={"a": attempt_id})
        return [Reply(qt("practice_intro", turn.lang, n=str(attempt.n_questions))), question_reply(attempt, turn.lang, now)]
