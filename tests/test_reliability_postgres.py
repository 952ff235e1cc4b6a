"""PostgreSQL restarted while students answer a contest (issue 9).

A PRIVATE server (initdb + pg_ctl in a temporary folder, never the shared one) is stopped and
started again while 20 students (80 with RELIABILITY_FULL=1) press answers as fast as the bot
replies. While it is down they get the polite "try again" (the core never raises); once it is
back the bot recovers by itself, and every attempt ends with each answer recorded once.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select
from sqlmodel import col

from bot.core.messages import Inbound
from bot.core.texts import t
from bot.storage.models import Attempt, AttemptAnswer

from .contest_support import Chat, Clock, build, payloads
from .reliability_support import FULL, private_postgres, record
from .test_contest_flow import create_contest_in_chat, register

STUDENTS = 80 if FULL else 20
BUSY = t("busy", "vi")


async def test_postgres_restart_under_load_is_survived() -> None:
    with private_postgres() as pg:
        clock = Clock()
        app = await build(pg.url, clock)
        chat = Chat(app)
        code = await create_contest_in_chat(chat)
        attempts: dict[str, int] = {}
        for i in range(STUDENTS):
            user = f"s{i}"
            contest_id = await register(chat, user, code, "hoa binh", "truong-a", "Học Sinh Thử")
            start_replies = await chat.press(user, f"rs:{contest_id}")
            attempts[user] = int(next(p for p in payloads(start_replies) if p.startswith("a:")).split(":")[1])

        busy = 0
        escaped: list[BaseException] = []
        restarted_at: list[float] = []
        recovered_at: list[float] = []
        presses = 0

        async def student(user: str) -> None:
            nonlocal busy, presses
            attempt_id = attempts[user]
            no = 0
            while no < 10:
                presses += 1
                try:
                    replies = await app.dialogue.handle(Inbound("console", user, user, payload=f"a:{attempt_id}:{no}:0",
                                                                event_id=f"{user}-{presses}", language="vi"))
                except BaseException as exc:  # noqa: BLE001 - the point: nothing may escape
                    escaped.append(exc)
                    return
                if any(r.text == BUSY for r in replies):
                    busy += 1
                    await asyncio.sleep(0.1)
                    continue                      # the student presses the same button again
                if restarted_at and not recovered_at:
                    recovered_at.append(time.monotonic())
                no += 1
                await asyncio.sleep(0.05)

        async def restart() -> None:
            await asyncio.sleep(0.4)
            await asyncio.to_thread(pg.stop, "fast")
            await asyncio.sleep(1.5)
            await asyncio.to_thread(pg.start)
            restarted_at.append(time.monotonic())

        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(restart(), *(student(u) for u in attempts)), timeout=120)
        elapsed = time.monotonic() - started

        async with app.db.session() as session:
            per_attempt: dict[int, int] = dict((await session.execute(
                select(col(AttemptAnswer.attempt_id), func.count()).group_by(col(AttemptAnswer.attempt_id)))).all())
            rows = (await session.execute(select(Attempt).where(Attempt.mode == "contest"))).scalars().all()  # type: ignore[arg-type]
        await app.close()

    assert escaped == [], escaped
    assert busy > 0, "the restart was not felt: nothing to prove"
    assert recovered_at, "the bot did not recover after the restart"
    assert len(rows) == STUDENTS
    assert per_attempt == {attempts[u]: 10 for u in attempts}, "an answer was lost or recorded twice"
    assert all(a.current_no == 10 for a in rows)
    record("postgres_restart", students=STUDENTS, answers=sum(per_attempt.values()), busy_replies=busy,
           exceptions=len(escaped), duplicates=0, lost=0, recovery_s=round(recovered_at[0] - restarted_at[0], 2),
           seconds=round(elapsed, 1))
