"""End to end: `rightsbot run` as a subprocess against the fake Telegram Bot API.

Nothing of ours is mocked: the real CLI, core, database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set) and python-telegram-bot talk HTTP to a fake of Telegram's server.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.conftest import TEST_KNOWLEDGE
from tests.fakes.telegram_api import Call, FakeTelegramAPI
from tests.telegram_harness import bot_env, free_port, running_bot

STUDENT = 5001


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake


def _env(api: FakeTelegramAPI, db_url: str, **extra: str) -> dict[str, str]:
    return bot_env(api, db_url, KNOWLEDGE_DIR=str(TEST_KNOWLEDGE), **extra)


def _texts(api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [str(c.params["text"]) for c in api.calls_to("sendMessage", chat_id=chat_id)]


async def test_student_gets_sourced_answers_with_buttons(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    async with running_bot(api, _env(api, db_url), tmp_path / "bot.log") as bot:
        await api.push(api.message(STUDENT, "/start"))
        await api.wait_for("sendMessage", 1)
        await api.push(api.message(STUDENT, "tuoi ung cu"))
        answer = (await api.wait_for("sendMessage", 2))[-1]
        assert "21 tuổi" in answer.params["text"] and "Nguồn: Hiến pháp 2013, Điều 27" in answer.params["text"]
        assert "parse_mode" not in answer.params
        rows = answer.params["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in rows[-1]] == ["👍", "👎"]
        thumbs_up = rows[-1][0]["callback_data"]
        await api.push(api.callback(STUDENT, answer, thumbs_up))
        await api.wait_for("answerCallbackQuery", 1)
        thanks = (await api.wait_for("sendMessage", 3))[-1]
        assert thanks.params["chat_id"] == STUDENT

        await api.push(api.message(STUDENT, "When was the Universal Declaration of Human Rights adopted?",
                                   language_code="en"))
        english = (await api.wait_for("sendMessage", 4))[-1]
        assert "1948" in english.params["text"]
        assert await bot.stop() == 0
    welcome = _texts(api, STUDENT)[0]
    assert welcome and api.calls_to("setMyCommands")
    commands = {c.params.get("language_code"): [x["command"] for x in c.params["commands"]] for c in api.calls_to("setMyCommands")}
    assert "start" in commands[None] and "help" in commands["en"]
    # The student's question and id never reach the log.
    assert "tuoi ung cu" not in bot.log() and str(STUDENT) not in bot.log()


async def test_flood_control_retry_after_is_honoured(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    async with running_bot(api, _env(api, db_url), tmp_path / "bot.log"):
        api.fail("sendMessage", 429, retry_after=2)
        pushed = time.perf_counter()
        await api.push(api.message(STUDENT, "tuoi ung cu"))
        calls = await api.wait_for("sendMessage", 2)
        refused, delivered = calls[0], calls[1]
        assert refused.result is None and "21 tuổi" in delivered.params["text"]
        assert delivered.at - refused.at >= 1.9, "the bot must wait retry_after before sending to that chat again"
        assert delivered.at - pushed < 10
        # A 5xx is retried with backoff, and the bot is still alive afterwards.
        api.fail("sendMessage", 502, times=2)
        await api.push(api.message(STUDENT, "tuoi ung cu"))
        await api.wait_for("sendMessage", 5, where=lambda c: True)
        assert sum(1 for c in api.calls_to("sendMessage") if c.result is not None) == 2


async def test_inline_search_returns_sourced_articles(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    async with running_bot(api, _env(api, db_url), tmp_path / "bot.log"):
        await api.push(api.inline_query(STUDENT, "tuoi ung cu"))
        answer = (await api.wait_for("answerInlineQuery", 1))[0]
        results = answer.params["results"]
        assert results and results[0]["type"] == "article" and results[0]["id"] == "age-candidate"
        shared = results[0]["input_message_content"]["message_text"]
        assert "21 tuổi" in shared and "Nguồn:" in shared
        await api.push(api.inline_query(STUDENT, "giá vàng hôm nay"))
        nothing = (await api.wait_for("answerInlineQuery", 2))[-1]
        assert nothing.params["results"] == []


async def test_webhook_checks_secret_and_drops_duplicates(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    import aiohttp

    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    env = _env(api, db_url, TELEGRAM_WEBHOOK_URL=hook, TELEGRAM_WEBHOOK_SECRET="s3cret-Token_1",
               WEBHOOK_LISTEN=f"127.0.0.1:{port}")
    async with running_bot(api, env, tmp_path / "bot.log", ready="setWebhook"):
        assert api.webhook_url == hook and api.webhook_secret == "s3cret-Token_1"
        assert not api.calls_to("getUpdates"), "no getUpdates while a webhook is set"
        forged = api.message(STUDENT, "tuoi ung cu")
        forged["update_id"] = 1
        assert await api.post_webhook(forged, "wrong-secret") == 403
        assert await api.post_webhook(forged, None) == 403
        update = api.message(STUDENT, "tuoi ung cu")
        update["update_id"] = 2
        assert await api.post_webhook(update, "s3cret-Token_1") == 200
        assert await api.post_webhook(update, "s3cret-Token_1") == 200   # Telegram's redelivery
        await api.push(api.message(STUDENT, "/chude"))
        topics = (await api.wait_for("sendMessage", 2))[-1]
        # A press is answered in the webhook's own response (no separate request), which the
        # fake, like Telegram, runs as an answerCallbackQuery call.
        press = api.callback(STUDENT, topics, topics.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
        press["update_id"] = 10_000
        assert await api.post_webhook(press, "s3cret-Token_1") == 200
        answered = api.calls_to("answerCallbackQuery")
        assert [(c.params["callback_query_id"], c.in_webhook_reply) for c in answered] == [(press["callback_query"]["id"], True)]
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200
            assert (await health.json())["checks"] == {"database": True, "telegram": True}
    answers = [t for t in _texts(api, STUDENT) if "21 tuổi" in t]
    assert len(answers) == 1, "the redelivered update had a second effect"
    assert len(api.calls_to("sendMessage")) == 3, "the forged updates had an effect"


async def test_group_quiz_scores_poll_answers(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    group, teacher, an, binh = -100777, 7001, 7002, 7003
    env = _env(api, db_url, ADMINS=f"telegram:{teacher}", TELEGRAM_QUIZ_SECONDS="5")
    async with running_bot(api, env, tmp_path / "bot.log"):
        await api.push(api.message(an, "/quiz", chat_id=group, chat_type="supergroup"))
        refused = (await api.wait_for("sendMessage", 1))[0]
        assert refused.params["chat_id"] == group and "cán bộ" in refused.params["text"]
        await api.push(api.message(teacher, "/quiz 2", chat_id=group, chat_type="supergroup"))
        for number in range(2):
            poll_call = (await api.wait_for("sendPoll", number + 1, timeout=20))[-1]
            params = poll_call.params
            assert params["type"] == "quiz" and params["is_anonymous"] is False and params["open_period"] == 5
            assert len(params["explanation"]) <= 200 and 2 <= len(params["options"]) <= 12
            poll_id = poll_call.result["poll"]["id"]
            right = params["correct_option_ids"][0]
            first = api.poll_answer(poll_id, an, right, first_name="<b>An</b>")
            await api.push(first)
            await api.push(dict(first))                       # redelivered: counted once
            await api.push(api.poll_answer(poll_id, binh, (right + 1) % len(params["options"]), first_name="Bình"))
        board = (await api.wait_for("sendMessage", 1, timeout=20,
                                    where=lambda c: "Kết quả" in str(c.params.get("text"))))[-1]
    lines = board.params["text"].splitlines()
    assert "parse_mode" not in board.params
    assert lines[1] == "🥇 <b>An</b> — 2/2" and lines[2] == "🥈 Bình — 0/2"
    sent = [c.at for c in api.calls if c.method in ("sendMessage", "sendPoll") and c.params.get("chat_id") == group]
    assert all(later - earlier >= 0 for earlier, later in zip(sent, sent[1:], strict=False))
    assert len([t for t in sent if t - sent[0] < 60]) <= 20, "more than 20 messages a minute in a group"


# --- practice and contests: a chat participant driven through the fake ------------------------------

TEST_QUIZZES = Path(__file__).resolve().parent / "data" / "quizzes"
SHOWN = ("sendMessage", "editMessageText")


class Person:
    """One Telegram user talking to the bot in private chat, reading what the fake received."""

    def __init__(self, api: FakeTelegramAPI, user_id: int) -> None:
        self.api = api
        self.id = user_id
        self.mark = 0

    async def say(self, text: str) -> None:
        self.mark = len(self.api.calls)
        await self.api.push(self.api.message(self.id, text))

    async def press(self, payload: str) -> None:
        """Press the newest button with this payload in our chat (edits included)."""
        shown = [c for c in self.api.calls if c.method in SHOWN and c.params.get("chat_id") == self.id and
                 payload in _payloads(c)]
        assert shown, f"no button {payload!r} shown to {self.id}"
        self.mark = len(self.api.calls)
        await self.api.push(self.api.callback(self.id, shown[-1], payload))

    async def sees(self, what: Callable[[Call], bool] | str, timeout: float = 15) -> Call:
        """The first message (or edit) since our last action that matches."""
        test = (lambda c: what in str(c.params.get("text"))) if isinstance(what, str) else what
        mark = self.mark
        calls = await self.api.wait_for(SHOWN, timeout=timeout, where=lambda c: c.params.get("chat_id") == self.id
                                        and self.api.calls.index(c) >= mark and test(c))
        return calls[0]

    async def button(self, prefix: str, suffix: str = "") -> str:
        call = await self.sees(lambda c: any(p.startswith(prefix) and p.endswith(suffix) for p in _payloads(c)))
        return next(p for p in _payloads(call) if p.startswith(prefix) and p.endswith(suffix))


def _payloads(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b]


async def test_practice_quiz_by_pressing_buttons(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    student = Person(api, STUDENT)
    async with running_bot(api, _env(api, db_url, QUIZZES_DIR=str(TEST_QUIZZES)), tmp_path / "bot.log"):
        await student.say("/luyentap")
        await student.press(await student.button("pm:all"))
        for _ in range(10):
            answer = await student.button("a:", ":0")
            await student.press(answer)
            await student.sees(lambda c: c.method == "sendMessage")            # feedback, then the next question
        summary = await student.sees(lambda c: "pr:" in " ".join(_payloads(c)) or "m:practice" in _payloads(c))
    assert "/10" in summary.params["text"]
    assert len(api.calls_to("answerCallbackQuery")) == 11, "every press is answered"
    assert all(len(p.encode()) <= 64 for c in api.calls if c.method in SHOWN for p in _payloads(c))


async def test_contest_by_deep_link_with_staff_results(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    admin, staff = Person(api, 6200), Person(api, 6100)
    students = [Person(api, 6001 + i) for i in range(3)]
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    env = _env(api, db_url, QUIZZES_DIR=str(TEST_QUIZZES), ADMINS="telegram:6200")
    async with running_bot(api, env, tmp_path / "bot.log"):
        await admin.say("/capquyen telegram:6100 doan")
        await admin.sees("doan")
        await staff.say("/taocuocthi")
        await staff.sees(lambda c: True)
        for typed in ["Tìm hiểu quyền trẻ em", "doan", (now - timedelta(hours=1)).strftime("%d/%m/%Y %H:%M"),
                      (now + timedelta(hours=3)).strftime("%d/%m/%Y %H:%M")]:
            await staff.say(typed)
            await staff.sees(lambda c: True)
        for choice in ["mk:10", "mk:10", "mk:1", "mk:best", "mk:0", "mk:participants", "mk:none", "mk:all", "mk:ok"]:
            await staff.press(choice)
            await staff.sees(lambda c: True)
        done = await staff.sees("Mã tham gia")
        code = re.search(r"Mã tham gia: ([A-Z0-9]+)", done.params["text"]).group(1)  # type: ignore[union-attr]

        for student, name in zip(students, ["Nguyễn An", "Trần Bình", "Lê Chi"], strict=True):
            await student.say(f"/start c_{code}")                             # https://t.me/<bot>?start=c_CODE
            await student.press(await student.button("rc:", ":y"))
            await student.say("hoa binh")
            await student.press(await student.button("ru:truong-a"))
            await student.say(name)
            await student.press(await student.button("rs:"))
            question = await student.sees(lambda c: "còn" in str(c.params.get("text")))
            for number in range(10):
                assert f"{number + 1}/10" in question.params["text"]
                await student.press(next(p for p in _payloads(question) if p.startswith("a:") and p.endswith(":1")))
                question = await student.sees(lambda c: c.method == "editMessageText")
            assert "dự đoán" in question.params["text"]
            await student.say("3")
            await student.sees("/10")
        await staff.say(f"/dongcuocthi {code}")
        await staff.sees("Đã đóng")
        await staff.say(f"/ketquacuocthi {code}")
        results = await staff.sees("3 người dự thi")
        # Closing queues each participant's result in the broadcasts outbox; the channel sends each once.
        # (The drain may get there before or after the staff's results: only the count matters.)
        def is_result(c: Call) -> bool:
            return c.params["chat_id"] in (6001, 6002, 6003) and "vòng 1 đã kết thúc" in str(c.params.get("text"))

        announced = await api.wait_for("sendMessage", 3, timeout=20, where=is_result)
        await asyncio.sleep(2.5)                                               # another drain pass: no resend
        later = [c for c in api.calls_to("sendMessage") if is_result(c)]
    assert sorted(c.params["chat_id"] for c in later) == [6001, 6002, 6003]
    assert {c.params["chat_id"] for c in announced} == {6001, 6002, 6003}
    assert "3 người dự thi" in results.params["text"]
    edits = api.calls_to("editMessageText", chat_id=6001)
    assert len(edits) >= 10, "contest questions are edited in place"
    assert len({c.params["message_id"] for c in edits}) == 1, "every edit went to the one question message"


async def test_sigterm_finishes_updates_in_flight(api: FakeTelegramAPI, db_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = _env(api, db_url, TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
               TELEGRAM_WEBHOOK_SECRET="s3cret", WEBHOOK_LISTEN=f"127.0.0.1:{port}")
    async with running_bot(api, env, tmp_path / "bot.log", ready="setWebhook") as bot:
        api.delays["sendMessage"] = 1.5                       # the reply is still on its way at SIGTERM
        delivery = asyncio.create_task(api.push(api.message(STUDENT, "tuoi ung cu")))
        await asyncio.sleep(0.7)
        assert await bot.stop() == 0
        await delivery
    assert api.webhook_statuses == [200]
    assert "21 tuổi" in _texts(api, STUDENT)[0]
