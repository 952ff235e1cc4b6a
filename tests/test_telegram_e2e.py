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
from tests.telegram_harness import bot_env, running_bot

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
