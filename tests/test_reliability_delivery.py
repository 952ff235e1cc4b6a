"""Replies survive a failing platform API (issue 9): the Telegram, Zalo OA and Zalo Bot Platform
fakes answer 429, 500 and 502, hang past the client's timeout, or drop the connection. The bot
backs off, tries again, never raises, and each reply arrives exactly once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from telegram import Bot

from bot.app import App, build_app
from bot.channels import zalo_bot, zalo_oa
from bot.channels.telegram_delivery import BACKOFF, Sender
from bot.channels.telegram_transport import AiohttpRequest
from bot.core.messages import Reply
from tests.conftest import make_settings
from tests.fakes.faults import HANG_SECONDS, Faults
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA
from tests.zalo_support import serve

from .reliability_support import record

FAULTS: tuple[int | str, ...] = (429, 500, 502, "hang", "close")
CLIENT_TIMEOUT = 1.0       # the tests' client timeout; the fakes hang for HANG_SECONDS > this


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    core = await build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'faults.db'}"))
    try:
        yield core
    finally:
        await core.close()


def _retries(faults: Faults, fault: int | str) -> list[float]:
    return [at for _path, served, at in faults.served if served == fault]


async def test_telegram_replies_arrive_once_through_every_fault(app: App) -> None:
    faults = Faults()
    api = FakeTelegramAPI()
    api.web.middlewares.append(faults.middleware)
    async with api:
        bot = Bot(api.token, base_url=api.base_url, request=AiohttpRequest(read_timeout=CLIENT_TIMEOUT))
        await bot.initialize()
        sender = Sender(bot, app.db)
        waits = {}
        for fault in FAULTS:
            faults.add("/sendMessage", fault)
            started = time.perf_counter()
            await sender.send_replies(7001, [Reply(f"reply after {fault}")])
            delivered = [c for c in api.calls_to("sendMessage") if c.params["text"] == f"reply after {fault}"]
            assert len(delivered) == 1, (fault, delivered)
            waits[str(fault)] = round(delivered[0].at - _retries(faults, fault)[0], 2)
            assert delivered[0].at - started >= (1.0 if fault == 429 else min(BACKOFF)) - 0.05, fault
        await bot.shutdown()
    assert faults.pending() == 0
    record("delivery_telegram", faults=len(FAULTS), replies=len(FAULTS), duplicates=0, lost=0, retry_wait_s=waits)


async def test_zalo_oa_replies_arrive_once_through_every_fault(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_zalo_oa import oa_channel

    monkeypatch.setattr(zalo_oa, "HTTP_TIMEOUT", aiohttp.ClientTimeout(total=CLIENT_TIMEOUT))
    faults = Faults()
    oa = FakeZaloOA()
    oa.web.middlewares.append(faults.middleware)
    user = "2468458835296117922"
    async with oa, serve(oa_channel(app, oa)) as url:
        waits = {}
        for n, fault in enumerate(FAULTS, start=1):
            faults.add("/v3.0/oa/message/cs", fault)
            assert await oa.deliver(url + "/zalo/oa", oa.event(user, "/help")) == 200
            sent = await oa.wait_for_sent(user, n, timeout=HANG_SECONDS + 15)
            waits[str(fault)] = round(sent[-1].at - _retries(faults, fault)[0], 2)
        assert len(oa.texts_to(user)) == len(FAULTS)
    assert faults.pending() == 0 and oa.rejected == []
    record("delivery_zalo_oa", faults=len(FAULTS), replies=len(FAULTS), duplicates=0, lost=0, retry_wait_s=waits)


async def test_zalo_bot_replies_arrive_once_through_every_fault(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zalo_bot, "SEND_TIMEOUT", CLIENT_TIMEOUT)
    faults = Faults()
    zb = FakeZaloBot()
    zb.web.middlewares.append(faults.middleware)
    user = "6ede9afa66b88fe6d6a9"
    async with zb:
        settings = dataclasses.replace(app.settings, zalo_bot_token=zb.token, zalo_bot_api_base_url=zb.base_url)
        channel = zalo_bot.ZaloBotChannel(app, settings)
        channel.poll_interval = 0.05
        async with serve(channel):
            waits = {}
            for n, fault in enumerate(FAULTS, start=1):
                faults.add("/sendMessage", fault)
                zb.push(zb.update(user, "/help"))
                await zb.wait_for_texts(user, n, timeout=HANG_SECONDS + 15)
                ok = [c for c in zb.calls_to("sendMessage", 200) if c.params.get("chat_id") == user]
                waits[str(fault)] = round(ok[-1].at - _retries(faults, fault)[0], 2)
            # Still polling and answering after all that.
            zb.push(zb.update(user, "/help"))
            await zb.wait_for_texts(user, len(FAULTS) + 1)
    assert len(zb.texts_to(user)) == len(FAULTS) + 1
    assert faults.pending() == 0
    record("delivery_zalo_bot", faults=len(FAULTS), replies=len(FAULTS), duplicates=0, lost=0, retry_wait_s=waits)


async def test_zalo_bot_polling_survives_every_fault(app: App) -> None:
    """getUpdates failing in every way backs off and goes on polling; the message then arrives."""
    faults = Faults()
    zb = FakeZaloBot()
    zb.web.middlewares.append(faults.middleware)
    user = "6ede9afa66b88fe6d6a9"
    async with zb:
        settings = dataclasses.replace(app.settings, zalo_bot_token=zb.token, zalo_bot_api_base_url=zb.base_url)
        channel = zalo_bot.ZaloBotChannel(app, settings)
        channel.poll_interval = 0.05
        faults.add("/getUpdates", 500, "close")
        async with serve(channel):
            zb.push(zb.update(user, "/help"))
            await zb.wait_for_texts(user, 1, timeout=20)
            assert await channel.healthy()
    assert faults.pending() == 0
