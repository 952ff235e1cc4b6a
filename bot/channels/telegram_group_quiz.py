"""Group quizzes: `/quiz [topic] [n]` posts native quiz polls one after another, then a leaderboard.

Practice for union meetings and class hours, not an official contest: a quiz poll shows the
right answer as soon as someone answers (official contests run in private chat with buttons).
The quiz's progress lives in the database; a one-second ticker in every process posts the next
poll when it is due, and a conditional update makes sure only one process posts it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from typing import Any

from telegram import Poll, Update

from bot.app import App
from bot.channels.telegram_delivery import Sender
from bot.channels.telegram_render import clip
from bot.config import Settings
from bot.quiz.bank import QuizBank
from bot.quiz.draw import ShownQuestion, draw_questions, parse_snapshot, snapshot_json
from bot.storage.events import claim_event
from bot.storage.models import TelegramGroupQuiz, utcnow
from bot.storage.telegram import (
    claim_quiz_step,
    create_quiz,
    due_quizzes,
    finish_quiz,
    has_staff_role,
    leaderboard,
    record_poll,
    record_poll_answer,
    running_quiz,
)

log = logging.getLogger(__name__)

DEFAULT_QUESTIONS = 5
MAX_QUESTIONS = 20
# Telegram allows at most 20 messages a minute in a group: a poll every open_period + GAP
# seconds (open_period >= 5) keeps a quiz under 9 a minute, intro and leaderboard included.
GAP_SECONDS = 3
TICK_SECONDS = 1.0
POLL_QUESTION, POLL_OPTION, POLL_EXPLANATION = 300, 100, 200   # https://core.telegram.org/bots/api#sendpoll

TEXTS = {
    "vi": {
        "staff_only": "Chỉ cán bộ phụ trách hoặc quản trị viên mới bắt đầu đố vui được.",
        "running": "Nhóm đang có một lượt đố vui. Hãy trả lời các câu hỏi đang mở nhé!",
        "usage": "Cách dùng: /quiz [chủ đề] [số câu, 1–{max}]. Chủ đề: {topics}",
        "intro": "🎯 Đố vui: {n} câu{topic}, mỗi câu {seconds} giây. Chọn đáp án trong từng câu hỏi!",
        "board": "🏆 Kết quả đố vui ({n} câu)",
        "nobody": "Chưa ai trả lời. Lần sau nhé!",
    },
    "en": {
        "staff_only": "Only staff or admins can start a group quiz.",
        "running": "A quiz is already running in this group. Answer the open question!",
        "usage": "Usage: /quiz [topic] [number of questions, 1–{max}]. Topics: {topics}",
        "intro": "🎯 Quiz: {n} questions{topic}, {seconds} seconds each. Pick your answer in each poll!",
        "board": "🏆 Quiz results ({n} questions)",
        "nobody": "Nobody answered. Next time!",
    },
}


def _t(lang: str, key: str, **values: object) -> str:
    return TEXTS["en" if lang == "en" else "vi"][key].format(**values)


class GroupQuizzes:
    """Starts group quizzes, scores poll answers, and posts polls and leaderboards when due."""

    def __init__(self, app: App, sender: Sender, settings: Settings) -> None:
        self.app = app
        self.sender = sender
        self.settings = settings
        self.open_period = max(5, min(600, settings.telegram_quiz_seconds))

    @property
    def bank(self) -> QuizBank:
        """The core's question banks (loaded once at start-up)."""
        return self.app.quizzes

    async def start(self, update: Update, args: list[str]) -> None:
        """Answer `/quiz`: start a quiz, or say why not (not staff, one running, bad arguments)."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return
        lang = "en" if (user.language_code or "").startswith("en") else "vi"
        text = await self._start_in_db(update, args, lang)
        if text:
            await self.sender.send_text(chat.id, text)

    async def _start_in_db(self, update: Update, args: list[str], lang: str) -> str | None:
        assert update.effective_chat is not None and update.effective_user is not None
        chat_id = str(update.effective_chat.id)
        async with self.app.db.session() as session:
            if not await claim_event(session, channel="telegram", event_id=str(update.update_id)):
                return None
            user_key = f"telegram:{update.effective_user.id}"
            if user_key not in self.settings.admins and not await has_staff_role(session, user_key=user_key):
                reply = _t(lang, "staff_only")
            elif await running_quiz(session, chat_id=chat_id) is not None:
                reply = _t(lang, "running")
            else:
                reply = await self._create(session, chat_id, args, lang)
            await session.commit()
            return reply

    async def _create(self, session: object, chat_id: str, args: list[str], lang: str) -> str:
        topic, n = parse_quiz_args(args, self.bank)
        if topic == "?":
            return _t(lang, "usage", max=MAX_QUESTIONS, topics=", ".join(self.bank.topics))
        questions = draw_questions(self.bank, n, random.Random(), topics=[topic] if topic else None)
        if not questions:
            return _t(lang, "usage", max=MAX_QUESTIONS, topics=", ".join(self.bank.topics))
        await create_quiz(session, chat_id=chat_id, lang=lang, topic=topic,  # type: ignore[arg-type]
                          questions=snapshot_json(questions), n_questions=len(questions),
                          open_period=self.open_period, next_at=utcnow())
        name = f" ({self.bank.topics[topic].name(lang)})" if topic else ""
        return _t(lang, "intro", n=len(questions), topic=name, seconds=self.open_period)

    async def record_answer(self, update: Update) -> None:
        """Score a poll answer once (a redelivered update or a second answer counts nothing)."""
        answer = update.poll_answer
        if answer is None or answer.user is None or not answer.option_ids:
            return
        name = " ".join(p for p in (answer.user.first_name, answer.user.last_name) if p)
        async with self.app.db.session() as session:
            if not await claim_event(session, channel="telegram", event_id=str(update.update_id)):
                return
            await record_poll_answer(session, poll_id=answer.poll_id, user_id=str(answer.user.id),
                                     option=answer.option_ids[0], name=name)
            await session.commit()

    async def run(self) -> None:
        """Every second: post the next poll or the leaderboard of each quiz that is due."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the ticker must outlive a database hiccup
                log.exception("group quiz tick failed")
            await asyncio.sleep(TICK_SECONDS)

    async def tick(self) -> None:
        async with self.app.db.session() as session:
            quizzes = await due_quizzes(session, now=utcnow())
        for quiz in quizzes:
            await self._step(quiz)

    async def _step(self, quiz: TelegramGroupQuiz) -> None:
        """Take the quiz's next step if no other process took it."""
        seconds = quiz.open_period + GAP_SECONDS
        async with self.app.db.session() as session:
            if not await claim_quiz_step(session, quiz=quiz, next_at=utcnow() + timedelta(seconds=seconds)):
                return
            await session.commit()
        if quiz.sent < quiz.n_questions:
            await self._post_poll(quiz, parse_snapshot(quiz.questions)[quiz.sent], quiz.sent)
        else:
            await self._post_leaderboard(quiz)

    async def _post_poll(self, quiz: TelegramGroupQuiz, question: ShownQuestion, number: int) -> None:
        text, options, explanation = question.wording(quiz.lang)
        chat_id = int(quiz.chat_id)
        correct: Any = [question.correct]  # the library types option ids as Literal[0..11]
        message = await self.sender.call(chat_id, "sendPoll", lambda: self.sender.bot.send_poll(
            chat_id, clip(f"{number + 1}/{quiz.n_questions}. {text}", POLL_QUESTION),
            [clip(o, POLL_OPTION) for o in options], is_anonymous=False, type=Poll.QUIZ,
            correct_option_ids=correct, explanation=clip(explanation, POLL_EXPLANATION) or None,
            open_period=quiz.open_period))
        if message is None or message.poll is None:
            return
        assert quiz.id is not None
        async with self.app.db.session() as session:
            await record_poll(session, poll_id=message.poll.id, quiz_id=quiz.id, question_no=number,
                              correct=question.correct, message_id=message.message_id)
            await session.commit()

    async def _post_leaderboard(self, quiz: TelegramGroupQuiz) -> None:
        assert quiz.id is not None
        async with self.app.db.session() as session:
            board = await leaderboard(session, quiz_id=quiz.id)
            await finish_quiz(session, quiz_id=quiz.id)
            await session.commit()
        await self.sender.send_text(int(quiz.chat_id), leaderboard_text(board, quiz.n_questions, quiz.lang))


def leaderboard_text(board: list[tuple[str, int]], n: int, lang: str) -> str:
    """The leaderboard as plain text: names are shown exactly as typed, never read as markup."""
    lines = [_t(lang, "board", n=n)]
    if not board:
        lines.append(_t(lang, "nobody"))
    medals = ("🥇", "🥈", "🥉")
    for rank, (name, points) in enumerate(board, start=1):
        prefix = medals[rank - 1] if rank <= len(medals) else f"{rank}."
        lines.append(f"{prefix} {clip(name or '?', 40)} — {points}/{n}")
    return "\n".join(lines)


def parse_quiz_args(args: list[str], bank: QuizBank) -> tuple[str | None, int]:
    """`[topic] [n]` in any order → (topic id or None, n); topic "?" when a word is no topic."""
    topic: str | None = None
    n = DEFAULT_QUESTIONS
    for arg in args:
        if arg.isdecimal():
            n = max(1, min(MAX_QUESTIONS, int(arg)))
        elif arg.lower() in bank.topics:
            topic = arg.lower()
        else:
            return "?", n
    return topic, n
