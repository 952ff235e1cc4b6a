"""The bot process's runtime: uvloop when installed (the standard loop when EVENT_LOOP=asyncio), and the
garbage collector tuned after start-up."""

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


def test_the_service_freezes_its_start_up_objects_and_spaces_collections_out() -> None:
    """`rightsbot run` calls settle_after_startup once its app is built (run in a child process:
    freezing this test process's objects would outlive the test)."""
    import subprocess
    import sys

    code = ("import gc; from bot import garbage_collection as g; before = gc.get_freeze_count(); "
            "g.settle_after_startup(); print(before, gc.get_freeze_count() > 1000, gc.get_threshold())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(maxsplit=1)
    assert out[0] == "0"
    assert out[1].strip() == "True (10000, 20, 20)"
