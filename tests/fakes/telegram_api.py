"""A fake Telegram Bot API: a real aiohttp server on 127.0.0.1 that python-telegram-bot 22.8 talks to.

Shaped like aiohttp's `examples/fake_server.py`: one method per Bot API endpoint, realistic
JSON (the library parses every reply, so required fields are all present), a real long-poll
for `getUpdates`, a real POST to the bot's webhook once one is set. It records every call and
can answer 429 or 5xx on demand. Nothing here knows about rightsbot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from aiohttp import web

BOT_ID = 999000
BOT_USERNAME = "rightsbot_test_bot"
# Form fields the Bot API defines as strings: python-telegram-bot sends these raw and
# JSON-encodes everything else, so the text "123" must stay a string here.
TEXT_FIELDS = frozenset({
    "text", "callback_query_id", "inline_query_id", "question", "explanation", "type", "url",
    "secret_token", "caption", "language_code", "parse_mode", "next_offset", "switch_pm_text",
    "switch_pm_parameter", "inline_message_id", "business_connection_id", "message_effect_id",
})

Json = dict[str, Any]


@dataclass
class Call:
    """One request the bot made: the method, its decoded parameters, when it arrived."""

    method: str
    params: Json
    at: float = field(default_factory=time.perf_counter)
    result: Any = None
    in_webhook_reply: bool = False    # made in the response to a webhook POST, not as a request


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    times: int = 1


class FakeTelegramAPI:
    """`async with FakeTelegramAPI() as api:` serves `api.base_url` (use as TELEGRAM_API_BASE_URL)."""

    def __init__(self, token: str = "123456:TEST") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[Json] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.failures: dict[str, list[Failure]] = {}
        self.webhook_statuses: list[int] = []
        self.delays: dict[str, float] = {}          # seconds a method takes, to keep work in flight
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._poll_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._offset = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0
        self.web = web.Application()
        self.web.router.add_route("*", "/bot{token}/{method}", self._dispatch)

    # --- server life ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._client = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        async with self._changed:  # end pending long polls now, not at their timeout
            self._closing = True
            self._changed.notify_all()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- control from tests ----------------------------------------------------------------------

    def fail(self, method: str, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` get `status` (429 carries `retry_after`)."""
        self.failures.setdefault(method, []).append(Failure(status, retry_after, times))

    async def push(self, update: Json) -> int:
        """Deliver an update: queue it for getUpdates, or POST it to the webhook if one is set."""
        update.setdefault("update_id", next(self._update_ids))
        if self.webhook_url:
            status = await self.post_webhook(update, self.webhook_secret)
            self.webhook_statuses.append(status)
            return int(update["update_id"])
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    async def post_webhook(self, update: Json, secret: str | None) -> int:
        """POST one update to the bot's webhook as Telegram does; returns the HTTP status."""
        assert self._client is not None and self.webhook_url
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with self._client.post(self.webhook_url, data=json.dumps(update), headers=headers) as response:
            body = await response.read()
            status = response.status
            reply = json.loads(body) if status == 200 and response.content_type == "application/json" else None
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            await self._webhook_request(reply)
        return status

    async def _webhook_request(self, reply: Json) -> None:
        """A Bot API call made in the webhook's response (`method` plus its parameters): run and
        recorded like any other call; its result goes nowhere, as on Telegram."""
        params = {k: v for k, v in reply.items() if k != "method"}
        call = Call(str(reply["method"]), params, in_webhook_reply=True)
        if call.method in ENDPOINTS and call.method != "getUpdates":
            with contextlib.suppress(BotAPIError):    # a refused call is still recorded
                call.result = await getattr(self, call.method)(params)
        await self._record(call)

    def calls_to(self, method: str, **match: Any) -> list[Call]:
        return [c for c in self.calls if c.method == method and all(c.params.get(k) == v for k, v in match.items())]

    async def wait_for(self, method: str | tuple[str, ...], count: int = 1, timeout: float = 15.0,
                       where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Wait until `count` calls of `method` (or any of several, matching `where`) have arrived; returns them."""
        methods = (method,) if isinstance(method, str) else method

        def found() -> list[Call]:
            return [c for c in self.calls if c.method in methods and (where is None or where(c))]

        async def ready() -> list[Call]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(found()) >= count)
            return found()

        try:
            return await asyncio.wait_for(ready(), timeout)
        except TimeoutError:
            got = [(c.method, c.params.get("text", "")[:60]) for c in self.calls[-15:]]
            raise AssertionError(f"waited {timeout}s for {count}x {method}; last calls: {got}") from None

    # --- update builders ---------------------------------------------------------------------------

    @staticmethod
    def user(user_id: int, first_name: str = "Lan", language_code: str = "vi") -> Json:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}

    def message(self, user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private",
                first_name: str = "Lan", language_code: str = "vi") -> Json:
        """An update carrying a text message (commands get their bot_command entity)."""
        chat: Json = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Lớp 12A"
        else:
            chat["first_name"] = first_name
        message: Json = {
            "message_id": next(self._counter(chat["id"])), "date": int(time.time()), "chat": chat,
            "from": self.user(user_id, first_name, language_code), "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"message": message}

    def callback(self, user_id: int, sent: Call, data: str, language_code: str = "vi") -> Json:
        """An update for pressing a button of the message the bot sent in `sent`."""
        return {"callback_query": {
            "id": f"cq{next(self._update_ids)}", "from": self.user(user_id, language_code=language_code),
            "chat_instance": f"ci{user_id}", "data": data, "message": sent.result,
        }}

    def poll_answer(self, poll_id: str, user_id: int, option: int, first_name: str = "Lan") -> Json:
        return {"poll_answer": {
            "poll_id": poll_id, "user": self.user(user_id, first_name), "option_ids": [option],
            "option_persistent_ids": [str(option)],
        }}

    def inline_query(self, user_id: int, query: str, language_code: str = "vi") -> Json:
        return {"inline_query": {
            "id": f"iq{next(self._update_ids)}", "from": self.user(user_id, language_code=language_code),
            "query": query, "offset": "",
        }}

    # --- the HTTP side -----------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        name = request.match_info["method"]
        if name not in ENDPOINTS:
            return _error(404, "Not Found: method not found")
        endpoint: Callable[[Json], Awaitable[Any]] = getattr(self, name)
        params = await _params(request)
        call = Call(name, params)
        if name == "getUpdates":
            await self._record(call)  # at arrival: tests wait for the bot to start polling
        failure = self._take_failure(name)
        if failure is not None:
            await self._record(call)
            return _failure_response(failure)
        if self.delays.get(name):
            await asyncio.sleep(self.delays[name])
        try:
            call.result = await endpoint(params)
        except BotAPIError as exc:
            await self._record(call)
            return _error(exc.status, exc.description)
        if name != "getUpdates":
            await self._record(call)
        return web.json_response({"ok": True, "result": call.result})

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _take_failure(self, method: str) -> Failure | None:
        queue = self.failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    def _counter(self, chat_id: int) -> itertools.count[int]:
        return self._message_ids.setdefault(chat_id, itertools.count(1))

    def _bot_message(self, chat_id: Any, **content: Any) -> Json:
        chat_id = int(chat_id)
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "Lớp 12A"
        return {"message_id": next(self._counter(chat_id)), "date": int(time.time()), "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "RightsBot", "username": BOT_USERNAME},
                **content}

    # --- endpoints (names as the Bot API spells them) ------------------------------------------------

    async def getMe(self, _params: Json) -> Json:
        return {"id": BOT_ID, "is_bot": True, "first_name": "RightsBot", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}

    async def getUpdates(self, params: Json) -> list[Json]:
        """Long poll: confirm below `offset`, return what is pending or wait up to `timeout`."""
        if self.webhook_url:
            raise BotAPIError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            if offset:
                self._offset = max(self._offset, offset)
                self.updates = [u for u in self.updates if u["update_id"] >= self._offset]
            if not self.updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.updates) or self._closing), timeout)
            return self.updates[:limit]

    async def setWebhook(self, params: Json) -> bool:
        self.webhook_url = str(params["url"])
        self.webhook_secret = params.get("secret_token")
        return True

    async def deleteWebhook(self, params: Json) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def getWebhookInfo(self, _params: Json) -> Json:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    async def sendMessage(self, params: Json) -> Json:
        text = str(params.get("text", ""))
        if not text or len(text) > 4096:
            raise BotAPIError(400, "Bad Request: message text is empty" if not text else "Bad Request: message is too long")
        _check_keyboard(params)
        content: Json = {"text": text}
        if params.get("reply_markup"):
            content["reply_markup"] = params["reply_markup"]
        return self._bot_message(params["chat_id"], **content)

    async def editMessageText(self, params: Json) -> Json:
        text = str(params.get("text", ""))
        if not text or len(text) > 4096:
            raise BotAPIError(400, "Bad Request: message text is empty or too long")
        _check_keyboard(params)
        message = self._bot_message(params["chat_id"], text=text, edit_date=int(time.time()))
        message["message_id"] = int(params["message_id"])
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def answerCallbackQuery(self, _params: Json) -> bool:
        return True

    async def sendPoll(self, params: Json) -> Json:
        options = [o["text"] if isinstance(o, dict) else str(o) for o in params["options"]]
        if not 2 <= len(options) <= 12 or any(len(o) > 100 for o in options) or len(str(params["question"])) > 300:
            raise BotAPIError(400, "Bad Request: poll options or question too long")
        if len(str(params.get("explanation", ""))) > 200:
            raise BotAPIError(400, "Bad Request: explanation is too long")
        correct = params.get("correct_option_ids") or [params.get("correct_option_id", 0)]
        poll = {
            "id": str(next(self._poll_ids) + 5_000_000), "question": params["question"],
            "options": [{"text": o, "voter_count": 0, "persistent_id": str(i)} for i, o in enumerate(options)],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": params.get("is_anonymous", True),
            "type": params.get("type", "regular"), "allows_multiple_answers": False,
            "allows_revoting": False, "members_only": False, "correct_option_ids": correct,
            "explanation": params.get("explanation"), "open_period": params.get("open_period"),
        }
        return self._bot_message(params["chat_id"], poll=poll)

    async def stopPoll(self, params: Json) -> Json:
        sent = [c for c in self.calls if c.method == "sendPoll" and c.result and
                c.result["message_id"] == int(params["message_id"]) and c.result["chat"]["id"] == int(params["chat_id"])]
        if not sent:
            raise BotAPIError(400, "Bad Request: message with poll to stop not found")
        return {**sent[-1].result["poll"], "is_closed": True}

    async def sendDocument(self, params: Json) -> Json:
        return self._bot_message(params["chat_id"], document={
            "file_id": "doc1", "file_unique_id": "udoc1", "file_name": str(params.get("document", "file"))})

    async def sendPhoto(self, params: Json) -> Json:
        return self._bot_message(params["chat_id"], photo=[
            {"file_id": "ph1", "file_unique_id": "uph1", "width": 800, "height": 600}])

    async def setMyCommands(self, params: Json) -> bool:
        if not isinstance(params.get("commands"), list):
            raise BotAPIError(400, "Bad Request: commands must be a list")
        return True

    async def answerInlineQuery(self, params: Json) -> bool:
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise BotAPIError(400, "Bad Request: results must be a list of at most 50")
        return True


ENDPOINTS = frozenset({
    "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage", "editMessageText",
    "answerCallbackQuery", "sendPoll", "stopPoll", "sendDocument", "sendPhoto", "setMyCommands", "answerInlineQuery",
})


class BotAPIError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


async def _params(request: web.Request) -> Json:
    """Decode form (or JSON) parameters the way the Bot API does."""
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body)
    form = await request.post() if request.can_read_body else {}
    params: Json = dict(request.query)
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = value.filename
        elif key in TEXT_FIELDS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
    return params


def _check_keyboard(params: Json) -> None:
    """Telegram rejects callback_data over 64 bytes: so must the fake."""
    markup = params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")


def _error(status: int, description: str, parameters: Json | None = None) -> web.Response:
    body: Json = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _failure_response(failure: Failure) -> web.Response:
    if failure.status == 429:
        retry = failure.retry_after or 1
        return _error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
    return _error(failure.status, "Internal Server Error" if failure.status == 500 else "Bad Gateway")
