"""The Telegram channel: python-telegram-bot updates in, core replies out.

Each handler does three things: translate the update into an `Inbound`, call the core, render
the replies. All state lives in the core and the database (never in `bot_data`), so any
process can take any update. The wiring is the list of `add_handler` lines in `_wire`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from bot import metrics
from bot.app import App
from bot.channels.telegram_broadcast import TelegramBroadcastDrainer
from bot.channels.telegram_delivery import Pressed, Sender
from bot.channels.telegram_group_quiz import GroupQuizzes
from bot.channels.telegram_render import clip, split_text
from bot.channels.telegram_transport import make_request
from bot.channels.webserver import verify_secret
from bot.config import Settings
from bot.core.answers import entry_text
from bot.core.messages import Inbound
from bot.qa.knowledge import Entry

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "callback_query", "inline_query", "poll_answer"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_DEEP_LINK = re.compile(r"^/start(?:@\w+)?\s+c_([A-Za-z0-9]{1,32})\s*$")
INLINE_RESULTS = 5
MAX_CONCURRENT_UPDATES = 64
POLL_TIMEOUT = 10

# (command, Vietnamese description, English command, English description). Only commands the
# running core knows are registered; `quiz` belongs to this channel (group quizzes).
COMMANDS = (
    ("start", "Bắt đầu và menu chính", "start", "Start and main menu"),
    ("luyentap", "Luyện tập trắc nghiệm", "practice", "Practice quiz"),
    ("thi", "Tham gia cuộc thi: /thi MÃ", "contest", "Join a contest: /contest CODE"),
    ("chude", "Các chủ đề", "topics", "Topics"),
    ("huongdan", "Hướng dẫn", "help", "Help"),
    ("lang", "Đổi ngôn ngữ", "lang", "Change language"),
    ("quiz", "Đố vui trong nhóm: /quiz [chủ đề] [số câu]", "quiz", "Group quiz: /quiz [topic] [n]"),
)


def deep_link_text(text: str) -> str:
    """`/start c_CODE` (from https://t.me/<bot>?start=c_CODE) becomes the core's `/thi CODE`."""
    match = _DEEP_LINK.match(text.strip())
    return f"/thi {match.group(1).upper()}" if match else text


def inbound_from_message(update: Update) -> Inbound | None:
    """A typed message as the core's Inbound; None for anything without text or sender."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or not message.text:
        return None
    return Inbound(
        channel=CHANNEL, user_id=str(user.id), chat_id=str(chat.id), text=deep_link_text(message.text),
        event_id=str(update.update_id), language=user.language_code, is_group=chat.type != "private",
    )


def inbound_from_button(update: Update) -> Inbound | None:
    """A button press as the core's Inbound (the payload is the button's callback_data)."""
    query = update.callback_query
    if query is None or not query.data:
        return None
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    return Inbound(
        channel=CHANNEL, user_id=str(query.from_user.id), chat_id=str(chat_id), payload=query.data,
        event_id=str(update.update_id), language=query.from_user.language_code,
        is_group=query.message is not None and query.message.chat.type != "private",
    )


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates run concurrently, but those of one chat run in arrival order (two fast presses)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _order_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class TelegramChannel:
    """The bot on Telegram: long polling, or a webhook route on the shared web server."""

    name = CHANNEL

    def __init__(self, app: App, settings: Settings, transport: str = "aiohttp") -> None:
        assert settings.telegram_token
        self.app = app
        self.settings = settings
        self.webhook = bool(settings.telegram_webhook_url and settings.telegram_webhook_secret)
        self.application = _build_application(settings, transport, polling=not self.webhook)
        self.sender = Sender(self.application.bot, app.db)
        self.group_quizzes = GroupQuizzes(app, self.sender, settings)
        self.broadcasts = TelegramBroadcastDrainer(app.db, self.sender, settings)
        self._tasks: list[asyncio.Task[None]] = []
        self._wire(self.application)

    def _wire(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(CommandHandler("quiz", self.on_group_quiz, filters=filters.ChatType.GROUPS))
        application.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT, self.on_message))
        # In groups the bot speaks only when addressed with a command (privacy mode sends nothing else).
        application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(PollAnswerHandler(self.on_poll_answer))
        application.add_handler(InlineQueryHandler(self.on_inline_query))
        application.add_error_handler(self.on_error)

    # --- handlers: one per user action ------------------------------------------------------------

    async def on_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed message or command: the core's answer, with its buttons."""
        inbound = inbound_from_message(update)
        if inbound is None:
            return
        with metrics.handling(CHANNEL, metrics.message_kind(inbound.text)):
            replies = await self.app.dialogue.handle(inbound)
            await self.sender.send_replies(int(inbound.chat_id), replies)

    async def on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: the core's next step (often an edit of the question message)."""
        query = update.callback_query
        assert query is not None
        # Every callback query must be answered or the user's client shows a spinner on the
        # button: https://core.telegram.org/bots/api#answercallbackquery. With a webhook the
        # answer rides on the webhook's HTTP response (`on_webhook`), one request fewer.
        with metrics.handling(CHANNEL, "button"):
            answered = None if self.webhook else asyncio.create_task(
                self.sender.answer_button(query.from_user.id, query.id))
            inbound = inbound_from_button(update)
            replies = await self.app.dialogue.handle(inbound) if inbound is not None else []
            if answered is not None:
                await answered
            if inbound is not None:
                pressed = Pressed(query.message.message_id, query.data or "") if query.message is not None else None
                await self.sender.send_replies(int(inbound.chat_id), replies, pressed)

    async def on_group_quiz(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/quiz [topic] [n]` in a group: staff start a round of native quiz polls."""
        with metrics.handling(CHANNEL, "group_quiz"):
            await self.group_quizzes.start(update, list(context.args or []))

    async def on_poll_answer(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group member answered a quiz poll: score it (once)."""
        with metrics.handling(CHANNEL, "poll_answer"):
            await self.group_quizzes.record_answer(update)

    async def on_inline_query(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """`@bot words` in any chat: the best sourced answers, ready to share."""
        query = update.inline_query
        assert query is not None
        with metrics.handling(CHANNEL, "inline_query"):
            results = inline_articles(self.app, query.query)
            await self.sender.call(query.from_user.id, "answerInlineQuery",
                                   lambda: query.answer(results, cache_time=60, is_personal=False))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything a handler did not expect: logged by kind (no message text), the bot carries on."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s failed: %r", update_id, type(context.error).__name__, exc_info=context.error)

    # --- life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, register the command menus, then poll or set the webhook; start background loops."""
        try:
            await self.application.initialize()
        except InvalidToken:
            # python-telegram-bot's message quotes the token: never let it reach a log or a terminal.
            with contextlib.suppress(Exception):
                await self.application.bot.shutdown()
            raise RuntimeError("Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped): set a valid token") from None
        await self.application.start()
        await self._register_commands()
        if self.webhook:
            await self.sender.call(0, "setWebhook", lambda: self.application.bot.set_webhook(
                url=str(self.settings.telegram_webhook_url), secret_token=self.settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES, max_connections=40))
        else:
            assert self.application.updater is not None
            await self.application.updater.start_polling(
                poll_interval=0.0, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        self._tasks = [asyncio.create_task(self.group_quizzes.run(), name="telegram-group-quizzes")]
        self.broadcasts.start()
        log.info("telegram channel running (%s)", "webhook" if self.webhook else "polling")

    async def stop(self) -> None:
        """Stop taking updates, finish those in flight, then close the connection pool."""
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        await self.broadcasts.stop()   # broadcasts under way settle first
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def healthy(self) -> bool:
        if not self.application.running:
            return False
        return self.webhook or (self.application.updater is not None and self.application.updater.running)

    def add_routes(self, web_app: web.Application) -> None:
        """The webhook route on the shared server (none when long polling)."""
        if self.webhook:
            web_app.router.add_post(webhook_path(str(self.settings.telegram_webhook_url)), self.on_webhook)

    async def on_webhook(self, request: web.Request) -> web.Response:
        """Telegram POSTs one update; a missing or wrong secret gets 403 and nothing happens."""
        if not verify_secret(request.headers.get(SECRET_HEADER), self.settings.telegram_webhook_secret):
            return web.Response(status=403)
        if not self.application.running:
            return web.Response(status=503)  # starting or stopping: Telegram delivers again later
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        # Processed before answering: if this process dies midway, Telegram delivers again and
        # the update id (claimed in the database) keeps the second delivery from a double effect.
        application = self.application
        await application.update_processor.process_update(update, application.process_update(update))
        return webhook_reply(update)

    async def _register_commands(self) -> None:
        known = set(self.app.dialogue.routes.commands) | {"quiz"}
        vi = [BotCommand(name, text) for name, text, _en, _ in COMMANDS if name in known]
        en = [BotCommand(name, text) for _vi, _, name, text in COMMANDS if name in known]
        bot = self.application.bot
        await self.sender.call(0, "setMyCommands", lambda: bot.set_my_commands(vi, scope=BotCommandScopeDefault()))
        await self.sender.call(0, "setMyCommands", lambda: bot.set_my_commands(en, language_code="en"))


def webhook_reply(update: Update) -> web.Response:
    """The webhook's answer. For a button press it carries the `answerCallbackQuery` call, which
    Telegram runs (https://core.telegram.org/bots/api#making-requests-when-getting-updates);
    its result is never needed, so nothing is lost by not seeing it."""
    query = update.callback_query
    if query is None:
        return web.Response(status=200)
    return web.json_response({"method": "answerCallbackQuery", "callback_query_id": query.id})


def inline_articles(app: App, text: str) -> list[InlineQueryResultArticle]:
    """The top knowledge-base answers for inline mode, each with its source line (language of the words)."""
    if not text.strip():
        return []
    match = app.knowledge.matcher.match(text)
    if match.outcome not in ("answer", "suggest"):
        return []
    entries: list[Entry] = [match.entry] if match.entry is not None and match.outcome == "answer" else []
    entries += [e for e in match.suggestions if e not in entries]
    return [_article(entry, match.lang) for entry in entries[:INLINE_RESULTS]]


def _article(entry: Entry, lang: str) -> InlineQueryResultArticle:
    body = entry_text(entry, lang)
    return InlineQueryResultArticle(
        id=entry.id[:64], title=clip(entry.title(lang), 100), description=clip(entry.version(lang).answer, 120),
        input_message_content=InputTextMessageContent(split_text(body)[0], disable_web_page_preview=True),
    )


def webhook_path(url: str) -> str:
    """The path Telegram will POST to: the path of TELEGRAM_WEBHOOK_URL (`/telegram` if it has none)."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path.rstrip("/")
    return path or "/telegram"


def _build_application(settings: Settings, transport: str, *, polling: bool) -> Application:  # type: ignore[type-arg]
    base = settings.telegram_api_base_url.rstrip("/")
    file_base = base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
    builder = (
        ApplicationBuilder().token(str(settings.telegram_token)).base_url(base).base_file_url(file_base)
        .request(make_request(transport, connections=MAX_CONCURRENT_UPDATES + 8))
        .get_updates_request(make_request(transport, connections=2, read_timeout=POLL_TIMEOUT + 10))
        .concurrent_updates(ChatOrderedProcessor(MAX_CONCURRENT_UPDATES))
        .job_queue(None)
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()
