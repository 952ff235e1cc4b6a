"""The first step of every chat turn: claim the event id, then read the user and their state.

On PostgreSQL both are ONE statement (the claim is a data-modifying CTE beside the read), a
network round trip fewer per message; on SQLite, whose statements make no round trip, they
stay the two statements of `claim_event` and `load_user_and_state`.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.storage.db import connection_of
from bot.storage.direct import Direct
from bot.storage.events import EVENT_ID_MAX, claim_event
from bot.storage.models import ProcessedEvent, utcnow
from bot.storage.users import (
    THIS_USER,
    USER_AND_STATE_COLUMNS,
    USER_AND_STATE_JOIN,
    DialogueState,
    Person,
    load_user_and_state,
)

_EVENTS = ProcessedEvent.__table__  # type: ignore[attr-defined]


def _claim_and_read() -> Direct:
    """`claimed` (1, or 0 for a redelivery) and the user's row, which is all NULL for a new user."""
    claim = (postgresql.insert(_EVENTS)
             .values(channel=bindparam("e_channel"), event_id=bindparam("e_id"), created=bindparam("e_created"))
             .on_conflict_do_nothing()
             .returning(_EVENTS.c.event_id)
             .cte("claim"))
    claimed = select(func.count().label("claimed")).select_from(claim).subquery("claimed")
    return Direct(select(claimed.c.claimed, *USER_AND_STATE_COLUMNS)
                  .select_from(claimed.outerjoin(USER_AND_STATE_JOIN, THIS_USER)))


_PG_CLAIM_AND_READ = _claim_and_read()


async def begin_turn(session: AsyncSession, *, channel: str, event_id: str | None, user_id: str,
                     language: str) -> tuple[Person, DialogueState] | None:
    """The user and their state for this turn, or None when the event was already handled.

    The claim is in the turn's transaction: it commits or rolls back with the turn's effect."""
    conn = await connection_of(session)
    if event_id and conn.dialect.name == "postgresql":
        row = (await _PG_CLAIM_AND_READ.run(conn, {
            "e_channel": channel, "e_id": event_id[:EVENT_ID_MAX], "e_created": utcnow(),
            "platform": channel, "platform_user_id": user_id})).rows[0]
        if not row.claimed:
            metrics.duplicate_dropped(channel)
            return None
        return await load_user_and_state(session, platform=channel, platform_user_id=user_id, language=language,
                                         row=row if row.id is not None else None)
    if event_id and not await claim_event(session, channel=channel, event_id=event_id):
        return None
    return await load_user_and_state(session, platform=channel, platform_user_id=user_id, language=language)
