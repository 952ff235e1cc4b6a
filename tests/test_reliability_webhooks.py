"""Webhook authentication (issue 9): Telegram's secret token, the Zalo OA signature and the Zalo Bot
secret are compared in constant time (hmac.compare_digest); a wrong or missing value gets 403 and
nothing is stored; a valid Zalo OA event replayed (again, or days later) has no second effect.

403-and-nothing-stored end to end: tests/test_telegram_e2e.py::test_webhook_checks_secret_and_drops_duplicates,
tests/test_zalo_e2e.py::test_bad_signature_or_secret_gets_403_and_has_no_effect; here in process too.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels import webserver, zalo_oa
from bot.storage.models import ProcessedEvent, QuestionLog, User
from tests.conftest import make_settings
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA
from tests.zalo_support import serve

from .reliability_support import record

USER = "2468458835296117922"


@pytest.fixture
async def app(tmp_path: Path) -> Any:
    core = await build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"))
    yield core
    await core.close()


class Spy:
    def __init__(self) -> None:
        self.calls: list[tuple[bytes, bytes]] = []
        self.real = hmac.compare_digest

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls.append((a, b))
        return self.real(a, b)


async def _rows(app: App) -> tuple[int, int, int]:
    async with app.db.session() as session:
        return tuple([int((await session.execute(select(func.count()).select_from(m))).scalar_one())
                      for m in (User, ProcessedEvent, QuestionLog)])  # type: ignore[return-value]


async def test_every_secret_is_compared_in_constant_time_and_refusals_store_nothing(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_zalo_bot import bot_channel
    from tests.test_zalo_oa import oa_channel

    spy = Spy()
    monkeypatch.setattr(hmac, "compare_digest", spy)
    # Telegram: the shared server's check.
    assert webserver.verify_secret("s3cret", "s3cret") and not webserver.verify_secret("s3creT", "s3cret")
    assert not webserver.verify_secret(None, "s3cret") and not webserver.verify_secret("x", None)
    assert (b"s3creT", b"s3cret") in spy.calls
    telegram_calls = len(spy.calls)
    async with FakeZaloOA() as oa, FakeZaloBot() as zb, \
            serve(oa_channel(app, oa), bot_channel(app, zb, zalo_bot_webhook_secret="bot-secret-123")) as url:
        statuses = [await oa.deliver(url + "/zalo/oa", oa.event(USER, "xin chao"), signature="mac=" + "ab" * 32),
                    await oa.deliver(url + "/zalo/oa", oa.event(USER, "xin chao"), sign=False),
                    await zb.post_webhook(zb.update("u1", "xin chao"), secret="wrong", url=url + "/zalo/bot"),
                    await zb.post_webhook(zb.update("u1", "xin chao"), secret=None, url=url + "/zalo/bot")]
        await asyncio.sleep(0.3)
        oa_calls = [c for c in spy.calls[telegram_calls:] if c[0] == b"ab" * 32]
        bot_calls = [c for c in spy.calls[telegram_calls:] if c[1] == b"bot-secret-123"]
    assert statuses == [403, 403, 403, 403]
    assert oa_calls and bot_calls, spy.calls
    assert await _rows(app) == (0, 0, 0), "a refused webhook stored something"
    record("webhook_auth", constant_time_checks=3, refused=4, rows_stored=0)


async def test_a_valid_oa_event_replayed_has_no_second_effect(app: App) -> None:
    from tests.test_zalo_oa import oa_channel

    async with FakeZaloOA() as oa, serve(oa_channel(app, oa)) as url:
        event = oa.event(USER, "tuyen ngon nhan quyen thong qua nam nao", msg_id="replayed-1")
        assert await oa.deliver(url + "/zalo/oa", event) == 200
        await oa.wait_for_sent(USER, 1)
        for _ in range(3):                                    # the same signed body, replayed
            assert await oa.deliver(url + "/zalo/oa", event) == 200
        # A signed event two days old (beyond Zalo's retries): ignored even with a new message id.
        old = oa.event(USER, "ngay nhan quyen the gioi", msg_id="replayed-2",
                       timestamp=str(int((time.time() - 2 * 86400) * 1000)))
        assert await oa.deliver(url + "/zalo/oa", old) == 200
        await asyncio.sleep(0.5)
    assert len(oa.sent) == 1
    assert await _rows(app) == (1, 1, 1)
    assert zalo_oa.MAX_EVENT_AGE <= 7 * 86400               # inside the time event ids are remembered
    record("webhook_replay", replays=4, effects=1)
