"""Flood control: a user sending more than 20 messages in 10 seconds is slowed down, with one notice.

The first interceptor of the dialogue. Each user has an allowance in the database (a token
bucket in `flood_counters`: 20 messages, refilled at 2 a second), so several bot processes
behind one webhook count the same messages. One `INSERT … ON CONFLICT DO UPDATE … RETURNING`
per message takes a token, inside the turn's own transaction. When none is left the message
is dropped: the first dropped one gets a notice ("too_fast"), the others nothing, and other
users are never affected. Dropped messages take no token, so the allowance refills while
a user keeps pressing.

The terminal chat (channel `console`) is the operator at the keyboard and is not limited.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Float, Table, bindparam, case

from bot.core.dialogue import Routes, Turn
from bot.core.messages import Reply
from bot.core.texts import t
from bot.storage.db import connection_of
from bot.storage.direct import PerDialect
from bot.storage.models import FloodCounter

log = logging.getLogger(__name__)

EXEMPT_CHANNELS = frozenset({"console"})
_TABLE: Table = FloodCounter.__table__  # type: ignore[attr-defined]
_C = _TABLE.c


def _take_token(dialect: Any) -> Any:
    """One statement: refill the bucket for the time passed, take a token if there is one;
    RETURNING how many messages have been dropped in a row (0 = this one may pass)."""
    now = bindparam("now", type_=Float)
    cap = bindparam("cap", type_=Float)
    rate = bindparam("rate", type_=Float)
    elapsed = case((now > _C.stamp, now - _C.stamp), else_=0.0)
    refill = _C.tokens + elapsed * rate
    refilled = case((refill > cap, cap), else_=refill)
    allowed = refilled >= 1.0
    statement = dialect.insert(_TABLE).values(user_id=bindparam("user_id"), tokens=cap - 1.0, stamp=now, flooded=0)
    return statement.on_conflict_do_update(
        index_elements=[_C.user_id],
        set_={"tokens": case((allowed, refilled - 1.0), else_=refilled), "stamp": now,
              "flooded": case((allowed, 0), else_=_C.flooded + 1)},
    ).returning(_C.flooded)


_TAKE_TOKEN = PerDialect(_take_token)


class FloodFeature:
    """Limits each user to `messages` per `seconds` (0 messages: no limit)."""

    def __init__(self, messages: int = 20, seconds: float = 10.0, now: Callable[[], float] = time.time) -> None:
        self.capacity = float(messages)
        self.rate = messages / seconds if messages > 0 and seconds > 0 else 0.0
        self.now = now

    def routes(self) -> Routes:
        return Routes(interceptors=[self.check] if self.rate else [])

    async def check(self, turn: Turn) -> list[Reply] | None:
        """Pass the message on (None), or drop it: a notice for the first one dropped, silence after."""
        if turn.inbound.channel in EXEMPT_CHANNELS:
            return None
        taken = await _TAKE_TOKEN.run(await connection_of(turn.session), {
            "user_id": turn.user_id, "now": self.now(), "cap": self.capacity, "rate": self.rate})
        flooded = taken.rows[0][0]
        if not flooded:
            return None
        if flooded == 1:
            log.info("flood control: user #%d slowed down", turn.user_id)
            return [Reply(t("too_fast", turn.lang), kind="error")]
        return []
