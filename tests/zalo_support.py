"""Helpers for the Zalo tests: serve channels in process, or run `python -m bot run` against the fakes."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.app import App
from tests import bot_process


@asynccontextmanager
async def serve(*channels: Any) -> AsyncIterator[str]:
    """A real aiohttp server on 127.0.0.1 carrying the channels' webhook routes; yields its base URL."""
    web_app = web.Application()
    for channel in channels:
        channel.add_routes(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    for channel in channels:
        await channel.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for channel in channels:
            await channel.stop()
        await runner.cleanup()


async def count(app: App, model: Any, *where: Any) -> int:
    async with app.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


# --- `python -m bot run` as a subprocess, with the Zalo channels pointed at the fakes -------------

ROOT = Path(__file__).resolve().parent.parent
TEST_KNOWLEDGE = ROOT / "tests" / "data" / "knowledge"
TEST_QUIZZES = ROOT / "tests" / "data" / "quizzes"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def zalo_env(database_url: str, port: int, *, oa: Any = None, zb: Any = None,
             knowledge: Path = TEST_KNOWLEDGE, **extra: str) -> dict[str, str]:
    """The environment of a bot process serving the OA fake and/or the Bot Platform fake."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "ZALO_")) and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update({"DATABASE_URL": database_url, "KNOWLEDGE_DIR": str(knowledge), "QUIZZES_DIR": str(TEST_QUIZZES),
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost"})
    if oa is not None:
        env.update({"ZALO_OA_APP_ID": oa.app_id, "ZALO_OA_SECRET_KEY": oa.secret_key,
                    "ZALO_OA_APP_SECRET": oa.app_secret, "ZALO_OA_ACCESS_TOKEN": "access-0",
                    "ZALO_OA_REFRESH_TOKEN": "refresh-0", "ZALO_OA_API_BASE_URL": oa.base_url,
                    "ZALO_OAUTH_BASE_URL": oa.base_url})
    if zb is not None:
        env.update({"ZALO_BOT_TOKEN": zb.token, "ZALO_BOT_API_BASE_URL": zb.base_url})
    env.update(extra)
    return env


class BotProcess(bot_process.BotProcess):
    """A running `python -m bot run` whose output goes to a log file, with its web server's URL."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path, url: str) -> None:
        super().__init__(process, log_path)
        self.url = url


@asynccontextmanager
async def running_bot(env: dict[str, str], log_path: Path, timeout: float = 60.0) -> AsyncIterator[BotProcess]:
    """Start `python -m bot run` and wait until its /healthz answers 200."""
    url = f"http://{env['WEBHOOK_LISTEN']}"
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=str(ROOT),
                                                       stdin=asyncio.subprocess.DEVNULL, stdout=log_file,
                                                       stderr=log_file)
    bot = BotProcess(process, log_path, url)
    try:
        await bot_process.wait_healthy(bot.process, bot.url, bot.log, timeout)
        yield bot
    finally:
        await bot.stop()


async def wait_until(texts: Callable[[], list[str]], needle: str, timeout: float = 20.0) -> str:
    """The first text containing `needle`, waiting for it to be sent."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = [t for t in texts() if needle in t]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no text with {needle!r} in {texts()}")


def right_letter(question: str) -> str:
    """The letter of the right option in a test-bank question (its text says "Đáp án đúng")."""
    return next(line[0] for line in question.splitlines() if line[1:3] == ". " and "Đáp án đúng" in line)
