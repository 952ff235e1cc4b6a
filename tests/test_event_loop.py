"""The bot's event loop: uvloop when installed, the standard loop when EVENT_LOOP=asyncio."""

from __future__ import annotations

import asyncio

import pytest

from bot import event_loop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_run_uses_uvloop_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop")
    monkeypatch.delenv("EVENT_LOOP", raising=False)
    assert event_loop.name() == "uvloop"
    assert event_loop.run(_loop_module()).startswith("uvloop")


def test_event_loop_asyncio_keeps_the_standard_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_LOOP", "asyncio")
    assert event_loop.name() == "asyncio"
    assert event_loop.run(_loop_module()).startswith("asyncio")
