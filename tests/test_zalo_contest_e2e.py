"""A contest end to end across channels: `python -m bot run` with the Zalo OA, the Zalo Bot
Platform and Telegram side by side, each against its fake server.

An admin on Zalo OA (ADMINS=zalo:<id>) creates the contest in chat; a student on Zalo OA
(buttons), one on the Zalo Bot Platform (typed numbers and letters) and one on Telegram
register for their schools and take it; the admin closes it and reads the unit results, where
the two Zalo students' school and the Telegram student's school are combined from all channels.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA
from tests.zalo_support import free_port, right_letter, running_bot, wait_until, zalo_env

pytestmark = pytest.mark.slow

ADMIN = "1000000000000000001"
AN = "2468458835296117922"            # Zalo OA student, truong-a
BINH = "6ede9afa66b88fe6d6a9"         # Zalo Bot Platform student, truong-a
CHI = 5001                            # Telegram student, truong-b
VN = ZoneInfo("Asia/Ho_Chi_Minh")


class OAUser:
    """A Zalo OA user: types, or presses a button (its payload comes back as text)."""

    def __init__(self, oa: FakeZaloOA, hook: str, user_id: str) -> None:
        self.oa, self.hook, self.user_id = oa, hook, user_id

    def texts(self) -> list[str]:
        return self.oa.texts_to(self.user_id)

    async def say(self, text: str, expect: str) -> str:
        seen = len(self.texts())
        assert await self.oa.deliver(self.hook, self.oa.event(self.user_id, text)) == 200
        return await wait_until(lambda: self.texts()[seen:], expect)

    def button(self, prefix: str) -> str:
        """The payload of the newest button whose payload starts with `prefix`."""
        return next(p for s in reversed(self.oa.sent) if s.user_id == self.user_id
                    for _, p in s.buttons if p.startswith(prefix))


class BotUser:
    """A Zalo Bot Platform user: no buttons, types everything."""

    def __init__(self, zb: FakeZaloBot, user_id: str) -> None:
        self.zb, self.user_id = zb, user_id

    def texts(self) -> list[str]:
        return self.zb.texts_to(self.user_id)

    async def say(self, text: str, expect: str) -> str:
        seen = len(self.texts())
        self.zb.push(self.zb.update(self.user_id, text))
        return await wait_until(lambda: self.texts()[seen:], expect)


class TelegramUser:
    """A Telegram user: types, or presses an inline button."""

    def __init__(self, api: FakeTelegramAPI, user_id: int) -> None:
        self.api, self.user_id = api, user_id

    def texts(self) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.api.calls
                if c.method in ("sendMessage", "editMessageText") and c.params.get("chat_id") == self.user_id]

    async def say(self, text: str, expect: str) -> str:
        seen = len(self.texts())
        await self.api.push(self.api.message(self.user_id, text))
        return await wait_until(lambda: self.texts()[seen:], expect)

    async def press(self, prefix: str, expect: str) -> str:
        sent = next(c for c in reversed(self.api.calls)
                    if c.method in ("sendMessage", "editMessageText") and c.params.get("chat_id") == self.user_id
                    and _callback_data(c.params, prefix))
        seen = len(self.texts())
        await self.api.push(self.api.callback(self.user_id, sent, _callback_data(sent.params, prefix)))
        return await wait_until(lambda: self.texts()[seen:], expect)


def _callback_data(params: dict, prefix: str) -> str:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return next((b["callback_data"] for row in rows for b in row if b.get("callback_data", "").startswith(prefix)), "")


async def create_contest(admin: OAUser) -> str:
    """The admin walks the guided form on Zalo OA; returns the join code."""
    now = datetime.now(VN)
    await admin.say("/taocuocthi", "Tên cuộc thi")
    await admin.say("Thi thử liên kênh", "ơn vị tổ chức")
    await admin.say("doan", "Thời gian mở")
    await admin.say((now - timedelta(minutes=5)).strftime("%d/%m/%Y %H:%M"), "Thời gian kết thúc")
    await admin.say((now + timedelta(hours=2)).strftime("%d/%m/%Y %H:%M"), "Số câu hỏi")
    for step in ["mk:10", "mk:10", "mk:1", "mk:best", "mk:0", "mk:participants", "mk:none"]:
        await admin.say(step, "")
    await admin.say("mk:all", "Kiểm tra lại")
    done = await admin.say("mk:ok", "Mã tham gia")
    match = re.search(r"Mã tham gia: ([A-Z0-9]+)", done)
    assert match, done
    return match.group(1)


async def take(user: BotUser | TelegramUser, wrong: set[int], answer: Callable[[int, str], str],
               prediction: str) -> str:
    """Type answers to the 10 questions (wrong on purpose for the numbers in `wrong`), then predict."""
    question = await wait_until(user.texts, "Câu 1/10")
    for no in range(1, 11):
        letter = right_letter(question)
        if no in wrong:
            letter = "B" if letter == "A" else "A"
        expect = f"Câu {no + 1}/10" if no < 10 else "dự đoán"
        question = await user.say(answer(no, letter), expect)
    return await user.say(prediction, "Đã nộp bài")


async def test_contest_across_zalo_oa_zalo_bot_and_telegram(db_url: str, tmp_path: Path) -> None:
    async with FakeZaloOA() as oa, FakeZaloBot() as zb, FakeTelegramAPI() as tg:
        env = zalo_env(db_url, free_port(), oa=oa, zb=zb, ADMINS=f"zalo:{ADMIN}",
                       TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_BASE_URL=tg.base_url)
        async with running_bot(env, tmp_path / "bot.log") as bot:
            hook = bot.url + "/zalo/oa"
            admin, an, binh, chi = OAUser(oa, hook, ADMIN), OAUser(oa, hook, AN), BotUser(zb, BINH), TelegramUser(tg, CHI)
            code = await create_contest(admin)

            # Registration: An presses OA buttons, Binh types list numbers, Chi presses Telegram buttons.
            await an.say(f"/thi {code}", "Bạn đồng ý")
            await an.say(an.button("rc:"), "đơn vị nào")
            await an.say("hoa binh", "Chọn đơn vị")
            await an.say("ru:truong-a", "Họ và tên")
            await an.say("Nguyễn Văn An", "Đăng ký xong")
            await an.say(an.button("rs:"), "Câu 1/10")
            await binh.say(f"/thi {code.lower()}", "1. Đồng ý")
            await binh.say("1", "đơn vị nào")
            assert "1. Trường THPT Hòa Bình" in await binh.say("hoa binh", "Chọn đơn vị")
            await binh.say("1", "Họ và tên")
            await binh.say("Trần Thị Bình", "Đăng ký xong")
            await binh.say("1", "Câu 1/10")
            await chi.say(f"/thi {code}", "Bạn đồng ý")
            await chi.press("rc:", "đơn vị nào")
            await chi.say("hoa hop", "Chọn đơn vị")
            await chi.press("ru:truong-b", "Họ và tên")
            await chi.say("Lê Chi", "Đăng ký xong")
            await chi.press("rs:", "Câu 1/10")

            # An: OA buttons, 10/10. Binh: typed letters and "câu x", 9/10. Chi: typed on Telegram, 7/10.
            an_done = await take_by_buttons(an, prediction="3")
            binh_done = await take(binh, {4}, lambda no, letter: letter if no % 2 else f"câu {letter.lower()}", "5")
            chi_done = await take(chi, {2, 5, 8}, lambda _no, letter: letter, "2")
            assert "10/10" in an_done and "9/10" in binh_done and "7/10" in chi_done

            assert "Đã đóng" in await admin.say(f"/dongcuocthi {code}", "Đã đóng")
            summary = await admin.say(f"/ketquacuocthi {code}", "người dự thi")
            # Closing queues each participant's result; every channel's drain sends it, once.
            assert "10/10 câu, xếp hạng 1/3" in await wait_until(an.texts, "vòng 1 đã kết thúc")
            assert "9/10 câu, xếp hạng 2/3" in await wait_until(binh.texts, "vòng 1 đã kết thúc")
            assert "7/10 câu, xếp hạng 3/3" in await wait_until(chi.texts, "vòng 1 đã kết thúc")
            await asyncio.sleep(2.5)                                           # another drain pass: no resend
        assert oa.rejected == []
        assert [len([t for t in user.texts() if "vòng 1 đã kết thúc" in t]) for user in (an, binh, chi)] == [1, 1, 1]
    assert "3 người dự thi" in summary
    # Units combine every channel: An (Zalo OA) and Binh (Zalo Bot) in truong-a, Chi (Telegram) in truong-b.
    assert "Trường THPT Hòa Bình: 2 · 20.0% · TB 9.5" in summary, summary
    assert "Trường THPT Hòa Hợp: 1 · 5.0% · TB 7.0" in summary, summary


async def take_by_buttons(user: OAUser, prediction: str) -> str:
    """Answer every question right by pressing the OA button of the right option."""
    question = await wait_until(user.texts, "Câu 1/10")
    for no in range(1, 11):
        letter = right_letter(question)
        press = next(p for s in reversed(user.oa.sent) if s.user_id == user.user_id
                     for t, p in s.buttons if t.startswith(letter + "."))
        question = await user.say(press, f"Câu {no + 1}/10" if no < 10 else "dự đoán")
    return await user.say(prediction, "Đã nộp bài")
