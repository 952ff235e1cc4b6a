"""Network faults for any of the fakes: an aiohttp middleware that answers the next requests of
a path with 429, 500 or 502, hangs past the client's timeout, or closes the connection, before
the fake itself sees them (so the fake records only what was really delivered).

    faults = Faults()
    fake.web.middlewares.append(faults.middleware)      # before `async with fake`
    faults.add("/sendMessage", 429, 500, "hang", "close")

Bodies are shaped like the platform the path belongs to: Telegram and the Zalo Bot Platform
use `{"ok": false, "error_code", "description"}` (429 with `parameters.retry_after`); the OA's
gateway errors are the bare HTML a proxy gives.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HANG_SECONDS = 3.0


@dataclass
class Faults:
    """Faults queued per path suffix, served in order; `served` lists (path, fault, time)."""

    queued: dict[str, list[int | str]] = field(default_factory=dict)
    served: list[tuple[str, int | str, float]] = field(default_factory=list)
    retry_after: int = 1

    def add(self, path_suffix: str, *faults: int | str) -> None:
        self.queued.setdefault(path_suffix, []).extend(faults)

    def pending(self) -> int:
        return sum(len(v) for v in self.queued.values())

    def _take(self, path: str) -> int | str | None:
        for suffix, faults in self.queued.items():
            if path.endswith(suffix) and faults:
                return faults.pop(0)
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = self._take(request.path)
        if fault is None:
            return await handler(request)
        self.served.append((request.path, fault, time.perf_counter()))
        await request.read()
        if fault == "close":
            assert request.transport is not None
            request.transport.close()          # the connection drops with no response at all
            return web.Response()
        if fault == "hang":
            await asyncio.sleep(HANG_SECONDS)  # longer than the client's timeout
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        assert isinstance(fault, int)
        if "/v3.0/oa/" in request.path and fault >= 500:
            return web.Response(status=fault, text="<html><body>Bad Gateway</body></html>", content_type="text/html")
        body: dict[str, object] = {"ok": False, "error_code": fault,
                                   "description": "Too Many Requests" if fault == 429 else "Internal Server Error"}
        if fault == 429:
            body["parameters"] = {"retry_after": self.retry_after}
            body["description"] = f"Too Many Requests: retry after {self.retry_after}"
        return web.Response(status=fault, text=json.dumps(body), content_type="application/json")
