"""The ceilings for the Telegram benchmark: a python-telegram-bot echo bot with rightsbot's transport
and update processor but no database and no core. A text message is sent back; a pressed inline
button is answered and its message edited to the same text and keyboard (the two Bot API requests
a contest answer makes, with no work between them). Polling, or a webhook on aiohttp when
TELEGRAM_WEBHOOK_URL is set (the same way rightsbot feeds its Application).

    TELEGRAM_BOT_TOKEN=… TELEGRAM_API_BASE_URL=… [TELEGRAM_TRANSPORT=httpx] python bench/telegram_echo_bot.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from telegram import Message, Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import event_loop, garbage_collection  # noqa: E402
from bot.channels.telegram import MAX_CONCURRENT_UPDATES, ChatOrderedProcessor  # noqa: E402
from bot.channels.telegram_transport import make_request  # noqa: E402
from bot.channels.webserver import parse_listen  # noqa: E402


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    assert update.effective_message is not None and update.effective_message.text
    await update.effective_message.reply_text(update.effective_message.text)


async def echo_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press, then show the pressed message again (text and keyboard) by editing it."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message) and query.message.text
    await query.answer()
    await query.edit_message_text(query.message.text, reply_markup=query.message.reply_markup)


def build() -> Application:  # type: ignore[type-arg]
    transport = os.environ.get("TELEGRAM_TRANSPORT", "aiohttp")
    base = os.environ["TELEGRAM_API_BASE_URL"]
    builder = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(base)
               .request(make_request(transport, connections=MAX_CONCURRENT_UPDATES + 8))
               .get_updates_request(make_request(transport, connections=2, read_timeout=20))
               .concurrent_updates(ChatOrderedProcessor(MAX_CONCURRENT_UPDATES)).job_queue(None))
    if os.environ.get("TELEGRAM_WEBHOOK_URL"):
        builder = builder.updater(None)
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(echo_button))
    return application


async def main() -> None:
    application = build()
    garbage_collection.settle_after_startup()   # the same runtime as `rightsbot run`
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await application.initialize()
    await application.start()
    runner = None
    url = os.environ.get("TELEGRAM_WEBHOOK_URL")
    if url:
        async def hook(request: web.Request) -> web.Response:
            update = Update.de_json(await request.json(), application.bot)
            await application.update_processor.process_update(update, application.process_update(update))
            return web.Response()

        web_app = web.Application()
        web_app.router.add_post("/telegram", hook)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        host, port = parse_listen(os.environ["WEBHOOK_LISTEN"])
        await web.TCPSite(runner, host, port).start()
        await application.bot.set_webhook(url, secret_token=os.environ.get("TELEGRAM_WEBHOOK_SECRET"))
    else:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
    await stop.wait()
    if runner is not None:
        await runner.cleanup()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    await application.stop()
    await application.shutdown()


if __name__ == "__main__":
    event_loop.run(main())
