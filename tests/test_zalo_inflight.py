"""Background work after a webhook: in order per user, errors logged without their message."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.inflight import Inflight


async def test_a_failing_event_is_logged_without_its_message_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    done: list[str] = []

    said = " ".join(["secret", "text", "from", "2468458835296117922"])

    async def fail() -> None:
        raise ValueError(said)

    async def work() -> None:
        done.append("next")

    inflight = Inflight("zalo_test")
    inflight.spawn("u1", fail())
    inflight.spawn("u1", work())
    await inflight.drain()
    await asyncio.sleep(0)
    assert done == ["next"] and len(inflight) == 0
    assert "ValueError" in caplog.text and "secret text" not in caplog.text and "2468458835296117922" not in caplog.text


async def test_one_users_events_keep_their_order_and_others_run_alongside() -> None:
    order: list[str] = []

    async def step(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        order.append(name)

    inflight = Inflight("zalo_test")
    inflight.spawn("u1", step("u1-first", 0.1))
    inflight.spawn("u1", step("u1-second", 0))
    inflight.spawn("u2", step("u2", 0))
    await inflight.drain()
    assert order == ["u2", "u1-first", "u1-second"]
