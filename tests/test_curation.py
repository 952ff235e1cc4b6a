"""Reports and curation in chat and across processes: roles, files on replies, announcing once
(surviving a restart), the gaps list, adding a phrasing that keeps YAML comments, and reloads
that never serve a broken knowledge base."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
from docx import Document
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.contests.roles import grant_staff
from bot.core.messages import Reply
from bot.qa.gaps import LoggedQuestion, group_questions, logged_gaps
from bot.qa.phrasing import add_phrasing
from bot.storage.broadcasts import mark_sent, pending_broadcasts
from bot.storage.models import Broadcast, utcnow

from .conftest import TEST_KNOWLEDGE, make_settings
from .contest_support import Chat, Clock, payloads, text_of
from .report_support import Person, quizzes_with_schools, run_contest

PEOPLE = [Person("an", "truong-a", "Nguyễn Văn An", 5, prediction=3), Person("binh", "truong-a", "Trần Bình", 4),
          Person("chi", "truong-b", "Lê Chi", 2)]


async def _build(db_url: str, clock: Clock, tmp_path: Path, knowledge: Path = TEST_KNOWLEDGE) -> App:
    quizzes = tmp_path / "quizzes"
    if not quizzes.exists():
        quizzes_with_schools(tmp_path, 0)
    return await build_app(make_settings(db_url, knowledge=knowledge, quizzes_dir=quizzes), clock=clock)


async def _staff(app: App, user: str, unit: str) -> None:
    async with app.db.session() as session:
        await grant_staff(session, user_key=f"console:{user}", unit_id=unit, granted_by="test")
        await session.commit()


def _files(replies: list[Reply]) -> dict[str, bytes]:
    return {f.filename: f.data for r in replies for f in r.files}


async def test_results_in_chat_carry_workbook_and_chart_for_the_organiser_only(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app = await _build(db_url, clock, tmp_path)
    chat = Chat(app)
    try:
        contest = await run_contest(app, clock, PEOPLE)
        await _staff(app, "doan_staff", "doan")
        await _staff(app, "sogd_staff", "sogd")
        replies = await chat.say("doan_staff", f"/ketquacuocthi {contest.code}")
        files = _files(replies)
        assert set(files) == {f"ket-qua-{contest.code}.xlsx", f"bieu-do-{contest.code}.png"}
        assert "3 người dự thi" in text_of(replies) and "Nguyễn Văn An" in text_of(replies)
        book = openpyxl.load_workbook(io.BytesIO(files[f"ket-qua-{contest.code}.xlsx"]))
        assert book.sheetnames[0] == "Thiết lập"
        assert files[f"bieu-do-{contest.code}.png"].startswith(b"\x89PNG")
        assert any("rightsbot contest results" in r.extra.get("files_note", "") for r in replies)
        # Admins see every contest; staff of another organiser and participants get a refusal, no files.
        assert _files(await chat.say("admin", f"/ketquacuocthi {contest.code}"))
        for who in ("sogd_staff", "an"):
            refused = await chat.say(who, f"/ketquacuocthi {contest.code}")
            assert not _files(refused) and "chỉ dành cho cán bộ" in text_of(refused)
            assert "Nguyễn Văn An" not in text_of(refused)
    finally:
        await app.close()


async def test_yearly_report_in_chat_is_for_admins(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app = await _build(db_url, clock, tmp_path)
    chat = Chat(app)
    try:
        await run_contest(app, clock, PEOPLE)
        await _staff(app, "doan_staff", "doan")
        for who in ("doan_staff", "an"):
            refused = await chat.say(who, "/baocao 2026")
            assert not _files(refused) and "chỉ dành cho quản trị viên" in text_of(refused)
        replies = await chat.say("admin", "/baocao 2026")
        files = _files(replies)
        assert list(files) == ["bao-cao-2026.docx"]
        doc = Document(io.BytesIO(files["bao-cao-2026.docx"]))
        assert any("BÁO CÁO" in p.text for p in doc.paragraphs) and len(doc.inline_shapes) == 4
        assert "1 cuộc thi" in text_of(replies)
    finally:
        await app.close()


async def _announced(app: App) -> list[Broadcast]:
    async with app.db.session() as session:
        rows = await session.execute(select(Broadcast).where(Broadcast.kind == "announce").order_by(Broadcast.id))  # type: ignore[arg-type]
        return list(rows.scalars())


async def test_announcement_goes_once_to_everyone_and_resumes_after_a_restart(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app = await _build(db_url, clock, tmp_path)
    chat = Chat(app)
    contest = await run_contest(app, clock, PEOPLE, close=False)
    await _staff(app, "doan_staff", "doan")
    assert "chưa kết thúc" in text_of(await chat.say("doan_staff", f"/congbo {contest.code}"))
    assert "chỉ dành cho cán bộ" in text_of(await chat.say("an", f"/congbo {contest.code}"))
    await chat.say("doan_staff", f"/dongcuocthi {contest.code}")
    confirm = await chat.say("doan_staff", f"/congbo {contest.code}")
    assert "3 người dự thi" in text_of(confirm) and payloads(confirm) == [f"cb:{contest.code}"]
    assert await _announced(app) == []                       # nothing is sent before the button
    assert "chỉ dành cho cán bộ" in text_of(await chat.press("an", f"cb:{contest.code}"))
    sent = await chat.press("doan_staff", f"cb:{contest.code}")
    assert "Đã xếp 3 tin" in text_of(sent) and "đã gửi 0/3" in text_of(sent)
    rows = await _announced(app)
    assert sorted(r.chat_id for r in rows) == ["an", "binh", "chi"]
    an = next(r for r in rows if r.chat_id == "an")
    assert "xếp hạng 1/3" in an.text and "5/5" in an.text and "giải Nhất" in an.text

    # The channel drains one message, then the bot restarts.
    async with app.db.session() as session:
        first = next(r for r in await pending_broadcasts(session, channel="console") if r.kind == "announce")
        await mark_sent(session, broadcast_id=first.id or 0, ok=True)
        await session.commit()
    await app.close()
    app = await _build(db_url, clock, tmp_path)
    chat = Chat(app)
    try:
        again = await chat.press("doan_staff", f"cb:{contest.code}")          # a second press adds nothing
        progress = await chat.say("doan_staff", f"/congbo {contest.code}")
        assert "Đã xếp" not in text_of(again) and "đã gửi 1/3, còn chờ 2" in text_of(progress)
        assert "console: 1/3" in text_of(progress)
        async with app.db.session() as session:
            left = [r for r in await pending_broadcasts(session, channel="console") if r.kind == "announce"]
            count = (await session.execute(select(func.count()).select_from(Broadcast)
                                           .where(Broadcast.kind == "announce"))).scalar_one()  # type: ignore[arg-type]
        assert count == 3 and len(left) == 2 and first.id not in {r.id for r in left}
    finally:
        await app.close()


def test_near_identical_questions_are_grouped_most_frequent_first() -> None:
    now = utcnow()
    asked = ["Giá vàng hôm nay?", "gia vang hom nay", "giá vàng hôm nay ạ", "Giá vàng hôm nay",
             "thời tiết ngày mai", "thoi tiet ngay mai"]
    logged = [LoggedQuestion(i, text, "vi", "unanswered", None, now) for i, text in enumerate(asked)]
    logged.append(LoggedQuestion(99, "quyền biểu tình", "vi", "disliked", "hr-day", now))
    groups = group_questions(logged)
    assert [(g.count, len(g.variants)) for g in groups] == [(4, 4), (2, 2), (1, 1)]
    assert groups[2].kinds == {"disliked": 1} and groups[2].given == {"hr-day": 1}


async def test_gaps_from_chat_and_adding_a_phrasing_from_the_button(db_url: str, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, knowledge)
    clock = Clock(utcnow())
    app = await _build(db_url, clock, tmp_path, knowledge)
    chat = Chat(app)
    try:
        for user, text in (("u1", "ngày quốc tế nhân quyền là bao giờ vậy ad"), ("u2", "ngay quoc te nhan quyen la bao gio vay ad"),
                           ("u3", "giá vàng hôm nay")):
            await chat.say(user, text)
        answered = await chat.say("u4", "tuoi ung cu")
        down = next(p for p in payloads(answered) if p.endswith(":d"))
        await chat.press("u4", down)
        async with app.db.session() as session:
            groups = group_questions(await logged_gaps(session), app.knowledge.matcher)
        assert sum(g.count for g in groups) == 4
        assert "chỉ dành cho quản trị viên" in text_of(await chat.say("u1", "/cauhoimoi"))
        listed = await chat.say("admin", "/cauhoimoi")
        assert "2 lần" in text_of(listed) and "👎 1" in text_of(listed)
        first = payloads(listed)[0]
        assert "chỉ dành cho quản trị viên" in text_of(await chat.press("u1", first))
        offered = await chat.press("admin", first)
        target = next(p for p in payloads(offered) if p.endswith(":hr-day"))
        added = await chat.press("admin", target)
        assert "Đã thêm" in text_of(added) and "rights.yaml:" in text_of(added) and "Đã nạp lại" in text_of(added)
        match = app.knowledge.matcher.match("ngay quoc te nhan quyen la bao gio vay ad")
        assert match.outcome == "answer" and match.entry is not None and match.entry.id == "hr-day"
        assert "ngày quốc tế nhân quyền là bao giờ vậy ad" in app.knowledge.kb.entries["hr-day"].vi.questions
    finally:
        await app.close()


def test_adding_a_phrasing_keeps_the_admins_comments_and_order(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, knowledge)
    path = knowledge / "rights.yaml"
    original = path.read_text(encoding="utf-8").replace(
        "  - id: hr-day\n", "  # Ngày 10/12: kiểm tra lại nguồn mỗi năm\n  - id: hr-day  # mục hay được hỏi\n")
    path.write_text(original, encoding="utf-8")
    result = add_phrasing(knowledge, "hr-day", "ngày nhân quyền: là ngày nào?")
    assert result.added, result
    updated = path.read_text(encoding="utf-8")
    assert "# Ngày 10/12: kiểm tra lại nguồn mỗi năm" in updated and "# mục hay được hỏi" in updated
    added = [line for line in updated.splitlines() if line not in original.splitlines()]
    assert added == ["      - 'ngày nhân quyền: là ngày nào?'"] and result.line == updated.splitlines().index(added[0]) + 1
    assert [line for line in original.splitlines() if line in updated.splitlines()] == original.splitlines()
    # The same words again (diacritics and punctuation aside) are refused, and nothing changes.
    again = add_phrasing(knowledge, "hr-day", "Ngay nhan quyen la ngay nao")
    assert not again.added and "already" in again.message and path.read_text(encoding="utf-8") == updated
    assert not add_phrasing(knowledge, "no-such-entry", "câu hỏi").added


def test_a_phrasing_that_would_break_the_file_is_refused(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, knowledge)
    path = knowledge / "rights.yaml"
    before = path.read_text(encoding="utf-8")
    for text in ("", "x" * 400, "\n\t"):
        assert not add_phrasing(knowledge, "hr-day", text).added
    assert path.read_text(encoding="utf-8") == before


async def test_reload_with_a_broken_file_keeps_serving_and_others_follow(db_url: str, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, knowledge)
    clock = Clock(utcnow())
    first = await _build(db_url, clock, tmp_path, knowledge)
    second = await _build(db_url, clock, tmp_path, knowledge)        # another process on the same database
    chat = Chat(first)
    try:
        assert second.content is not None and await second.content.check() is None   # learns the generation
        path = knowledge / "rights.yaml"
        good = path.read_text(encoding="utf-8")
        path.write_text(good.replace("  - id: hr-day\n", "  - id: hr-day\n    questions: [broken\n"), encoding="utf-8")
        assert "chỉ dành cho quản trị viên" in text_of(await chat.say("u1", "/reload"))
        refused = text_of(await chat.say("admin", "/reload"))
        assert "phiên bản cũ vẫn đang phục vụ" in refused and "rights.yaml:" in refused
        assert "10/12" in text_of(await chat.say("u1", "ngày quốc tế nhân quyền là ngày nào"))
        checked = await second.content.check()                             # the other process tried too, kept its own
        assert checked is not None and not checked.ok
        assert second.knowledge.matcher.match("ngày quốc tế nhân quyền là ngày nào").entry is not None
        # Fixed, with a new phrasing: both processes serve it after the next reload.
        path.write_text(good.replace("      - ngay nhan quyen the gioi\n",
                                     "      - ngay nhan quyen the gioi\n      - hom nao la ngay nhan quyen\n"),
                        encoding="utf-8")
        assert "Đã nạp lại" in text_of(await chat.say("admin", "/reload"))
        follow = await second.content.check()
        assert follow is not None and follow.ok
        for app in (first, second):
            assert "hom nao la ngay nhan quyen" in app.knowledge.kb.entries["hr-day"].vi.questions
    finally:
        await first.close()
        await second.close()


async def test_telegram_uploads_a_replys_files(db_url: str, tmp_path: Path) -> None:
    from telegram import Bot

    from bot.channels.telegram_delivery import Sender
    from bot.core.messages import Attachment
    from bot.storage.db import Database
    from tests.fakes.telegram_api import FakeTelegramAPI

    async with FakeTelegramAPI() as api:
        bot = Bot(api.token, base_url=api.base_url)
        db = Database(db_url)
        await db.upgrade()
        try:
            await bot.initialize()
            files = (Attachment("ket-qua.xlsx", b"PK\x03\x04xlsx", "application/vnd.ms-excel", "Kết quả"),
                     Attachment("bieu-do.png", b"\x89PNG\r\n\x1a\nchart", "image/png", "Biểu đồ"))
            await Sender(bot, db).send_replies(7001, [Reply("📎 Tệp kết quả", files=files)])
            await bot.shutdown()
        finally:
            await db.close()
        assert [c.method for c in api.calls if c.method.startswith("send")] == ["sendMessage", "sendDocument", "sendPhoto"]
        assert api.calls_to("sendDocument")[0].params["document"] == "ket-qua.xlsx"
        assert api.calls_to("sendPhoto")[0].params["caption"] == "Biểu đồ"


def test_plain_text_channels_say_where_the_files_are() -> None:
    from bot.channels.plain_text import text_with_list
    from bot.core.messages import Attachment

    reply = Reply("Kết quả", files=(Attachment("a.xlsx", b"x", "application/x"),),
                  extra={"files_note": "📎 a.xlsx: rightsbot contest results"})
    assert text_with_list(reply).endswith("📎 a.xlsx: rightsbot contest results")
