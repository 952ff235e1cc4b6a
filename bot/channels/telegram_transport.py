"""How python-telegram-bot reaches the Bot API: an aiohttp transport, or the library's httpx one.

python-telegram-bot lets an application supply its own `BaseRequest`. Measured here with an echo
bot, an aiohttp session carries 1,189 updates/s against httpx's 303 (polling; webhook 762 vs 292,
docs/performance.md), so it is the default; `TELEGRAM_TRANSPORT=httpx` switches back.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.channels.http_proxy import env_proxy

DEFAULT_TIMEOUT = 10.0


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one pooled `aiohttp.ClientSession`: JSON bodies, multipart for files,
    through the proxy the environment names (HTTPS_PROXY / NO_PROXY, as httpx honours them)."""

    def __init__(self, connections: int = 64, read_timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, json_serialize=_json)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; returns (HTTP status, body). Transport failures become NetworkError."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            sock_connect=_seconds(connect_timeout, DEFAULT_TIMEOUT),
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        body: dict[str, Any] = env_proxy(url)
        if request_data is not None and request_data.contains_files:
            body["data"] = _multipart(request_data)
        elif request_data is not None:
            body["json"] = request_data.parameters
        try:
            async with self._session.request(method, url, timeout=timeout, **body) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout argument: the library passes DEFAULT_NONE when the caller set none."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return value if isinstance(value, int | float) or value is None else default


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """An upload: the fields as the library encoded them (strings raw, the rest JSON), then the files."""
    form = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form


def make_request(transport: str, *, connections: int, read_timeout: float | None = DEFAULT_TIMEOUT) -> BaseRequest:
    """The request object for `transport` (`aiohttp` or `httpx`)."""
    if transport == "httpx":
        return HTTPXRequest(connection_pool_size=connections, read_timeout=read_timeout, pool_timeout=5.0)
    return AiohttpRequest(connections=connections, read_timeout=read_timeout)
