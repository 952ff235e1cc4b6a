"""A fake Zalo Bot Platform: a real aiohttp server on 127.0.0.1 speaking `/bot<TOKEN>/<method>`.

Shaped as ../shared/reference/zalo.md §2 says: JSON bodies, the `{"ok","result"}` envelope with
the HTTP status equal to `error_code` on failure, `getUpdates` returning ONE event (no
offset) or HTTP 408 after an idle long poll, consumed events that can come back, 429 "Quota
exceeded" without `retry_after`, `sendMessage` refusing texts over 2,000 characters and, on
demand, refusing one chat outright (`refuse`: HTTP 403, as for a user who blocked the bot; the
exact code is not in our reference). It records every call and can POST an update to the bot's
webhook. Nothing here knows about rightsbot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

Json = dict[str, Any]


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: Json
    status: int = 200
    at: float = field(default_factory=time.perf_counter)


class FakeZaloBot(LoopbackServer):
    """`async with FakeZaloBot() as zb:` serves `zb.base_url` (use as ZALO_BOT_API_BASE_URL)."""

    def __init__(self, token: str = "1234567890:zalo-bot-test-token", idle_wait: float = 0.3) -> None:
        self.token = token
        self.idle_wait = idle_wait              # longest an idle getUpdates is held before 408
        self.calls: list[Call] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.quota: dict[str, int] = {}         # method -> how many next calls answer 429
        self.refused: set[str] = set()           # chat ids sendMessage refuses (403)
        self._queue: asyncio.Queue[Json] = asyncio.Queue()
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self.web = web.Application()
        self.web.router.add_post("/bot{token}/{method}", self._dispatch)

    # --- server life ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- test controls -------------------------------------------------------------------------

    @staticmethod
    def update(user_id: str, text: str | None = None, *, event_name: str = "message.text.received",
               message_id: str | None = None) -> Json:
        """An update as the platform sends it (ids are hex strings, `date` in milliseconds)."""
        message: Json = {
            "from": {"id": user_id, "display_name": "Lan", "is_bot": False},
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
            "message_id": message_id or secrets.token_hex(10),
            "date": int(time.time() * 1000),
        }
        if text is not None:
            message["text"] = text
        return {"event_name": event_name, "message": message}

    def push(self, update: Json, times: int = 1) -> None:
        """Queue an update for getUpdates; `times` > 1 redelivers it, as consumed events can come back."""
        for _ in range(times):
            self._queue.put_nowait(update)

    async def post_webhook(self, update: Json, secret: str | None = None, url: str | None = None) -> int:
        """POST an update to the bot's webhook (the same envelope as getUpdates); the HTTP status."""
        assert self._client is not None
        headers = {} if secret is None else {"X-Bot-Api-Secret-Token": secret}
        async with self._client.post(url or self.webhook_url, json={"ok": True, "result": update},
                                     headers=headers) as response:
            await response.read()
            return response.status

    def exceed_quota(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer 429 "Quota exceeded" (no retry_after, as Zalo does)."""
        self.quota[method] = times

    def refuse(self, chat_id: str) -> None:
        """Every sendMessage to this chat answers 403 from now on."""
        self.refused.add(chat_id)

    def calls_to(self, method: str, status: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (status is None or c.status == status)]

    def texts_to(self, chat_id: str) -> list[str]:
        return [c.params["text"] for c in self.calls_to("sendMessage", 200) if c.params.get("chat_id") == chat_id]

    async def wait_for_texts(self, chat_id: str, count: int, timeout: float = 20.0) -> list[str]:
        """The first `count` texts sent to a chat, waiting for them."""
        async def ready() -> list[str]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.texts_to(chat_id)) >= count)
            return self.texts_to(chat_id)

        try:
            return await asyncio.wait_for(ready(), timeout)
        except TimeoutError:
            raise AssertionError(f"expected {count} texts to {chat_id}, got {self.texts_to(chat_id)}") from None

    # --- the API -------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await request.json() if request.can_read_body else {}
        except json.JSONDecodeError:
            return await self._answer(Call(method, {}), _error(400, "Bad Request: invalid JSON"))
        call = Call(method, params if isinstance(params, dict) else {})
        if request.match_info["token"] != self.token:
            return await self._answer(call, _error(401, "Unauthorized"))
        if self.quota.get(method, 0) > 0:
            self.quota[method] -= 1
            return await self._answer(call, _error(429, "Quota exceeded"))
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return await self._answer(call, _error(404, "Not Found: method not found"))
        return await self._answer(call, await handler(call.params))

    async def _answer(self, call: Call, response: web.Response) -> web.Response:
        call.status = response.status
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return response

    async def api_getMe(self, _params: Json) -> web.Response:
        return _ok({"id": "3045761234567890123", "account_name": "bot.rightsbot", "account_type": "BASIC",
                    "can_join_groups": False})

    async def api_getUpdates(self, params: Json) -> web.Response:
        if self.webhook_url:
            return _error(400, "Bad Request: getUpdates is not available while a webhook is set")
        wait = min(float(params.get("timeout", 30)), self.idle_wait)
        try:
            update = await asyncio.wait_for(self._queue.get(), wait)
        except TimeoutError:
            return _error(408, "Request timeout")
        return _ok(update)

    async def api_setWebhook(self, params: Json) -> web.Response:
        secret = str(params.get("secret_token", ""))
        if not str(params.get("url", "")).startswith("https://") or not 8 <= len(secret) <= 256:
            return _error(400, "Bad Request: url must be https and secret_token 8-256 characters")
        self.webhook_url, self.webhook_secret = params["url"], secret
        return _ok({"url": self.webhook_url, "updated_at": int(time.time() * 1000)})

    async def api_deleteWebhook(self, _params: Json) -> web.Response:
        self.webhook_url = self.webhook_secret = ""
        return _ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def api_getWebhookInfo(self, _params: Json) -> web.Response:
        return _ok({"url": self.webhook_url, "updated_at": int(time.time() * 1000)})

    async def api_sendMessage(self, params: Json) -> web.Response:
        text = params.get("text")
        if not isinstance(params.get("chat_id"), str) or not params["chat_id"]:
            return _error(400, "Bad Request: chat_id is required")
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return _error(400, "Bad Request: text must be 1-2000 characters")
        if params["chat_id"] in self.refused:
            return _error(403, "Forbidden: the user has blocked the bot")
        return _ok({"message_id": secrets.token_hex(10), "date": int(time.time() * 1000)})

    async def api_sendChatAction(self, _params: Json) -> web.Response:
        return _ok(True)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)
