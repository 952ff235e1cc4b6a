"""The whole contest flow of issue 4 through the real Dialogue, on SQLite and PostgreSQL.

Staff creates a contest in chat; three students from two schools register and take it; one
runs out of time; one presses an answer twice; the bot restarts mid-attempt; the contest
closes; rankings and unit results are exactly what the rules say.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlmodel import col

from bot.contests.contests import find_contest
from bot.contests.results import standings
from bot.contests.scheduler import tick
from bot.storage.models import AttemptAnswer, Broadcast, RankingRow

from .contest_support import Chat, Clock, attempt_id_of, build, payloads, text_of

STAFF = "staff1"


async def create_contest_in_chat(chat: Chat) -> str:
    """The admin grants a role; the staff member walks the guided form; returns the join code."""
    granted = await chat.say("admin", f"/capquyen console:{STAFF} doan")
    assert "doan" in text_of(granted)
    assert "/taocuocthi" not in text_of(await chat.say(STAFF, "/taocuocthi"))
    for typed in ["Tìm hiểu quyền trẻ em 2026", "doan", "01/12/2026 08:00", "01/12/2026 20:00"]:
        replies = await chat.say(STAFF, typed)
        assert all(r.kind != "error" for r in replies), text_of(replies)
    for button in ["mk:10", "mk:10", "mk:1", "mk:best", "mk:0", "mk:participants", "mk:none", "mk:all"]:
        replies = await chat.press(STAFF, button)
        assert all(r.kind != "error" for r in replies), (button, text_of(replies))
    done = text_of(await chat.press(STAFF, "mk:ok"))
    match = re.search(r"Mã tham gia: ([A-Z0-9]+)", done)
    assert match, done
    return match.group(1)


async def register(chat: Chat, user: str, code: str, school_query: str, unit_id: str, name: str) -> int:
    """Join, consent, find the school by part of its name (no diacritics), give a name; returns contest id."""
    joined = await chat.say(user, f"/thi {code.lower()}")
    consent = next(p for p in payloads(joined) if p.startswith("rc:") and p.endswith(":y"))
    await chat.press(user, consent)
    found = await chat.say(user, school_query)
    assert f"ru:{unit_id}" in payloads(found), text_of(found)
    asked = await chat.press(user, f"ru:{unit_id}")
    assert "Họ và tên" in text_of(asked)
    ready = await chat.say(user, name)
    start = next(p for p in payloads(ready) if p.startswith("rs:"))
    return int(start.split(":")[1])


async def answer(chat: Chat, user: str, attempt_id: int, right: bool, typed: bool = False) -> list:
    view = await chat.attempt(attempt_id)
    question = view.current
    assert question is not None
    option = question.correct if right else (question.correct + 1) % 4
    if typed:
        return await chat.say(user, ["A", "b", "câu C", "cau d"][option])
    return await chat.press(user, f"a:{attempt_id}:{view.current_no}:{option}")


async def test_full_contest_flow(db_url: str) -> None:
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    code = await create_contest_in_chat(chat)

    # Three students, two schools. An (truong-a) and Binh (truong-a), Chi (truong-b).
    contest_id = await register(chat, "an", code, "hoa binh", "truong-a", "Nguyễn Văn An")
    await register(chat, "binh", code, "THPT Hòa Bình", "truong-a", "Trần Thị Bình")
    await register(chat, "chi", code, "hoa hop", "truong-b", "Lê Chi")

    # An: 8 of 10 right, presses the first answer twice, predicts 3 (exactly right), takes 6 minutes.
    started = await chat.press("an", f"rs:{contest_id}")
    an_attempt = attempt_id_of(started)
    assert "còn 10:00" in text_of(started) and started[-1].edit_key == f"attempt:{an_attempt}"
    first = (await chat.attempt(an_attempt)).current
    assert first is not None
    press = f"a:{an_attempt}:0:{first.correct}"
    await chat.press("an", press)
    again = await chat.press("an", press)
    assert "đã trả lời rồi" in text_of(again)
    for i in range(1, 10):
        clock.advance(seconds=36)
        await answer(chat, "an", an_attempt, right=i not in (4, 7))
    assert "dự đoán" in text_of(chat.last["an"])
    done = await chat.say("an", "3")
    assert "8/10" in text_of(done) and "tốt nhất" in text_of(done)

    # Binh: also 8 of 10, faster (typed answers), but predicts 10; the bot restarts in the middle.
    binh_attempt = attempt_id_of(await chat.press("binh", f"rs:{contest_id}"))
    for i in range(5):
        clock.advance(seconds=10)
        await answer(chat, "binh", binh_attempt, right=i != 2, typed=True)
    await app.close()
    app = await build(db_url, clock)
    chat = Chat(app)
    for i in range(5, 10):
        clock.advance(seconds=10)
        replies = await answer(chat, "binh", binh_attempt, right=i != 8, typed=True)
        assert all(r.kind != "error" for r in replies), text_of(replies)
    assert "8/10" in text_of(await chat.say("binh", "10"))

    # Chi answers 3 right, then stops; the scheduler submits the attempt when time is up.
    chi_attempt = attempt_id_of(await chat.press("chi", f"rs:{contest_id}"))
    for _ in range(3):
        await answer(chat, "chi", chi_attempt, right=True)
    clock.advance(minutes=11)
    assert (await tick(app.db, app.quizzes.units, clock())).attempts_closed == 1
    assert (await tick(app.db, app.quizzes.units, clock())).attempts_closed == 0
    late = await chat.press("chi", f"a:{chi_attempt}:3:0")
    assert "kết thúc" in text_of(late)
    assert "3/10 · 10:00 · hết giờ" in text_of(await chat.say("chi", "/ketqua"))

    # Nobody else can close it; the staff member closes it early.
    assert "chỉ dành cho cán bộ" in text_of(await chat.say("an", f"/dongcuocthi {code}"))
    assert "Đã đóng" in text_of(await chat.say(STAFF, f"/dongcuocthi {code}"))

    async with app.db.session() as session:
        contest = await find_contest(session, code)
        assert contest is not None and contest.status == "closed"
        rows = (await session.execute(select(RankingRow).order_by(RankingRow.rank))).scalars().all()  # type: ignore[arg-type]
        answers = (await session.execute(select(func.count()).select_from(AttemptAnswer))).scalar_one()
        result = await standings(session, contest, app.quizzes.units, 1)
        kinds = (await session.execute(select(col(Broadcast.kind), func.count()).group_by(col(Broadcast.kind)))).all()
    # 10 + 10 + 3 answers: the double press and the late press added nothing.
    assert answers == 23
    # Same score 8: An's prediction (3 people) was exact, so she ranks above the faster Binh.
    assert [(r.rank, r.score, r.gap) for r in rows] == [(1, 8, 0), (2, 8, 7), (3, 3, None)]
    assert rows[0].prize == "first" and rows[1].prize is None  # prizes for at most half: 1 of 3
    units = {u.unit_id: u for u in result.units}
    a, b = units["truong-a"], units["truong-b"]
    assert (a.participants, a.members, a.rate, a.average, a.full_scores) == (2, 10, 0.2, 8.0, 0)
    assert a.points == 0.2 * 100 + 10   # rate × 100 + 10 for the first prize
    assert (b.participants, b.rate, b.average, b.points) == (1, 0.05, 3.0, 5.0)
    assert [u.unit_id for u in result.units] == ["truong-a", "truong-b"]
    assert dict(kinds) == {"round_result": 3, "time_up": 1}

    board = text_of(await chat.say("binh", f"/bxh {code}"))
    assert "1. Nguyễn V. A." in board and "Bạn xếp hạng 2/3" in board
    summary = text_of(await chat.say(STAFF, f"/ketquacuocthi {code}"))
    assert "3 người dự thi" in summary
    await app.close()
