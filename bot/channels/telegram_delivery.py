"""Getting replies to Telegram reliably: 429 per chat, retries with backoff, edits in place.

A reply to a user's own action goes out at once (no global limiter: at 30 msg/s one would cap
a contest at 30 answers/s). When Telegram answers 429 for a chat, that chat waits `retry_after`
seconds; other chats carry on. Network errors and 5xx are retried with backoff, and nothing
here ever raises into the handler: a lost reply is logged, the bot keeps running.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot import metrics
from bot.channels.telegram_render import Keyboard, reply_pieces
from bot.core.messages import Attachment, Reply
from bot.storage.db import Database
from bot.storage.telegram import keyed_message, remember_keyed_message

log = logging.getLogger(__name__)
# `do_api_request` names methods the library wraps, on purpose (see `Sender._raw`).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(answerCallbackQuery|editMessageText|sendMessage)'",
                        category=PTBUserWarning)
_NO_PREVIEW = {"is_disabled": True}   # https://core.telegram.org/bots/api#linkpreviewoptions

T = TypeVar("T")
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
MAX_RETRY_AFTER_WAITS = 3
MAX_CAPTION = 1024                     # https://core.telegram.org/bots/api#senddocument
MAX_PHOTO_BYTES = 10 * 1024 * 1024     # https://core.telegram.org/bots/api#sendphoto (larger: as a document)
CARRIED_KEPT = 50_000                  # (chat, message) -> edit key facts kept per process


@dataclass(frozen=True)
class Pressed:
    """The message whose inline button was pressed, and that button's callback_data."""

    message_id: int
    payload: str


class Sender:
    """Sends and edits messages for the channel, honouring Telegram's per-chat back-off."""

    def __init__(self, bot: Bot, db: Database) -> None:
        self.bot = bot
        self.db = db
        self._chat_free_at: dict[int, float] = {}
        # (chat, message id) -> the edit key that message carries. A fact that never changes
        # (a message keeps its key), so a per-process copy can never be stale; the key's
        # *latest* message is in the database (telegram_messages), shared by all processes.
        self._carried: OrderedDict[tuple[int, int], str] = OrderedDict()

    async def call(self, chat_id: int, what: str, request: Callable[[], Awaitable[T]]) -> T | None:
        """Run one Bot API call for a chat; retry 429/5xx/network errors; None when it failed for good."""
        waits = 0
        for attempt, pause in enumerate((*BACKOFF, None)):
            await self._wait_for_chat(chat_id)
            try:
                return await request()
            except RetryAfter as exc:
                metrics.api_error("telegram", 429)
                # Telegram's flood control: this chat (only) must wait retry_after seconds.
                self._hold_chat(chat_id, _seconds(exc.retry_after))
                waits += 1
                if waits > MAX_RETRY_AFTER_WAITS:
                    log.warning("%s: gave up after %d flood waits", what, waits)
                    return None
            except (BadRequest, Forbidden, InvalidToken) as exc:
                metrics.api_error("telegram", _status(exc))
                raise_or_log(what, exc)
                return None
            except NetworkError as exc:  # also TimedOut and 5xx (the library maps them to NetworkError)
                metrics.api_error("telegram", "network")
                if pause is None:
                    log.warning("%s: failed after %d tries: %s", what, attempt + 1, type(exc).__name__)
                    return None
                log.info("%s: %s, retrying in %.1fs", what, type(exc).__name__, pause)
                await asyncio.sleep(pause)
            except TelegramError as exc:
                metrics.api_error("telegram", "other")
                log.warning("%s: %s", what, type(exc).__name__)
                return None
        return None

    async def _wait_for_chat(self, chat_id: int) -> None:
        delay = self._chat_free_at.get(chat_id, 0.0) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self._chat_free_at.pop(chat_id, None)

    def _hold_chat(self, chat_id: int, seconds: float) -> None:
        self._chat_free_at[chat_id] = max(self._chat_free_at.get(chat_id, 0.0), time.monotonic() + seconds)

    async def send_text(self, chat_id: int, text: str, markup: Keyboard | None = None) -> int | None:
        """sendMessage: the new message's id, or None when it could not be sent."""
        sent = await self.call(chat_id, "sendMessage", partial(self._raw, "sendMessage", {
            "chat_id": chat_id, "text": text, "reply_markup": markup, "link_preview_options": _NO_PREVIEW}))
        return int(sent["message_id"]) if isinstance(sent, dict) and "message_id" in sent else None

    async def answer_button(self, chat_id: int, query_id: str) -> None:
        """answerCallbackQuery with no notice: the client stops showing progress on the button."""
        await self.call(chat_id, "answerCallbackQuery", partial(self._raw, "answerCallbackQuery",
                                                                {"callback_query_id": query_id}))

    async def _raw(self, method: str, parameters: dict[str, object]) -> object:
        """A Bot API call whose result is left as Telegram's JSON: only a sent message's id is ever
        used, and building a `Message` from the reply cost more than the request (profiled).
        Errors are raised as the library's own methods raise them."""
        return await self.bot.do_api_request(method, api_kwargs=parameters)

    async def send_replies(self, chat_id: int, replies: list[Reply], pressed: Pressed | None = None) -> None:
        """Show the core's replies in order: new messages, or edits of a keyed message.

        `pressed` is the message whose button was pressed: when it carries the first reply's
        key, that message is edited with no look-up."""
        for position, reply in enumerate(replies):
            # Edit in place only when nothing went out before it in this turn (a contest's next
            # question); after feedback, a fresh message keeps the chat in reading order.
            if reply.edit_key and position == 0 and await self._edit_keyed(chat_id, reply, pressed):
                continue
            last: int | None = None
            for text, markup in reply_pieces(reply):
                last = await self.send_text(chat_id, text, markup) or last
            if reply.edit_key and last is not None:
                async with self.db.writer() as session:
                    await remember_keyed_message(session, chat_id=str(chat_id), edit_key=reply.edit_key,
                                                 message_id=last)
                    await session.commit()
                self._remember_carried(chat_id, last, reply.edit_key)
            await self.send_files(chat_id, reply.files)

    def _remember_carried(self, chat_id: int, message_id: int, edit_key: str) -> None:
        self._carried[(chat_id, message_id)] = edit_key
        self._carried.move_to_end((chat_id, message_id))
        if len(self._carried) > CARRIED_KEPT:
            self._carried.popitem(last=False)

    # --- files (issue 7): a chart goes as a photo, anything else as a document ---------------------

    async def send_files(self, chat_id: int, files: tuple[Attachment, ...]) -> None:
        """Upload each attachment: images with sendPhoto (shown inline), others with sendDocument."""
        for file in files:
            await self.call(chat_id, "sendPhoto" if _as_photo(file) else "sendDocument", partial(self._upload, chat_id, file))

    async def _upload(self, chat_id: int, file: Attachment) -> Message:
        caption = file.caption[:MAX_CAPTION] or None
        if _as_photo(file):
            return await self.bot.send_photo(chat_id, photo=file.data, filename=file.filename, caption=caption)
        return await self.bot.send_document(chat_id, document=file.data, filename=file.filename, caption=caption)

    async def _edit_keyed(self, chat_id: int, reply: Reply, pressed: Pressed | None) -> bool:
        """Edit the message that carries the reply's key (the pressed one if it does, else the
        key's latest); False when there is none to edit."""
        assert reply.edit_key is not None
        pieces = reply_pieces(reply)
        if len(pieces) != 1:
            return False
        message_id = pressed.message_id if pressed is not None and self._carries(chat_id, pressed, reply) \
            else await self._latest_keyed(chat_id, reply.edit_key)
        if message_id is None:
            return False
        edit = partial(self._edit, chat_id, message_id, *pieces[0])
        try:
            await edit()
            self._remember_carried(chat_id, message_id, reply.edit_key)
            return True
        except BadRequest as exc:
            # Editing to identical content is an error on Telegram; the message already shows it.
            # Too old or deleted: False sends a new message instead.
            return "not modified" in str(exc).lower()
        except TelegramError:
            return await self.call(chat_id, "editMessageText", edit) is not None

    def _carries(self, chat_id: int, pressed: Pressed, reply: Reply) -> bool:
        """The pressed message carries the reply's edit key: this process sent or edited it with
        that key, or the button belongs to the reply's choices (`Reply.choices_prefix`): so a
        press on a message another process sent, or sent before a restart, needs no look-up."""
        if self._carried.get((chat_id, pressed.message_id)) == reply.edit_key:
            return True
        prefix = reply.choices_prefix
        return prefix is not None and pressed.payload.startswith(prefix)

    async def _edit(self, chat_id: int, message_id: int, text: str, markup: Keyboard | None) -> object:
        return await self._raw("editMessageText", {
            "chat_id": chat_id, "message_id": message_id, "text": text, "reply_markup": markup,
            "link_preview_options": _NO_PREVIEW})

    async def _latest_keyed(self, chat_id: int, edit_key: str) -> int | None:
        # writer(): a one-row read, on SQLite run at once on the loop's thread (no hand-off).
        async with self.db.writer() as session:
            return await keyed_message(session, chat_id=str(chat_id), edit_key=edit_key)


def _as_photo(file: Attachment) -> bool:
    return file.is_image and len(file.data) <= MAX_PHOTO_BYTES


def raise_or_log(what: str, exc: TelegramError) -> None:
    """A request Telegram refused for good (blocked bot, bad request): log its kind, never the text."""
    log.warning("%s refused: %s: %s", what, type(exc).__name__, str(exc)[:120])


def _status(exc: TelegramError) -> int:
    """The HTTP status python-telegram-bot raised `exc` for (400 bad request, 401 token, 403 blocked)."""
    if isinstance(exc, InvalidToken):
        return 401
    return 403 if isinstance(exc, Forbidden) else 400


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
