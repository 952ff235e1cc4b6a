"""Where a reply goes on Telegram: an edit of the pressed message, or a new message."""

from __future__ import annotations

from pathlib import Path

from telegram import Bot

from bot.channels.telegram_delivery import Pressed, Sender
from bot.channels.telegram_transport import AiohttpRequest
from bot.core.messages import Choice, Reply
from bot.storage.db import Database
from bot.storage.telegram import keyed_message
from tests.fakes.telegram_api import FakeTelegramAPI

CHAT = 7001


def question(attempt: int, no: int) -> Reply:
    choices = tuple(Choice(letter, f"a:{attempt}:{no}:{i}") for i, letter in enumerate("ABCD"))
    return Reply(f"Câu {no + 1}/10", choices, kind="question", edit_key=f"attempt:{attempt}",
                 choices_prefix=f"a:{attempt}:")


async def test_a_press_on_a_message_another_process_sent_is_edited_with_no_look_up(tmp_path: Path) -> None:
    """A fresh Sender (another process behind the webhook, or after a restart) has sent nothing and
    the database knows no message for the key: the press's own answer button says which message
    carries the question, so that one is edited. A press of any other button cannot say so: with no
    keyed message known, the reply goes out as a new message, which is then remembered."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'delivery.db'}")
    await db.upgrade()
    async with FakeTelegramAPI() as api:
        bot = Bot(api.token, base_url=api.base_url, request=AiohttpRequest())
        await bot.initialize()
        try:
            await Sender(bot, db).send_replies(CHAT, [question(5, 1)], Pressed(41, "a:5:0:2"))
            assert [c.params["message_id"] for c in api.calls_to("editMessageText")] == [41]
            assert not api.calls_to("sendMessage")

            await Sender(bot, db).send_replies(CHAT, [question(6, 1)], Pressed(42, "m:practice"))
            assert len(api.calls_to("editMessageText")) == 1
            sent = api.calls_to("sendMessage")
            assert len(sent) == 1 and sent[0].params["text"] == "Câu 2/10"
            async with db.session() as session:
                assert await keyed_message(session, chat_id=str(CHAT), edit_key="attempt:6") is not None
        finally:
            await bot.shutdown()
            await db.close()
