"""A `python -m bot run` started by a test: stopped with SIGTERM, its output kept in a log file."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp


class BotProcess:
    """A running `python -m bot run`; `stop()` sends SIGTERM and returns the exit code."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (a graceful shutdown), then the exit code; SIGKILL if it hangs."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return int(self.process.returncode or 0)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


async def wait_healthy(process: asyncio.subprocess.Process, url: str, log: Callable[[], str], timeout: float) -> None:
    """Wait until the bot's /healthz answers 200; fail with the end of its log if it exits or never does."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise AssertionError(f"bot exited with {process.returncode}:\n{log()[-4000:]}")
            try:
                async with http.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"bot not healthy after {timeout} s:\n{log()[-4000:]}")
