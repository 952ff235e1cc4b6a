"""What every fake of another service shares: an aiohttp app served on 127.0.0.1 at a free port,
and a client session for pushing updates or webhooks to the bot under test."""

from __future__ import annotations

from typing import Self

import aiohttp
from aiohttp import web


class LoopbackServer:
    """`async with` serves `self.web` (built by the subclass) and opens the client session."""

    web: web.Application
    port: int = 0
    _runner: aiohttp.web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._client = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()
