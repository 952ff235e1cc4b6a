"""Duplicate deliveries have exactly one effect (issue 9): a Telegram update_id delivered twice,
a Zalo message_id delivered again and again, a double button press, and two bot processes
(two engines on one database) receiving the same update at the same moment.
On SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlmodel import col

from bot.app import App
from bot.core.messages import Inbound
from bot.storage.models import AttemptAnswer, ProcessedEvent, QuestionLog
from tests.fakes.zalo_oa import FakeZaloOA
from tests.zalo_support import count, serve

from .contest_support import Chat, Clock, attempt_id_of, build, text_of
from .reliability_support import record
from .test_contest_flow import create_contest_in_chat, register


async def _contest_attempt(app: App, user: str) -> int:
    chat = Chat(app)
    code = await create_contest_in_chat(chat)
    contest_id = await register(chat, user, code, "hoa binh", "truong-a", "Nguyễn Văn An")
    return attempt_id_of(await chat.press(user, f"rs:{contest_id}"))


async def _answers(app: App, attempt_id: int) -> int:
    return await count(app, AttemptAnswer, col(AttemptAnswer.attempt_id) == attempt_id)


def _press(user: str, attempt_id: int, no: int, event: str | None, channel: str = "console") -> Inbound:
    return Inbound(channel, user, user, payload=f"a:{attempt_id}:{no}:1", event_id=event, language="vi")


async def test_duplicates_have_one_effect(db_url: str) -> None:
    clock = Clock()
    app = await build(db_url, clock)
    attempt_id = await _contest_attempt(app, "an")
    figures: dict[str, int] = {}

    # An update id delivered twice (Telegram's redelivery), one after the other and at once.
    first = await app.dialogue.handle(_press("an", attempt_id, 0, "update-1001"))
    again = await app.dialogue.handle(_press("an", attempt_id, 0, "update-1001"))
    assert first and again == []
    racing = await asyncio.gather(*(app.dialogue.handle(_press("an", attempt_id, 1, "update-1002")) for _ in range(5)))
    assert sum(1 for r in racing if r) == 1
    assert await _answers(app, attempt_id) == 2
    figures["update_id_deliveries"] = 7

    # A double press: two different updates for the same button, at once.
    pressed = await asyncio.gather(app.dialogue.handle(_press("an", attempt_id, 2, "update-2001")),
                                   app.dialogue.handle(_press("an", attempt_id, 2, "update-2002")))
    texts = sorted(text_of(r) for r in pressed)
    assert sum("đã trả lời rồi" in t for t in texts) == 1, texts
    assert await _answers(app, attempt_id) == 3
    figures["double_presses"] = 2

    # Two processes: two apps (two engines, two pools) on the same database take the same update.
    other = await build(db_url, clock)
    try:
        both = await asyncio.gather(app.dialogue.handle(_press("an", attempt_id, 3, "update-3001")),
                                    other.dialogue.handle(_press("an", attempt_id, 3, "update-3001")))
        assert sorted(len(r) > 0 for r in both) == [False, True], both
        # …and the same button pressed twice, each press reaching a different process.
        both = await asyncio.gather(app.dialogue.handle(_press("an", attempt_id, 4, "update-4001")),
                                    other.dialogue.handle(_press("an", attempt_id, 4, "update-4002")))
        assert sum("đã trả lời rồi" in text_of(r) for r in both) == 1
    finally:
        await other.close()
    assert await _answers(app, attempt_id) == 5
    figures["two_process_deliveries"] = 4

    async with app.db.session() as session:
        rows = (await session.execute(select(AttemptAnswer.question_no, func.count())  # type: ignore[call-overload]
                                      .where(AttemptAnswer.attempt_id == attempt_id)
                                      .group_by(AttemptAnswer.question_no))).all()
    assert dict(rows) == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1}
    view = await Chat(app).attempt(attempt_id)
    assert view.current_no == 5 and view.score <= 5
    await app.close()
    database = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    record(f"duplicates_{database}", **figures, effects=5, duplicates=0)


async def test_zalo_message_id_delivered_many_times_is_answered_once(db_url: str) -> None:
    from tests.test_zalo_oa import oa_channel

    app = await build(db_url, Clock())
    user = "2468458835296117922"
    async with FakeZaloOA() as oa, serve(oa_channel(app, oa)) as url:
        event = oa.event(user, "tuyen ngon nhan quyen thong qua nam nao", msg_id="9f8e7d6c5b4a3")
        statuses = await asyncio.gather(*(oa.deliver(url + "/zalo/oa", event) for _ in range(6)))
        assert statuses == [200] * 6
        await oa.wait_for_sent(user, 1)
        assert await oa.deliver(url + "/zalo/oa", event) == 200     # and once more, later
        await asyncio.sleep(0.5)
    assert len(oa.sent) == 1
    assert await count(app, ProcessedEvent, col(ProcessedEvent.channel) == "zalo_oa") == 1
    assert await count(app, QuestionLog) == 1
    await app.close()
    record("duplicates_zalo_message_id", deliveries=7, replies=1, duplicates=0)


