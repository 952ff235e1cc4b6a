"""/healthz answers 200 or 503 by the database and each channel; /metrics speaks Prometheus' format
with updates, latencies, Q&A outcomes and Bot API errors, and never a user id or a text."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import metrics
from bot.app import App, build_app
from bot.channels.webserver import build_web_app
from bot.core.messages import Inbound
from bot.storage.broadcasts import Outgoing, enqueue_broadcast
from bot.storage.db import Database
from tests.conftest import TEST_KNOWLEDGE, make_settings
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_harness import bot_env, free_port, running_bot


class Channel:
    def __init__(self, name: str, healthy: bool | Exception) -> None:
        self.name = name
        self._healthy = healthy

    def add_routes(self, _web_app: object) -> None:
        return None

    async def healthy(self) -> bool:
        if isinstance(self._healthy, Exception):
            raise self._healthy
        return self._healthy


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[App]:
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"))
    try:
        yield app
    finally:
        await app.close()


async def _get(app: App, channels: list[Channel], path: str) -> tuple[int, str, str]:
    async with TestClient(TestServer(build_web_app(app, channels))) as client:
        response = await client.get(path)
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_healthz_is_200_when_the_database_and_every_channel_are_up(core: App) -> None:
    status, _, body = await _get(core, [Channel("telegram", True), Channel("zalo_oa", True)], "/healthz")
    assert status == 200
    assert '"database": true' in body and '"telegram": true' in body and '"zalo_oa": true' in body


async def test_healthz_is_503_when_a_channel_is_down_or_its_check_fails(core: App) -> None:
    status, _, body = await _get(core, [Channel("telegram", True), Channel("zalo_oa", False)], "/healthz")
    assert status == 503 and '"zalo_oa": false' in body and '"telegram": true' in body
    status, _, body = await _get(core, [Channel("zalo_bot", RuntimeError("boom"))], "/healthz")
    assert status == 503 and '"zalo_bot": false' in body


async def test_healthz_is_503_when_the_database_does_not_answer(core: App) -> None:
    unreachable = Database("postgresql+asyncpg://nobody@127.0.0.1:9/nowhere")   # port 9: nothing listens
    try:
        status, _, body = await _get(dataclasses.replace(core, db=unreachable), [Channel("telegram", True)], "/healthz")
    finally:
        await unreachable.close()
    assert status == 503 and '"database": false' in body


async def test_metrics_exposition_and_the_broadcast_queue_read_from_the_database(core: App) -> None:
    async with core.db.session() as session:
        await enqueue_broadcast(session, [Outgoing("reminder", "1:1:24h", "zalo_oa", f"{n}", "x") for n in range(3)])
        await session.commit()
    status, content_type, body = await _get(core, [], "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert 'rightsbot_broadcast_queue_depth{channel="zalo_oa"} 3.0' in body
    assert "rightsbot_db_connections_in_use" in body
    assert "process_resident_memory_bytes" in body
    for series in ('rightsbot_qa_outcomes_total{outcome="none"}', 'rightsbot_answers_recorded_total{mode="contest"}'):
        assert series in body, series           # known label values start at 0


def test_hooks_keep_labels_to_small_vocabularies() -> None:
    before = _sample("rightsbot_qa_outcomes_total", outcome="answer")
    assert before is not None                 # the verdict labels exist from the start (at 0)
    metrics.qa_outcome("answer")
    metrics.qa_outcome("smalltalk")           # not a verdict: not counted, no new label
    assert _sample("rightsbot_qa_outcomes_total", outcome="answer") == before + 1
    assert _sample("rightsbot_qa_outcomes_total", outcome="smalltalk") is None
    metrics.answer_recorded("some-user-typed-thing")
    assert _sample("rightsbot_answers_recorded_total", mode="some-user-typed-thing") is None
    assert metrics.message_kind("/thi ABC") == "command" and metrics.message_kind("quyền trẻ em") == "text"


async def test_a_redelivered_update_counts_as_a_dropped_duplicate(core: App) -> None:
    before = _sample("rightsbot_duplicates_dropped_total", channel="telegram") or 0.0
    inbound = Inbound("telegram", "4242", "4242", text="/start", event_id="u-77")
    assert await core.dialogue.handle(inbound)
    assert await core.dialogue.handle(inbound) == []
    assert _sample("rightsbot_duplicates_dropped_total", channel="telegram") == before + 1


def _sample(name: str, **labels: str) -> float | None:
    value = metrics.REGISTRY.get_sample_value(name, labels)
    return None if value is None else float(value)


# --- the real process: Telegram webhook updates, then a scrape ---------------------------------------

STUDENT = 770_123_456


async def test_metrics_of_a_running_bot_count_updates_outcomes_and_api_errors(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    async with FakeTelegramAPI() as api:
        env = bot_env(api, db_url, KNOWLEDGE_DIR=str(TEST_KNOWLEDGE), TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
                      TELEGRAM_WEBHOOK_SECRET="s3cret", WEBHOOK_LISTEN=f"127.0.0.1:{port}")
        async with running_bot(api, env, tmp_path / "bot.log", ready="setWebhook"), aiohttp.ClientSession() as http:
            await api.push(api.message(STUDENT, "/start"))
            await api.push(api.message(STUDENT, "quyền trẻ em là gì"))
            api.fail("sendMessage", 400)                               # Telegram refuses one reply
            await api.push(api.message(STUDENT, "xin chào"))
            start = api.calls_to("sendMessage", chat_id=STUDENT)[0]
            await api.push(api.callback(STUDENT, start, _first_button(start.params)))
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                body = await response.text()
    assert _value(body, 'rightsbot_updates_total{channel="telegram",kind="command"}') == 1
    assert _value(body, 'rightsbot_updates_total{channel="telegram",kind="text"}') == 2
    assert _value(body, 'rightsbot_updates_total{channel="telegram",kind="button"}') == 1
    assert _value(body, 'rightsbot_handler_seconds_count{channel="telegram",kind="text"}') == 2
    assert sum(_value(body, f'rightsbot_qa_outcomes_total{{outcome="{o}"}}') for o in ("answer", "suggest", "none")) >= 1
    assert _value(body, 'rightsbot_bot_api_errors_total{channel="telegram",code="400"}') == 1
    assert str(STUDENT) not in body and "quyền" not in body and "s3cret" not in body


def _first_button(params: dict) -> str:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return str(rows[0][0]["callback_data"])


def _value(body: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} ([0-9.e+]+)$", body, re.MULTILINE)
    return float(match.group(1)) if match else 0.0
