"""Practice, roles, privacy and forged buttons through the real Dialogue (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.core.messages import Inbound
from bot.storage.models import Contest, Registration, StaffRole, User, UserState
from bot.storage.users import last_choices

from .contest_support import Chat, Clock, build, payloads, text_of
from .test_contest_flow import create_contest_in_chat, register

REFUSAL = "chỉ dành cho cán bộ"


async def test_practice_feedback_summary_and_missed(db_url: str) -> None:
    app = await build(db_url, Clock())
    chat = Chat(app)
    menu = await chat.press("p1", "m:practice")
    assert "pm:all" in payloads(menu)
    replies = await chat.press("p1", "pm:rights")
    attempt_id = int(next(p for p in payloads(replies) if p.startswith("a:")).split(":")[1])
    for no in range(8):   # the topic has 8 questions
        view = await chat.attempt(attempt_id)
        assert view.current is not None
        wrong = no < 3
        option = (view.current.correct + 1) % 4 if wrong else view.current.correct
        replies = await chat.say("p1", "ABCD"[option] if no % 2 else str(option + 1))
        assert ("Chưa đúng" in text_of(replies)) is wrong and "📖 Nguồn:" in text_of(replies)
    assert "5/8" in text_of(replies)
    retry = next(p for p in payloads(replies) if p.startswith("pr:"))
    again = await chat.press("p1", retry)
    assert "Câu 1/3" in text_of(again)
    # someone else cannot reuse my buttons
    assert "không dành cho bạn" in text_of(await chat.press("p2", retry))
    await app.close()


async def _remembered(chat: Chat, user: str) -> tuple[str, object]:
    async with chat.app.db.session() as session:
        row = (await session.execute(select(col(UserState.choices), col(UserState.updated))
                                     .join(User, col(User.id) == col(UserState.user_id))
                                     .where(col(User.platform_user_id) == user))).one()
    return row[0], row[1]


async def test_quiz_buttons_are_remembered_by_prefix_and_still_pressed_as_quick_replies(db_url: str) -> None:
    """A quiz question's answer buttons are remembered as their prefix, once per attempt (no write
    per answer); a quick reply that arrives as text (Zalo OA) is still a press when it is one of
    this attempt's buttons, and typed numbers still answer."""
    app = await build(db_url, Clock())
    chat = Chat(app)
    await chat.press("q1", "m:practice")
    replies = await chat.press("q1", "pm:rights")
    attempt_id = int(next(p for p in payloads(replies) if p.startswith("a:")).split(":")[1])
    choices, updated = await _remembered(chat, "q1")
    assert choices == f'["a:{attempt_id}:*"]'
    right = (await chat.attempt(attempt_id)).current.correct  # type: ignore[union-attr]
    quick = Inbound("console", "q1", "q1", text=f"a:{attempt_id}:0:{right}", language="vi", text_may_be_press=True)
    assert "Đúng rồi" in text_of(await app.dialogue.handle(quick))
    assert (await chat.attempt(attempt_id)).current_no == 1
    assert await _remembered(chat, "q1") == (choices, updated)          # the next question wrote nothing
    async with app.db.session() as session:
        assert await last_choices(session, platform="console", platform_user_id="q1") == []
    right = (await chat.attempt(attempt_id)).current.correct  # type: ignore[union-attr]
    assert "Đúng rồi" in text_of(await chat.say("q1", str(right + 1)))   # a typed number answers
    assert (await chat.attempt(attempt_id)).current_no == 2
    # Another attempt's button as a quick reply is not this one's press, and nothing is recorded.
    forged = Inbound("console", "q1", "q1", text=f"a:{attempt_id + 1}:2:0", language="vi", text_may_be_press=True)
    await app.dialogue.handle(forged)
    assert (await chat.attempt(attempt_id)).current_no == 2
    await app.close()


ROLE_CASES = [
    # (command, participant refused, other-unit staff refused, own staff ok, admin ok)
    ("/taocuocthi", True, False, False, False),
    ("/cuocthi", True, False, False, False),
    ("/dongcuocthi {code}", True, True, False, False),
    ("/ketquacuocthi {code}", True, True, False, False),
    ("/capquyen console:x doan", True, True, True, False),
]


@pytest.mark.parametrize(("command", "student", "other_staff", "own_staff", "admin"), ROLE_CASES)
async def test_roles_table(db_url: str, command: str, student: bool, other_staff: bool, own_staff: bool,
                           admin: bool) -> None:
    app = await build(db_url, Clock())
    chat = Chat(app)
    code = await create_contest_in_chat(chat)          # staff1 runs "doan"
    await chat.say("admin", "/capquyen console:other sogd")
    for user, refused in (("student", student), ("other", other_staff), ("staff1", own_staff), ("admin", admin)):
        await chat.say(user, "/mk_reset")
        reply = text_of(await chat.say(user, command.format(code=code)))
        assert (REFUSAL in reply) is refused, (user, command, reply)
    async with app.db.session() as session:
        contests = (await session.execute(select(Contest))).scalars().all()
        roles = (await session.execute(select(func.count()).select_from(StaffRole))).scalar_one()
    # refusals changed nothing: the contest is closed only when someone allowed closed it
    if command.startswith("/dongcuocthi"):
        assert contests[0].status == "closed"
    assert roles == (3 if command.startswith("/capquyen") else 2)
    await app.close()


async def test_privacy_mydata_and_delete(db_url: str) -> None:
    app = await build(db_url, Clock())
    chat = Chat(app)
    code = await create_contest_in_chat(chat)
    await register(chat, "s1", code, "hoa binh", "truong-a", "Phạm Minh Khoa")
    assert "Quyền riêng tư" in text_of(await chat.say("s1", "/quyenriengtu"))
    assert "Phạm Minh Khoa" in text_of(await chat.say("s1", "/mydata"))
    asked = await chat.say("s1", "/xoadulieu")
    assert payloads(asked) == ["pv:y", "pv:n"]
    assert "Đã xoá" in text_of(await chat.press("s1", "pv:y"))
    assert "Phạm Minh Khoa" not in text_of(await chat.say("s1", "/dulieucuatoi"))
    async with app.db.session() as session:
        row = (await session.execute(select(Registration))).scalar_one()
    assert row.full_name is None and row.erased and row.unit_id == "truong-a"
    await app.close()


async def test_forged_and_stale_contest_buttons_do_nothing(db_url: str) -> None:
    app = await build(db_url, Clock())
    chat = Chat(app)
    for payload in ["a:1:0:0", "a:x", "a:99999999999999:0:0", "rs:5", "rc:1:y", "ru:truong-a", "rp:1", "pr:1",
                    "pm:nope", "mk:ok", "mk:30", "pv:zz", "ct:NOPE"]:
        replies = await chat.press("u9", payload)
        assert replies and replies[0].kind == "error", payload
    assert "/start" not in text_of(await chat.say("u9", "/start c_ZZZZZZ"))
    await app.close()


async def test_answer_after_deadline_closes_first_and_deep_link(db_url: str) -> None:
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    code = await create_contest_in_chat(chat)
    joined = await chat.say("s1", f"/start c_{code}")
    assert any(p.startswith("rc:") for p in payloads(joined))
    contest_id = await register(chat, "s2", code, "hoa hop", "truong-b", "Đỗ Lan")
    started = await chat.press("s2", f"rs:{contest_id}")
    clock.advance(minutes=10, seconds=1)
    late = await chat.say("s2", "A")
    assert "Hết giờ" in text_of(late) and "0/10" in text_of(late)
    await app.close()
    assert started


async def test_recorded_answers_are_counted_in_metrics_once(db_url: str) -> None:
    from bot import metrics

    def recorded() -> float:
        return float(metrics.REGISTRY.get_sample_value("rightsbot_answers_recorded_total", {"mode": "practice"}) or 0)

    app = await build(db_url, Clock())
    chat = Chat(app)
    replies = await chat.press("m1", "pm:rights")
    press = next(p for p in payloads(replies) if p.startswith("a:"))
    before = recorded()
    await chat.press("m1", press)
    await chat.press("m1", press)      # a double press records nothing more
    assert recorded() == before + 1
    await app.close()
