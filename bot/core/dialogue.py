"""The dialogue router: one inbound message in, a list of replies out.

Routes are tried in order and the first that claims a message wins: a feature that is in
the middle of something with this user (an attempt in progress, a guided form), then button
payloads, then commands, then free text (Q&A). State lives in the database, so any process
can take any message, and a redelivered event (same platform id) has no second effect.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Choice, Inbound, Reply
from bot.core.texts import t
from bot.storage.db import Database
from bot.storage.faults import alert_admins, db_fault
from bot.storage.group_commit import GroupCommit
from bot.storage.turn_start import begin_turn
from bot.storage.users import (
    DialogueState,
    Person,
    numbered_choices,
    remembered_choices,
    save_choices,
    set_language,
    stored_choices,
    was_shown,
)

log = logging.getLogger(__name__)

MAX_TEXT = 4000
CONNECTION_RETRIES = 1          # a message that lost its database connection is tried once more
CONNECTION_RETRY_PAUSE = 0.5
TURN_LANES_PG = 4               # transactions of chat turns open at once on PostgreSQL
_COMMAND_RE = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass
class Turn:
    """Everything a handler needs about the message being handled."""

    inbound: Inbound
    user: Person
    state: DialogueState
    session: AsyncSession
    lang: str
    is_admin: bool

    @property
    def user_id(self) -> int:
        return self.user.id


Handler = Callable[[Turn, str], Awaitable[list[Reply]]]
Interceptor = Callable[[Turn], Awaitable[list[Reply] | None]]


@dataclass
class Routes:
    """What a feature adds to the dialogue."""

    commands: dict[str, Handler] = field(default_factory=dict)
    payloads: dict[str, Handler] = field(default_factory=dict)      # keyed by the prefix before ':'
    interceptors: list[Interceptor] = field(default_factory=list)  # run before anything else
    text: Handler | None = None                                    # free text (Q&A)


class Dialogue:
    """Routes inbound messages to features inside one database transaction."""

    def __init__(self, db: Database, admins: frozenset[str] = frozenset()) -> None:
        self.db = db
        self.admins = admins
        self.routes = Routes()
        # SQLite has one writer: one batch at a time. PostgreSQL: batches side by side, each on
        # its own pooled connection, while the others wait on the network.
        self.turns = GroupCommit(db, lanes=1 if db.is_sqlite else TURN_LANES_PG)

    def add(self, routes: Routes) -> None:
        """Register a feature's commands, payload prefixes, interceptors and text handler."""
        self.routes.commands.update(routes.commands)
        self.routes.payloads.update(routes.payloads)
        self.routes.interceptors.extend(routes.interceptors)
        if routes.text is not None:
            self.routes.text = routes.text

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message exactly once; never raises for a user's input."""
        inbound = sanitized(inbound)
        for attempt in range(1 + CONNECTION_RETRIES):
            try:
                # One short read-write transaction per message, shared with the messages that
                # arrived at the same moment (group commit; on SQLite queued in-process rather
                # than sleeping in SQLite's busy handler). It commits before any reply goes out.
                return await self.turns.run(partial(self._turn, inbound))
            except (SQLAlchemyError, OSError) as exc:
                # A lost connection (a database restart) is tried once more on a fresh one: the
                # transaction rolled back, and the event id keeps a commit that did land from
                # counting twice. Anything else gets a polite reply and an alert for the admins.
                kind = db_fault(exc)
                if kind == "connection" and attempt < CONNECTION_RETRIES:
                    log.warning("database connection lost while handling a message (%s); trying again",
                                type(exc).__name__)
                    await asyncio.sleep(CONNECTION_RETRY_PAUSE)
                    continue
                alert_admins(kind, exc, "handling a message")
                key = "storage_full" if kind in ("disk_full", "read_only") else "busy"
                return [Reply(t(key, inbound.language if inbound.language == "en" else "vi"), kind="error")]
            except Exception as exc:  # noqa: BLE001 - a bug met by one message must not take the channel down
                # The frames, not the message: it may quote what the user typed.
                log.error("BUG: handling a message failed (%s), rolled back\n%s", type(exc).__name__,
                          "".join(traceback.format_tb(exc.__traceback__)))
                return [Reply(t("busy", inbound.language if inbound.language == "en" else "vi"), kind="error")]
        return []  # not reached: the last attempt returns

    async def _turn(self, inbound: Inbound, session: AsyncSession) -> list[Reply]:
        """The message's effect in `session`'s transaction; nothing for a redelivered event."""
        lang_hint = "en" if (inbound.language or "").startswith("en") else "vi"
        begun = await begin_turn(session, channel=inbound.channel, event_id=inbound.event_id,
                                 user_id=inbound.user_id, language=lang_hint)
        if begun is None:
            log.info("duplicate event dropped channel=%s", inbound.channel)
            return []
        return await self._handle_in(session, inbound, *begun)

    async def _handle_in(self, session: AsyncSession, inbound: Inbound, user: Person,
                         state: DialogueState) -> list[Reply]:
        shown = stored_choices(state)
        if inbound.text_may_be_press and inbound.payload is None and was_shown(inbound.text, shown):
            inbound = replace(inbound, text="", payload=inbound.text)
        turn = Turn(inbound, user, state, session, user.language or "vi", is_admin(self.admins, inbound))
        replies = await self._route(turn)
        remembered = _remembered(replies)
        if remembered != shown:
            await save_choices(session, user_id=user.id, payloads=remembered)
        return replies

    async def _route(self, turn: Turn) -> list[Reply]:
        if not turn.inbound.payload:
            # A typed number picks the numbered choice the user saw, wherever they are (a form, a quiz).
            picked = _typed_choice(turn.inbound.text.strip(), numbered_choices(stored_choices(turn.state)))
            if picked is not None:
                turn.inbound = replace(turn.inbound, payload=picked, text="")
        for intercept in self.routes.interceptors:
            claimed = await intercept(turn)
            if claimed is not None:
                return claimed
        inbound = turn.inbound
        if inbound.payload:
            return await self._payload(turn, inbound.payload)
        text = inbound.text.strip()[:MAX_TEXT]
        command = _COMMAND_RE.match(text)
        if command:
            handler = self.routes.commands.get(command.group(1).lower())
            if handler is None:
                return [Reply(t("unknown_command", turn.lang), kind="error")]
            return await handler(turn, (command.group(2) or "").strip())
        if self.routes.text is None:
            return [Reply(t("help", turn.lang))]
        return await self.routes.text(turn, text)

    async def _payload(self, turn: Turn, payload: str) -> list[Reply]:
        prefix, _, rest = payload.partition(":")
        handler = self.routes.payloads.get(prefix)
        if handler is None:
            return [Reply(t("stale", turn.lang), kind="error")]
        return await handler(turn, rest)


def sanitized(inbound: Inbound) -> Inbound:
    """The message without NUL characters and unpaired surrogates: PostgreSQL refuses NUL in text,
    and an unpaired surrogate (valid in JSON, not in UTF-8) cannot be stored anywhere."""
    fields = (inbound.text, inbound.payload, inbound.user_id, inbound.chat_id)
    if all(v is None or _clean(v) == v for v in fields):
        return inbound
    return replace(inbound, text=_clean(inbound.text), user_id=_clean(inbound.user_id), chat_id=_clean(inbound.chat_id),
                   payload=None if inbound.payload is None else _clean(inbound.payload))


def _clean(value: str) -> str:
    if value.isascii() and "\x00" not in value:
        return value
    value = value.replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8") if any("\ud800" <= ch <= "\udfff" for ch in value) else value


def is_admin(admins: frozenset[str], inbound: Inbound) -> bool:
    """`channel:user_id` is in ADMINS; `zalo:<id>` there stands for either Zalo channel."""
    if inbound.user_key in admins:
        return True
    return inbound.channel.startswith("zalo_") and f"zalo:{inbound.user_id}" in admins


def _remembered(replies: list[Reply]) -> list[str]:
    """The turn's choices as they are remembered (a quiz question's: its answer prefix alone)."""
    prefixes = {r.choices_prefix for r in replies if r.choices}
    prefix = prefixes.pop() if len(prefixes) == 1 else None
    return remembered_choices([c.payload for r in replies for c in r.choices], prefix)


def _typed_choice(text: str, payloads: list[str]) -> str | None:
    """A typed number picks one of the last numbered choices (channels without buttons)."""
    if text.isdecimal() and 1 <= int(text) <= len(payloads):
        return payloads[int(text) - 1]
    return None


async def change_language(turn: Turn, lang: str) -> list[Reply]:
    """Switch the user's language, or ask which one."""
    lang = lang.strip().lower()[:2]
    if lang not in ("vi", "en"):
        return [Reply(t("lang_pick", turn.lang), (Choice("Tiếng Việt", "lang:vi"), Choice("English", "lang:en")))]
    await set_language(turn.session, user_id=turn.user_id, language=lang)
    turn.user.language = lang
    return [Reply(t("lang_set", lang))]
