"""A `python -m bot run` started by a test: stopped with SIGTERM, its output kept in a log file."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path


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
