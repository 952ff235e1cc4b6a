"""Zalo Bot Platform: long polling (or the webhook at /zalo/bot) in, `sendMessage` out, over aiohttp.

The Bot Platform looks like Telegram's Bot API but is not: `getUpdates` returns ONE event per
call with no offset, an idle poll is HTTP 408, consumed events may come back, and there are no
buttons. Shapes and limits: ../shared/reference/zalo.md §2.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import App
from bot.channels.broadcast_drain import BroadcastDrainer, DrainLimits
from bot.channels.http_proxy import env_proxy
from bot.channels.inflight import Inflight
from bot.channels.zalo_render import plain_texts, split_text, typed_pick
from bot.config import Settings
from bot.core.messages import Inbound, Reply
from bot.storage.users import last_choices

log = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
WEBHOOK_PATH = "/zalo/bot"
POLL_TIMEOUT = 30          # seconds the server may hold an idle getUpdates
MIN_POLL_INTERVAL = 1.0    # the platform asks for at most about one poll per second
MAX_BACKOFF = 60.0
# Broadcasts (results, reminders, time-up notices) go out with sendMessage, paced by the drain;
# the platform publishes no rate, only a 429 "Quota exceeded" (sendMessage backs off on it).
BROADCASTS_PER_SECOND = 10
# A send that fails in transit (network error, timeout, HTTP 5xx) or over quota (429) is tried
# again after these pauses (429's retry_after wins when given); a refusal (400, 403) is not.
SEND_BACKOFF = (1.0, 2.0, 4.0)
SEND_TIMEOUT = 15.0
# Non-text messages get the short help; a protected user's message (often a child's) arrives
# as `message.unsupported.received` without its content and gets the kind welcome instead.
_COMMAND_FOR_EVENT = {
    "message.unsupported.received": "/start",
    "message.image.received": "/help",
    "message.sticker.received": "/help",
}


class BotAPIError(Exception):
    """A Bot Platform call that failed: HTTP >= 400 or `ok` not true."""

    def __init__(self, status: int, code: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}, error_code {code}")
        self.status = status
        self.code = code
        self.retry_after = retry_after


class ZaloBotAPI:
    """`POST {base}{token}/{method}` with a JSON body; returns `result` or raises `BotAPIError`."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self.http = http
        self._prefix = f"{base_url}{token}/"  # holds the token: never logged

    async def call(self, method: str, payload: dict[str, Any] | None = None, timeout: float = 15) -> Any:
        """The call's `result`; BotAPIError for a refusal; aiohttp/timeout errors pass through."""
        async with self.http.post(self._prefix + method, json=payload or {}, timeout=aiohttp.ClientTimeout(total=timeout),
                                  **env_proxy(self._prefix)) as response:
            body = await response.json(content_type=None)
        if response.status >= 400 or not isinstance(body, dict) or body.get("ok") is not True:
            data = body if isinstance(body, dict) else {}
            retry = data.get("parameters", {}).get("retry_after") if isinstance(data.get("parameters"), dict) else None
            raise BotAPIError(response.status, int(data.get("error_code") or response.status),
                              float(retry) if isinstance(retry, int | float) else None)
        return body.get("result")


class ZaloBotChannel:
    """The Bot Platform channel: polls (or serves the webhook), handles events, answers as text."""

    name = CHANNEL

    def __init__(self, app: App, settings: Settings) -> None:
        assert settings.zalo_bot_token
        self.app = app
        self.settings = settings
        self.webhook_secret = settings.zalo_bot_webhook_secret
        self.inflight = Inflight(CHANNEL)
        self.poll_interval = MIN_POLL_INTERVAL
        self.polls = 0
        self._http: aiohttp.ClientSession | None = None
        self._api: ZaloBotAPI | None = None
        self._poller: asyncio.Task[None] | None = None
        self.broadcasts: BroadcastDrainer | None = None

    @property
    def api(self) -> ZaloBotAPI:
        assert self._api is not None, "start() first"
        return self._api

    def add_routes(self, web_app: web.Application) -> None:
        """Serve the webhook at /zalo/bot on the shared server (webhook mode only)."""
        if self.webhook_secret:
            web_app.router.add_post(WEBHOOK_PATH, self.webhook)

    async def start(self) -> None:
        """Open the HTTP session and, without a webhook secret, start polling."""
        self._http = aiohttp.ClientSession()   # proxy: env_proxy() per request
        assert self.settings.zalo_bot_token
        self._api = ZaloBotAPI(self._http, self.settings.zalo_bot_api_base_url, self.settings.zalo_bot_token)
        self.broadcasts = BroadcastDrainer(self.app.db, CHANNEL, self.send_text, split_text,
                                           DrainLimits.from_settings(self.settings, per_second=BROADCASTS_PER_SECOND))
        self.broadcasts.start()
        if self.webhook_secret:
            log.info("zalo_bot: webhook mode at %s (register it once with setWebhook)", WEBHOOK_PATH)
            return
        await self._drop_webhook()
        self._poller = asyncio.create_task(self.poll_forever(), name="zalo_bot-poll")
        log.info("zalo_bot: polling")

    async def stop(self) -> None:
        """Settle the broadcasts under way, stop polling, finish the events in progress, close the HTTP session."""
        if self.broadcasts is not None:
            await self.broadcasts.stop()
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.inflight.drain()
        if self._http is not None:
            await self._http.close()

    async def healthy(self) -> bool:
        """For /healthz: started, and polling unless in webhook mode."""
        if self._api is None:
            return False
        return self._poller is None or not self._poller.done()

    async def _drop_webhook(self) -> None:
        """getUpdates does not work while a webhook is set, so polling removes it (as Telegram bots do)."""
        try:
            info = await self.api.call("getWebhookInfo")
            if isinstance(info, dict) and info.get("url"):
                await self.api.call("deleteWebhook")
                log.warning("zalo_bot: a webhook was set; removed it to poll")
        except (BotAPIError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("zalo_bot: could not check the webhook: %s", _describe(exc))

    async def poll_forever(self) -> None:
        """Poll until cancelled: ≤ 1 call a second, 408 is an idle poll, errors back off."""
        loop = asyncio.get_running_loop()
        backoff = 0.0
        while True:
            started = loop.time()
            delay = 0.0
            try:
                self.polls += 1
                update = await self.api.call("getUpdates", {"timeout": POLL_TIMEOUT}, timeout=POLL_TIMEOUT + 10)
                self.accept(update)
                backoff = 0.0
            except BotAPIError as exc:
                if exc.status != 408:  # 408 = nothing happened during the long poll
                    backoff = min(MAX_BACKOFF, max(2.0, backoff * 2))
                    delay = exc.retry_after or backoff
                    log.warning("zalo_bot: getUpdates refused (%s); next poll in %.0f s", _describe(exc), delay)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                backoff = min(MAX_BACKOFF, max(2.0, backoff * 2))
                delay = backoff
                log.warning("zalo_bot: getUpdates failed (%s); next poll in %.0f s", _describe(exc), delay)
            await asyncio.sleep(max(delay, self.poll_interval - (loop.time() - started)))

    async def webhook(self, request: web.Request) -> web.Response:
        """Answer 200 at once to an update with the right secret (handled afterwards); 403 otherwise."""
        if self._api is None:
            return web.Response(status=503, text="starting")  # the platform retries; nothing is lost
        given = request.headers.get("X-Bot-Api-Secret-Token", "")
        assert self.webhook_secret
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            log.warning("zalo_bot: webhook with a bad or missing secret refused")
            return web.Response(status=403, text="forbidden")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="bad json")
        # The webhook body is the same envelope as getUpdates; accept a bare event too.
        self.accept(body.get("result", body) if isinstance(body, dict) and "ok" in body else body)
        return web.Response(text="ok")

    def accept(self, update: Any) -> None:
        """Queue one update for handling, in order per chat."""
        inbound = translate(update)
        if inbound is not None:
            self.inflight.spawn(inbound.chat_id, self.handle(inbound))

    async def handle(self, inbound: Inbound) -> None:
        """Call the core and send its replies; a redelivered message_id is dropped by the core."""
        replies = await self.app.dialogue.handle(await self._with_pick(inbound))
        await self.send_replies(inbound.chat_id, replies)

    async def _with_pick(self, inbound: Inbound) -> Inbound:
        """A typed number picks from the numbered list we showed (there are no buttons here)."""
        if not inbound.text.strip().isdecimal():
            return inbound
        async with self.app.db.session() as session:
            payloads = await last_choices(session, platform=CHANNEL, platform_user_id=inbound.user_id)
        picked = typed_pick(inbound.text, payloads)
        return replace(inbound, text="", payload=picked) if picked else inbound

    async def send_replies(self, chat_id: str, replies: list[Reply]) -> None:
        """Each reply as text parts of ≤ 2,000 characters, choices as a list numbered across the turn."""
        first = 1
        for reply in replies:
            for text in plain_texts(reply, first):
                await self.send_text(chat_id, text)
            first += len(reply.choices)

    async def send_text(self, chat_id: str, text: str) -> bool:
        """sendMessage; 429, 5xx, timeouts and network errors back off and try again, a refusal does not."""
        for pause in (*SEND_BACKOFF, None):
            try:
                await self.api.call("sendMessage", {"chat_id": chat_id, "text": text}, timeout=SEND_TIMEOUT)
                return True
            except BotAPIError as exc:
                if exc.status != 429 and exc.status < 500:
                    log.warning("zalo_bot: sendMessage refused (%s)", _describe(exc))
                    return False
                problem, wait = _describe(exc), exc.retry_after or pause
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                problem, wait = _describe(exc), pause
            if wait is None:
                log.warning("zalo_bot: sendMessage failed for good (%s)", problem)
                return False
            log.info("zalo_bot: sendMessage failed (%s), retrying in %.1f s", problem, wait)
            await asyncio.sleep(wait)
        return False


def translate(update: Any) -> Inbound | None:
    """The core's view of a Bot Platform event, or None for events we ignore."""
    if not isinstance(update, dict) or not isinstance(update.get("message"), dict):
        return None
    name = str(update.get("event_name", ""))
    message: dict[str, Any] = update["message"]
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    assert isinstance(sender, dict) and isinstance(chat, dict)
    user_id = str(sender.get("id") or chat.get("id") or "")
    chat_id = str(chat.get("id") or user_id)
    if not user_id or sender.get("is_bot"):
        return None
    if name == "message.text.received":
        text = str(message.get("text") or "")
    elif name in _COMMAND_FOR_EVENT:
        text = _COMMAND_FOR_EVENT[name]
    else:
        return None
    event_id = str(message.get("message_id") or "") or None
    return Inbound(CHANNEL, user_id, chat_id, text=text, event_id=event_id,
                   is_group=str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE")


def _describe(exc: BaseException) -> str:
    """An error for the log, without the URL (it holds the bot token)."""
    return str(exc) if isinstance(exc, BotAPIError) else type(exc).__name__
