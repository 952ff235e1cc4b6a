"""Helpers for the Zalo tests: serve a channel's routes on a real port, read what the database holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.app import App


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
