"""Helpers for contest tests: a controllable clock and a chat driver over the real Dialogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.contests.attempts import AttemptView, load_attempt
from bot.core.messages import Inbound, Reply

from .conftest import make_settings

TEST_QUIZZES = Path(__file__).resolve().parent / "data" / "quizzes"
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)     # 09:00 in Vietnam


@dataclass
class Clock:
    """Time that moves only when a test says so."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def build(db_url: str, clock: Clock, admins: frozenset[str] = frozenset({"console:admin"})) -> App:
    return await build_app(make_settings(db_url, quizzes_dir=TEST_QUIZZES, admins=admins), clock=clock)


@dataclass
class Chat:
    """Sends messages as users of the console channel and keeps the last replies."""

    app: App
    last: dict[str, list[Reply]] = field(default_factory=dict)
    events: int = 0

    async def say(self, user: str, text: str, event: str | None = None) -> list[Reply]:
        replies = await self.app.dialogue.handle(Inbound("console", user, user, text=text, event_id=event, language="vi"))
        self.last[user] = replies
        return replies

    async def press(self, user: str, payload: str, event: str | None = None) -> list[Reply]:
        replies = await self.app.dialogue.handle(Inbound("console", user, user, payload=payload, event_id=event,
                                                         language="vi"))
        self.last[user] = replies
        return replies

    async def attempt(self, attempt_id: int) -> AttemptView:
        async with self.app.db.session() as session:
            view = await load_attempt(session, attempt_id)
        assert view is not None
        return view


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def payloads(replies: list[Reply]) -> list[str]:
    return [c.payload for r in replies for c in r.choices]


def answer_payload_of(replies: list[Reply]) -> list[str]:
    return [p for p in payloads(replies) if p.startswith("a:")]


def attempt_id_of(replies: list[Reply]) -> int:
    return int(answer_payload_of(replies)[0].split(":")[1])
