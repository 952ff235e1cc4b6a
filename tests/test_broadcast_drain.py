"""The shared broadcast drain on a real database (SQLite, and PostgreSQL when configured), with a
recording sender in place of a platform: claims, retries, the cap, split texts resumed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.channels.broadcast_drain import BroadcastDrainer, DrainLimits
from bot.storage.broadcasts import (
    Outgoing,
    claim_broadcast,
    enqueue_broadcast,
    pending_broadcasts,
    settle_broadcast,
)
from bot.storage.db import Database
from bot.storage.models import Broadcast, BroadcastClaim, utcnow

CHANNEL = "zalo_bot"


class Recorder:
    """A platform that takes every part, except those `refuse` says no to."""

    def __init__(self, refuse: object = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.tries: list[tuple[str, str]] = []
        self.refuse = refuse or (lambda _chat, _text, _n: False)

    async def send(self, chat_id: str, text: str) -> bool:
        self.tries.append((chat_id, text))
        if self.refuse(chat_id, text, len(self.tries)):  # type: ignore[operator]
            return False
        self.sent.append((chat_id, text))
        return True


def drainer(db: Database, platform: Recorder, *, limit: int = 2000, **limits: float) -> BroadcastDrainer:
    values = {"per_second": 1000.0, "chat_gap": 0.0, "max_attempts": 3, "retry_seconds": 0.0, **limits}
    return BroadcastDrainer(db, CHANNEL, platform.send, lambda text: [p for p in text.split("|") if p][:limit],
                            DrainLimits(**values))  # type: ignore[arg-type]


async def queue(db: Database, *messages: tuple[str, str]) -> None:
    async with db.session() as session:
        await enqueue_broadcast(session, [Outgoing("reminder", f"r:{chat}", CHANNEL, chat, text)
                                          for chat, text in messages])
        await session.commit()


async def rows(db: Database) -> list[tuple[Broadcast, BroadcastClaim | None]]:
    async with db.session() as session:
        result = await session.execute(select(Broadcast, BroadcastClaim).outerjoin(
            BroadcastClaim, BroadcastClaim.broadcast_id == Broadcast.id).order_by(Broadcast.id))  # type: ignore[arg-type]
        return [(b, c) for b, c in result.all()]


async def test_a_split_text_resumes_after_the_parts_already_delivered(db: Database) -> None:
    """Part 2 of 3 fails once: the retry sends parts 2 and 3 only; part 1 is never sent twice."""
    platform = Recorder(refuse=lambda _chat, text, n: text == "two" and n == 2)
    drain = drainer(db, platform)
    await queue(db, ("u1", "one|two|three"))
    assert await drain.drain_once() == 1
    [(row, claim)] = await rows(db)
    assert claim is not None and (claim.state, claim.parts_sent, row.attempts) == ("retry", 1, 1)
    assert await drain.drain_once() == 1
    assert platform.sent == [("u1", "one"), ("u1", "two"), ("u1", "three")]
    [(row, claim)] = await rows(db)
    assert claim is not None and (claim.state, claim.parts_sent, row.attempts) == ("sent", 3, 2)
    assert row.sent_at is not None
    assert await drain.drain_once() == 0


async def test_a_refused_row_is_given_up_after_max_attempts(db: Database) -> None:
    platform = Recorder(refuse=lambda chat, _text, _n: chat == "blocked")
    drain = drainer(db, platform, max_attempts=3)
    await queue(db, ("blocked", "hello"), ("fine", "hello"))
    for _ in range(6):
        await drain.drain_once()
    assert [chat for chat, _ in platform.tries] == ["blocked", "fine", "blocked", "blocked"]
    blocked, fine = await rows(db)
    assert blocked[1] is not None and (blocked[1].state, blocked[0].attempts, blocked[0].sent_at) == ("failed", 3, None)
    assert fine[1] is not None and fine[1].state == "sent" and fine[0].attempts == 1
    async with db.session() as session:
        assert await pending_broadcasts(session, channel=CHANNEL) == []


async def test_a_retry_waits_for_its_time(db: Database) -> None:
    platform = Recorder(refuse=lambda _chat, _text, n: n == 1)
    drain = drainer(db, platform, retry_seconds=3600.0)
    await queue(db, ("u1", "hello"))
    await drain.drain_once()
    assert await drain.drain_once() == 0 and len(platform.tries) == 1      # not before retry_at
    async with db.session() as session:
        later = utcnow() + timedelta(hours=2)
        assert [r.chat_id for r in await pending_broadcasts(session, channel=CHANNEL, now=later)] == ["u1"]
        assert await pending_broadcasts(session, channel="zalo_oa", now=later) == []   # one channel's rows only


async def test_two_senders_share_the_outbox_and_send_each_row_once(db: Database, db_url: str) -> None:
    """Two processes' drains (two engines on one database) at once: every row goes out once."""
    other = Database(db_url)
    try:
        first, second = Recorder(), Recorder()
        await queue(db, *((f"u{i}", f"hello {i}") for i in range(30)))
        await asyncio.gather(drainer(db, first).drain_once(), drainer(other, second).drain_once())
        await asyncio.gather(drainer(db, first).drain_once(), drainer(other, second).drain_once())
    finally:
        await other.close()
    sent = sorted(first.sent + second.sent)
    assert sent == sorted((f"u{i}", f"hello {i}") for i in range(30))
    assert all(claim is not None and claim.state == "sent" and row.attempts == 1 for row, claim in await rows(db))


async def test_a_crashed_senders_claim_is_taken_over_after_the_lease(db: Database) -> None:
    await queue(db, ("u1", "a|b"))
    start = utcnow()
    async with db.session() as session:
        [row] = await pending_broadcasts(session, channel=CHANNEL)
        assert await claim_broadcast(session, broadcast=row, now=start) is not None
        await session.commit()
    async with db.session() as session:
        assert await claim_broadcast(session, broadcast=row, now=start + timedelta(minutes=1)) is None   # held
        assert await pending_broadcasts(session, channel=CHANNEL, now=start + timedelta(minutes=1)) == []
        later = start + timedelta(minutes=6)                                   # the holder died: lease over
        assert [r.id for r in await pending_broadcasts(session, channel=CHANNEL, now=later)] == [row.id]
        held = await claim_broadcast(session, broadcast=row, now=later)
        assert held is not None and (held.parts_sent, held.attempts) == (0, 0)
        await settle_broadcast(session, broadcast_id=row.id or 0, outcome="retry", parts_sent=1,
                               retry_at=utcnow() + timedelta(hours=1))
        await session.commit()
    platform = Recorder()
    await drainer(db, platform).drain_once()
    assert platform.sent == []                                                 # the retry is not due
    async with db.session() as session:
        held = await claim_broadcast(session, broadcast=row, now=utcnow() + timedelta(hours=2))
    assert held is not None and (held.parts_sent, held.attempts) == (1, 1)     # resumes at part 2
