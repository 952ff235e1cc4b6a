"""The Zalo Bot Platform channel in process: the real core and database, a fake Bot Platform."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from sqlmodel import col

from bot.app import App
from bot.channels.zalo_bot import ZaloBotChannel
from bot.storage.models import ProcessedEvent, User
from tests.fakes.zalo_bot import FakeZaloBot
from tests.zalo_support import count, serve

USER = "6ede9afa66b88fe6d6a9"
SECRET = "webhook-secret-123"



def bot_channel(app: App, zb: FakeZaloBot, poll_interval: float = 0.05, **overrides: object) -> ZaloBotChannel:
    values: dict[str, object] = dict(zalo_bot_token=zb.token, zalo_bot_api_base_url=zb.base_url)
    values.update(overrides)
    channel = ZaloBotChannel(app, dataclasses.replace(app.settings, **values))  # type: ignore[arg-type]
    channel.poll_interval = poll_interval
    return channel


async def test_polled_question_gets_a_sourced_answer_with_a_numbered_list(app: App, zb: FakeZaloBot) -> None:
    async with serve(bot_channel(app, zb)):
        zb.push(zb.update(USER, "tuyen ngon nhan quyen thong qua nam nao"))
        [answer] = await zb.wait_for_texts(USER, 1)
        assert "10/12/1948" in answer and "📖 Nguồn:" in answer
        assert "\n1. Ngày Quốc tế Nhân quyền là ngày nào?" in answer and "\n2. 👍" in answer
        zb.push(zb.update(USER, "1"))                                    # typed: picks choice 1
        texts = await zb.wait_for_texts(USER, 2)
        assert "Ngày Quốc tế Nhân quyền là 10/12" in texts[1]


async def test_consumed_updates_that_come_back_have_one_effect(app: App, zb: FakeZaloBot) -> None:
    async with serve(bot_channel(app, zb)):
        zb.push(zb.update(USER, "/start", message_id="2d758cb5e222177a4e35"), times=3)
        await zb.wait_for_texts(USER, 1)
        await asyncio.sleep(0.5)
    assert len(zb.texts_to(USER)) == 1
    assert await count(app, ProcessedEvent, col(ProcessedEvent.channel) == "zalo_bot") == 1


async def test_idle_polls_answer_408_and_are_not_errors(app: App, zb: FakeZaloBot,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    zb.idle_wait = 0.05
    with caplog.at_level(logging.WARNING):
        async with serve(bot_channel(app, zb, poll_interval=0.5)):
            await asyncio.sleep(2.2)
            zb.push(zb.update(USER, "/start"))
            await zb.wait_for_texts(USER, 1)
    idle = zb.calls_to("getUpdates", 408)
    polls = [c.at for c in zb.calls_to("getUpdates")]
    assert len(idle) >= 3
    assert all(b - a >= 0.45 for a, b in zip(polls, polls[1:], strict=False))   # the interval is kept
    assert "getUpdates" not in caplog.text


async def test_quota_exceeded_backs_off(app: App, zb: FakeZaloBot, caplog: pytest.LogCaptureFixture) -> None:
    zb.exceed_quota("getUpdates")
    with caplog.at_level(logging.WARNING):
        async with serve(bot_channel(app, zb)):
            await asyncio.sleep(1.5)
            zb.push(zb.update(USER, "/start"))
            await zb.wait_for_texts(USER, 1)
    polls = [c.at for c in zb.calls_to("getUpdates")]
    assert zb.calls_to("getUpdates")[0].status == 429
    assert polls[1] - polls[0] >= 1.9                       # backed off ~2 s instead of polling on
    assert "getUpdates refused (HTTP 429" in caplog.text


async def test_quota_exceeded_on_send_is_retried(app: App, zb: FakeZaloBot) -> None:
    async with serve(bot_channel(app, zb)):
        zb.exceed_quota("sendMessage")
        zb.push(zb.update(USER, "/start"))
        [welcome] = await zb.wait_for_texts(USER, 1)
    assert welcome.startswith("Xin chào!")
    assert [c.status for c in zb.calls_to("sendMessage")] == [429, 200]


async def test_protected_user_gets_a_kind_reply_and_images_the_help(app: App, zb: FakeZaloBot) -> None:
    async with serve(bot_channel(app, zb)):
        zb.push(zb.update(USER, event_name="message.unsupported.received"))
        zb.push(zb.update("child2", event_name="message.image.received"))
        zb.push(zb.update("child3", event_name="message.video.received"))
        [kind] = await zb.wait_for_texts(USER, 1)
        [help_text] = await zb.wait_for_texts("child2", 1)
        await asyncio.sleep(0.3)
    assert kind.startswith("Xin chào!")
    assert "/luyentap" in help_text
    assert zb.texts_to("child3") == []


async def test_webhook_checks_the_secret(app: App, zb: FakeZaloBot) -> None:
    async with serve(bot_channel(app, zb, zalo_bot_webhook_secret=SECRET)) as url:
        update = zb.update(USER, "tuyen ngon nhan quyen thong qua nam nao")
        assert await zb.post_webhook(update, secret="wrong-secret", url=url + "/zalo/bot") == 403
        assert await zb.post_webhook(update, secret=None, url=url + "/zalo/bot") == 403
        await asyncio.sleep(0.3)
        assert await count(app, User) == 0 and zb.calls_to("sendMessage") == []
        assert await zb.post_webhook(update, secret=SECRET, url=url + "/zalo/bot") == 200
        assert await zb.post_webhook(update, secret=SECRET, url=url + "/zalo/bot") == 200
        [answer] = await zb.wait_for_texts(USER, 1)
        await asyncio.sleep(0.3)
    assert "10/12/1948" in answer and len(zb.texts_to(USER)) == 1
    assert zb.calls_to("getUpdates") == []                # webhook mode does not poll
