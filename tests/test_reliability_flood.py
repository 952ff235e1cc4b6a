"""Flooding (issue 9): more than 20 messages in 10 seconds from one user are slowed down with ONE
notice; other users are unaffected; the count lives in the database, so two processes share it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import build_app
from bot.core.messages import Inbound
from bot.core.texts import t
from tests.conftest import make_settings

from .reliability_support import record

NOTICE = t("too_fast", "vi")


def _msg(user: str, n: int) -> Inbound:
    return Inbound("telegram", user, user, text="/help", event_id=f"{user}-{n}", language="vi")


async def test_a_flooding_user_is_slowed_down_with_one_notice_and_others_are_not(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'flood.db'}"
    one, two = await build_app(make_settings(url)), await build_app(make_settings(url))   # two processes
    try:
        outcomes = []
        for n in range(30):
            app = one if n % 2 else two
            outcomes.append(await app.dialogue.handle(_msg("spam", n)))
            # Another user, writing in the middle of the flood, is answered every time.
            if n % 3 == 0:
                other = await one.dialogue.handle(_msg("calm", n))
                assert other and other[0].text != NOTICE
        answered = sum(1 for r in outcomes if r and r[0].text != NOTICE)
        notices = sum(1 for r in outcomes if r and r[0].text == NOTICE)
        dropped = sum(1 for r in outcomes if r == [])
        assert (answered, notices, dropped) == (20, 1, 9), (answered, notices, dropped)
        # Slowed down, not shut out: the allowance refills at 2 messages a second.
        await asyncio.sleep(1.1)
        later = [await one.dialogue.handle(_msg("spam", 100 + n)) for n in range(3)]
        assert [bool(r) and r[0].text != NOTICE for r in later][:2] == [True, True]
        # The terminal chat (the operator at the keyboard) is never limited.
        console = [await one.dialogue.handle(Inbound("console", "op", "op", text="/help")) for _ in range(30)]
        assert all(r and r[0].text != NOTICE for r in console)
    finally:
        await one.close()
        await two.close()
    record("flood", sent=30, answered=answered, notices=notices, dropped_silently=dropped, others_affected=0)
