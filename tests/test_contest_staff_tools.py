"""Reminders from the scheduler, the organiser choices of /taocuocthi, and names in
/ketquacuocthi — on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.contests.contests import create_contest
from bot.contests.reminders import window_for
from bot.contests.scheduler import tick
from bot.contests.spec import spec_from_mapping
from bot.storage.models import Broadcast

from .contest_support import START, Chat, Clock, build, payloads, text_of
from .test_contest_flow import STAFF, create_contest_in_chat, register


def test_window_for_picks_the_nearest() -> None:
    assert window_for(timedelta(hours=30)) is None
    assert window_for(timedelta(hours=23))[0] == "24h"  # type: ignore[index]
    assert window_for(timedelta(minutes=50))[0] == "1h"  # type: ignore[index]
    assert window_for(timedelta(0)) is None


async def test_reminders_queued_once_to_those_who_have_not_started(db_url: str) -> None:
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    closes = START + timedelta(hours=48)
    async with app.db.session() as session:
        spec = spec_from_mapping({"title": "Nhắc nhở", "organiser": "doan", "opens": START, "closes": closes,
                                  "questions": 3, "prediction": "off"})
        contest = await create_contest(session, spec, created_by="test", now=clock())
        await session.commit()
    contest_id = await register(chat, "an", contest.code, "hoa binh", "truong-a", "Nguyễn Văn An")
    await register(chat, "binh", contest.code, "hoa hop", "truong-b", "Trần Thị Bình")
    await register(chat, "chi", contest.code, "hoa hop", "truong-b", "Lê Chi")
    await chat.press("chi", f"rs:{contest_id}")                 # Chi has started: no reminder for her

    assert (await tick(app.db, app.quizzes.units, clock())).reminders_queued == 0   # 48 h left: too early
    clock.now = closes - timedelta(hours=23)
    assert (await tick(app.db, app.quizzes.units, clock())).reminders_queued == 2
    assert (await tick(app.db, app.quizzes.units, clock())).reminders_queued == 0   # exactly once
    clock.now = closes - timedelta(hours=2)
    await register(chat, "dung", contest.code, "hoa binh", "truong-a", "Phạm Dũng")   # too late for the 24 h one
    assert (await tick(app.db, app.quizzes.units, clock())).reminders_queued == 0
    clock.now = closes - timedelta(minutes=30)
    assert (await tick(app.db, app.quizzes.units, clock())).reminders_queued == 3
    assert (await tick(app.db, app.quizzes.units, clock())).reminders_queued == 0

    async with app.db.session() as session:
        rows = (await session.execute(select(Broadcast).where(col(Broadcast.kind) == "reminder")
                                      .order_by(col(Broadcast.id)))).scalars().all()
    assert sorted((r.ref.rsplit(":", 1)[1], r.chat_id) for r in rows) == [
        ("1h", "an"), ("1h", "binh"), ("1h", "dung"), ("24h", "an"), ("24h", "binh")]
    assert all(f"/thi {contest.code}" in r.text and "Nguyễn" not in r.text for r in rows)
    await app.close()


async def test_taocuocthi_offers_the_staff_members_units(db_url: str) -> None:
    app = await build(db_url, Clock())
    chat = Chat(app)
    await chat.say("admin", f"/capquyen console:{STAFF} truong-a")
    await chat.say(STAFF, "/taocuocthi")
    asked = await chat.say(STAFF, "Thi thử của trường")
    assert payloads(asked) == ["mk:truong-a"], text_of(asked)
    assert "Trường THPT Hòa Bình" in [c.label for r in asked for c in r.choices]
    picked = await chat.say(STAFF, "1")                          # a typed number picks the button
    assert all(r.kind != "error" for r in picked) and "Thời gian mở" in text_of(picked)
    # an admin is offered the top-level units
    await chat.say("admin", "/taocuocthi")
    offered = payloads(await chat.say("admin", "Thi toàn tỉnh"))
    assert sorted(offered) == ["mk:doan", "mk:sogd"]
    await app.close()


async def test_ketquacuocthi_shows_declared_names_never_logged(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    code = await create_contest_in_chat(chat)
    contest_id = await register(chat, "an", code, "hoa binh", "truong-a", "Nguyễn Văn An")
    await register(chat, "mal", code, "hoa hop", "truong-b", "Kẻ\u202eGiả\u200b Mạo")
    for user in ("an", "mal"):
        await chat.press(user, f"rs:{contest_id}")
    clock.advance(minutes=1)
    await chat.say(STAFF, f"/dongcuocthi {code}")
    summary = text_of(await chat.say(STAFF, f"/ketquacuocthi {code}"))
    assert "Nguyễn Văn An · Trường THPT Hòa Bình · 0/10" in summary
    assert "KẻGiả Mạo · Trường THPT Hòa Hợp" in summary and "\u202e" not in summary
    assert "Nguyễn Văn An" not in text_of(await chat.say("an", f"/ketquacuocthi {code}"))   # refused
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot")]
    assert ours and not [m for m in ours if "Nguyễn" in m or "Mạo" in m]
    await app.close()
