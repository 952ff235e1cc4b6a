"""Run `rightsbot run` as a subprocess against the fake Bot API (used by the Telegram tests and the benchmark)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.bot_process import BotProcess
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(api: FakeTelegramAPI, database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("TELEGRAM_", "ZALO_")) or key.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            env.pop(key)
    env.update({
        "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, "DATABASE_URL": database_url,
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@asynccontextmanager
async def running_bot(api: FakeTelegramAPI, env: dict[str, str], log_path: Path,
                      command: tuple[str, ...] = ("-m", "bot", "run"), ready: str = "getUpdates",
                      timeout: float = 60.0) -> AsyncIterator[BotProcess]:
    """Start the bot and wait until it polls (or calls `ready`, e.g. setWebhook)."""
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(sys.executable, *command, env=env, cwd=str(ROOT),
                                                       stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file)
    bot = BotProcess(process, log_path)
    try:
        waiter = asyncio.create_task(api.wait_for(ready, timeout=timeout))
        exited = asyncio.create_task(process.wait())
        await asyncio.wait({waiter, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            waiter.cancel()
            raise AssertionError(f"bot exited with {process.returncode}:\n{bot.log()}")
        exited.cancel()
        await waiter
        yield bot
    finally:
        await bot.stop()
