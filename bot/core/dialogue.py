"""The dialogue router: one inbound message in, a list of replies out.

Routes are tried in order and the first that claims a message wins: a feature that is in
the middle of something with this user (an attempt in progress, a guided form), then button
payloads, then commands, then free text (Q&A). State lives in the database, so any process
can take any message, and a redelivered event (same platform id) has no second effect.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Choice, Inbound, Reply
from bot.core.texts import t
from bot.storage.db import Database
from bot.storage.events import claim_event
from bot.storage.models import User, UserState
from bot.storage.users import CHOICES_KEPT, load_user_and_state, save_choices, set_language, stored_choices

log = logging.getLogger(__name__)

MAX_TEXT = 4000
_COMMAND_RE = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass
class Turn:
    """Everything a handler needs about the message being handled."""

    inbound: Inbound
    user: User
    state: UserState
    session: AsyncSession
    lang: str
    is_admin: bool

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
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

    def add(self, routes: Routes) -> None:
        """Register a feature's commands, payload prefixes, interceptors and text handler."""
        self.routes.commands.update(routes.commands)
        self.routes.payloads.update(routes.payloads)
        self.routes.interceptors.extend(routes.interceptors)
        if routes.text is not None:
            self.routes.text = routes.text

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message exactly once; never raises for a user's input."""
        try:
            # One short read-write transaction per message (on SQLite, queued in-process rather
            # than sleeping in SQLite's busy handler). It commits before any reply goes out.
            async with self.db.writer() as session:
                if inbound.event_id and not await claim_event(session, channel=inbound.channel, event_id=inbound.event_id):
                    log.info("duplicate event dropped channel=%s", inbound.channel)
                    return []
                replies = await self._handle_in(session, inbound)
                await session.commit()
                return replies
        except SQLAlchemyError as exc:
            log.error("database error while handling a message: %s", type(exc).__name__)
            return [Reply(t("busy", inbound.language if inbound.language == "en" else "vi"), kind="error")]

    async def _handle_in(self, session: AsyncSession, inbound: Inbound) -> list[Reply]:
        lang_hint = "en" if (inbound.language or "").startswith("en") else "vi"
        user, state = await load_user_and_state(session, platform=inbound.channel, platform_user_id=inbound.user_id,
                                                language=lang_hint)
        assert user.id is not None
        shown = stored_choices(state)
        turn = Turn(inbound, user, state, session, user.language or "vi", is_admin(self.admins, inbound))
        replies = await self._route(turn)
        payloads = [c.payload for r in replies for c in r.choices]
        if payloads[:CHOICES_KEPT] != shown:
            await save_choices(session, user_id=user.id, payloads=payloads)
        return replies

    async def _route(self, turn: Turn) -> list[Reply]:
        if not turn.inbound.payload:
            # A typed number picks the numbered choice the user saw, wherever they are (a form, a quiz).
            picked = _typed_choice(turn.inbound.text.strip(), stored_choices(turn.state))
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


def is_admin(admins: frozenset[str], inbound: Inbound) -> bool:
    """`channel:user_id` is in ADMINS; `zalo:<id>` there stands for either Zalo channel."""
    if inbound.user_key in admins:
        return True
    return inbound.channel.startswith("zalo_") and f"zalo:{inbound.user_id}" in admins


def _typed_choice(text: str, payloads: list[str]) -> str | None:
    """A typed number picks one of the last numbered choices (channels without buttons)."""
    if text.isdigit() and 1 <= int(text) <= len(payloads):
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
