"""The outbox of messages the channels send on their own (results, reminders, time-up notices).

A channel's drain (bot/channels/broadcast_drain.py) claims a row in `broadcast_claims` before
sending it and settles the claim after: `sent` (the row is stamped `sent_at`), `retry` (tried
again from `retry_at`, resuming after the parts of a split text already delivered) or `failed`
(given up). A claim is one row per broadcast, so two processes never hold the same row; one left
`sending` by a crashed process is taken over after `CLAIM_LEASE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.storage.models import Broadcast, BroadcastClaim, utcnow
from bot.storage.upsert import insert_ignore


@dataclass(frozen=True)
class Outgoing:
    """One message to send to one chat; (kind, ref, channel, chat_id) is sent at most once."""

    kind: str
    ref: str
    channel: str
    chat_id: str
    text: str


async def enqueue_broadcast(session: AsyncSession, messages: list[Outgoing], now: datetime | None = None) -> int:
    """Queue messages for the channels; one already queued under the same key is skipped. Returns rows added."""
    if not messages:
        return 0
    when = now or utcnow()
    rows = [{"kind": m.kind[:32], "ref": m.ref[:64], "channel": m.channel[:16], "chat_id": m.chat_id[:64],
             "text": m.text[:4000], "attempts": 0, "created": when} for m in messages]
    result = await session.execute(insert_ignore(session, Broadcast, rows))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


CLAIM_LEASE = timedelta(minutes=5)


async def pending_broadcasts(session: AsyncSession, *, channel: str, limit: int = 200,
                             now: datetime | None = None) -> list[Broadcast]:
    """One channel's messages that may be tried now, oldest first: never claimed, due for a retry,
    or held `sending` longer than the lease (a crashed sender's). Sent and failed rows never come back."""
    when = now or utcnow()
    claim = BroadcastClaim
    rows = await session.execute(
        select(Broadcast)
        .outerjoin(claim, col(claim.broadcast_id) == col(Broadcast.id))
        .where(col(Broadcast.channel) == channel, col(Broadcast.sent_at).is_(None),
               or_(col(claim.broadcast_id).is_(None),
                   and_(col(claim.state) == "retry", col(claim.retry_at) <= when),
                   and_(col(claim.state) == "sending", col(claim.claimed) < when - CLAIM_LEASE)))
        .order_by(col(Broadcast.id)).limit(limit))
    return list(rows.scalars())


async def mark_sent(session: AsyncSession, *, broadcast_id: int, ok: bool, now: datetime | None = None) -> None:
    """Record one delivery try without a claim (a sender alone on its channel, e.g. the terminal);
    a successful one is never sent again. The channel drains use `claim_broadcast`/`settle_broadcast`."""
    values: dict[str, object] = {"attempts": col(Broadcast.attempts) + 1}
    if ok:
        values["sent_at"] = now or utcnow()
    await session.execute(update(Broadcast).where(col(Broadcast.id) == broadcast_id).values(**values))


@dataclass(frozen=True)
class Held:
    """A claimed row: parts of its text already delivered, tries so far."""

    parts_sent: int
    attempts: int


async def claim_broadcast(session: AsyncSession, *, broadcast: Broadcast, now: datetime | None = None) -> Held | None:
    """Hold one row for sending, or None when another sender holds it (or it was settled for good
    meanwhile). Commit before sending."""
    assert broadcast.id is not None
    when = now or utcnow()
    claim = BroadcastClaim
    # A retry that is due, or a crashed sender's claim: one conditional UPDATE, so of two
    # processes racing for it only one matches (the other then sees it `sending` and fresh).
    taken = await session.execute(
        update(claim).where(col(claim.broadcast_id) == broadcast.id,
                            or_(and_(col(claim.state) == "retry", col(claim.retry_at) <= when),
                                and_(col(claim.state) == "sending", col(claim.claimed) < when - CLAIM_LEASE)))
        .values(state="sending", claimed=when, retry_at=None))
    if not taken.rowcount:  # type: ignore[attr-defined]
        added = await session.execute(insert_ignore(session, claim, {
            "broadcast_id": broadcast.id, "chat_id": broadcast.chat_id, "state": "sending", "claimed": when,
            "parts_sent": 0, "retry_at": None}))
        if not added.rowcount:  # type: ignore[attr-defined]
            return None
    row = (await session.execute(
        select(col(claim.parts_sent), col(Broadcast.attempts))
        .join(Broadcast, col(Broadcast.id) == col(claim.broadcast_id))
        .where(col(claim.broadcast_id) == broadcast.id))).one()
    return Held(parts_sent=int(row[0]), attempts=int(row[1]))


async def settle_broadcast(session: AsyncSession, *, broadcast_id: int, outcome: str, parts_sent: int,
                           retry_at: datetime | None = None, now: datetime | None = None) -> None:
    """After a try: `sent` stamps the row; `retry` waits until `retry_at`; `failed` gives up on it.
    Every try counts in `broadcasts.attempts`; `parts_sent` says where a retry resumes."""
    assert outcome in ("sent", "retry", "failed")
    claim = BroadcastClaim
    await session.execute(update(claim).where(col(claim.broadcast_id) == broadcast_id).values(
        state=outcome, parts_sent=parts_sent, retry_at=retry_at if outcome == "retry" else None))
    values: dict[str, object] = {"attempts": col(Broadcast.attempts) + 1}
    if outcome == "sent":
        values["sent_at"] = now or utcnow()
    await session.execute(update(Broadcast).where(col(Broadcast.id) == broadcast_id).values(**values))


async def recent_sends(session: AsyncSession, *, channel: str, chat_id: str, since: datetime) -> int:
    """How many broadcasts of this channel were claimed for this chat since `since` (a per-chat
    limit read from the database holds across restarts and processes)."""
    claim = BroadcastClaim
    row = await session.execute(
        select(func.count()).select_from(claim).join(Broadcast, col(Broadcast.id) == col(claim.broadcast_id))
        .where(col(claim.chat_id) == chat_id, col(claim.claimed) >= since, col(Broadcast.channel) == channel))
    return int(row.scalar_one())


async def queue_depth(session: AsyncSession, *, give_up_after: int = 5) -> dict[str, int]:
    """Messages waiting to be sent, per channel (those given up after `give_up_after` tries left out)."""
    rows = await session.execute(
        select(col(Broadcast.channel), func.count())
        .where(col(Broadcast.sent_at).is_(None), col(Broadcast.attempts) < give_up_after)
        .group_by(col(Broadcast.channel)))
    return {str(channel): int(count) for channel, count in rows.all()}
