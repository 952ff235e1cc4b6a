"""Which asyncio event loop the bot runs on: uvloop when it is installed, else the standard one.

uvloop (libuv, in Cython) is a drop-in asyncio loop: the same code, with sockets, timers and
callbacks handled outside the interpreter. A bot process spends a good part of each update in
the loop itself (reading a webhook POST, writing a reply, a database round trip): measured in
docs/scaling.md. `EVENT_LOOP=asyncio` keeps the standard loop (to rule the loop out when
debugging); uvloop does not exist on Windows, where the standard loop is used anyway.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the chosen loop."""
    factory = loop_factory()
    if factory is None:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def loop_factory() -> Any:
    """uvloop's `new_event_loop`, or None for the standard loop."""
    if os.environ.get("EVENT_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def name() -> str:
    """`uvloop` or `asyncio`: what `run` would use (reported on start-up and by the benchmarks)."""
    return "asyncio" if loop_factory() is None else "uvloop"
