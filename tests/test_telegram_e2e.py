"""End to end: `rightsbot run` as a subprocess against the fake Telegram Bot API.

Nothing of ours is mocked: the real CLI, core, database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set) and python-telegram-bot talk HTTP to a fake of Telegram's server.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import TEST_KNOWLEDGE
from tests.fakes.telegram_api import FakeTelegramAPI
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
        await api.wait_for("sendMessage", 2)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200
            assert (await health.json())["checks"] == {"database": True, "telegram": True}
    answers = [t for t in _texts(api, STUDENT) if "21 tuổi" in t]
    assert len(answers) == 1, "the redelivered update had a second effect"
    assert len(api.calls_to("sendMessage")) == 2, "the forged updates had an effect"


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
