"""`python -m bot run` end to end against the fake Zalo OA and Bot Platform servers.

The bot runs as a subprocess with the ZALO_* variables pointing at the fakes; the tests play
Zalo (signed webhook events, queued updates) and read what the fakes received. Nothing of ours
is mocked.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import ProcessedEvent, User, ZaloOAToken
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA
from tests.zalo_support import TEST_KNOWLEDGE, free_port, right_letter, running_bot, wait_until, zalo_env

pytestmark = pytest.mark.slow

OA_USER = "2468458835296117922"
BOT_USER = "6ede9afa66b88fe6d6a9"
QUESTION = "tuyen ngon nhan quyen thong qua nam nao"
SECRET = "zalo-bot-webhook-secret"



async def scalar(url: str, query: object) -> object:
    db = Database(url)
    try:
        async with db.session() as session:
            return (await session.execute(query)).scalar_one()  # type: ignore[call-overload]
    finally:
        await db.close()


def assert_log_is_clean(log: str, *secrets: str) -> None:
    """Nothing secret, and no user text, in the bot's log; no error from the Zalo channels."""
    for secret in secrets:
        assert secret not in log
    assert QUESTION not in log
    assert "ERROR bot.channels.zalo" not in log and "WARNING bot.channels.zalo" not in log


async def test_qa_conversation_on_oa_and_bot_platform(db_url: str, tmp_path: Path, oa: FakeZaloOA,
                                                      zb: FakeZaloBot) -> None:
    """Both Zalo channels in one process (SQLite and PostgreSQL): answers, buttons, numbered lists."""
    env = zalo_env(db_url, free_port(), oa=oa, zb=zb)
    async with running_bot(env, tmp_path / "bot.log") as bot:
        hook = bot.url + "/zalo/oa"
        assert await oa.deliver(hook, oa.event(OA_USER, "/start")) == 200
        [welcome] = await oa.wait_for_sent(OA_USER, 1)
        assert welcome.text.startswith("Xin chào!") and len(welcome.buttons) == 5
        await oa.deliver(hook, oa.event(OA_USER, QUESTION))
        answer = (await oa.wait_for_sent(OA_USER, 2))[1]
        assert "10/12/1948" in answer.text and "📖 Nguồn:" in answer.text
        thumbs_up = next(payload for title, payload in answer.buttons if title == "👍")
        await oa.deliver(hook, oa.event(OA_USER, thumbs_up))                   # pressing 👍
        assert (await oa.wait_for_sent(OA_USER, 3))[2].text.startswith("Cảm ơn")

        zb.push(zb.update(BOT_USER, QUESTION))
        [text] = await zb.wait_for_texts(BOT_USER, 1)
        assert "10/12/1948" in text and "\n1. Ngày Quốc tế Nhân quyền là ngày nào?" in text
        zb.push(zb.update(BOT_USER, "1"))
        assert "Ngày Quốc tế Nhân quyền là 10/12" in (await zb.wait_for_texts(BOT_USER, 2))[1]
        assert await bot.stop() == 0
    assert_log_is_clean(bot.log(), "access-0", "refresh-0", oa.secret_key, oa.app_secret, zb.token, OA_USER)
    assert await scalar(db_url, select(func.count()).select_from(User)) == 2


async def test_bad_signature_or_secret_gets_403_and_has_no_effect(sqlite_url: str, tmp_path: Path,
                                                                  oa: FakeZaloOA, zb: FakeZaloBot) -> None:
    env = zalo_env(sqlite_url, free_port(), oa=oa, zb=zb, ZALO_BOT_WEBHOOK_SECRET=SECRET)
    async with running_bot(env, tmp_path / "bot.log") as bot:
        event = oa.event(OA_USER, QUESTION)
        assert await oa.deliver(bot.url + "/zalo/oa", event, signature="mac=" + "f" * 64) == 403
        assert await oa.deliver(bot.url + "/zalo/oa", event, sign=False) == 403
        update = zb.update(BOT_USER, QUESTION)
        assert await zb.post_webhook(update, secret="not-the-secret", url=bot.url + "/zalo/bot") == 403
        assert await zb.post_webhook(update, secret=None, url=bot.url + "/zalo/bot") == 403
        await asyncio.sleep(1.0)
        assert await bot.stop() == 0
    assert oa.sent == [] and zb.calls_to("sendMessage") == []
    assert zb.calls_to("getUpdates") == []                       # webhook mode: no polling
    assert await scalar(sqlite_url, select(func.count()).select_from(User)) == 0
    assert await scalar(sqlite_url, select(func.count()).select_from(ProcessedEvent)) == 0


async def test_duplicated_events_have_one_effect(sqlite_url: str, tmp_path: Path, oa: FakeZaloOA,
                                                 zb: FakeZaloBot) -> None:
    """Zalo's webhook retries and the Bot Platform's returning updates are answered once."""
    async with running_bot(zalo_env(sqlite_url, free_port(), oa=oa, zb=zb), tmp_path / "bot.log") as bot:
        event = oa.event(OA_USER, QUESTION, msg_id="9f8e7d6c5b4a")
        statuses = await asyncio.gather(*(oa.deliver(bot.url + "/zalo/oa", event) for _ in range(4)))
        assert statuses == [200] * 4
        zb.push(zb.update(BOT_USER, QUESTION, message_id="2d758cb5e222177a4e35"), times=3)
        await oa.wait_for_sent(OA_USER, 1)
        await zb.wait_for_texts(BOT_USER, 1)
        while len(zb.calls_to("getUpdates", 200)) < 3:                # let every copy be taken
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
    assert len(oa.sent) == 1 and len(zb.texts_to(BOT_USER)) == 1
    assert await scalar(sqlite_url, select(func.count()).select_from(ProcessedEvent)) == 2


async def test_expired_token_is_refreshed_persisted_and_used_after_a_restart(db_url: str, tmp_path: Path,
                                                                             oa: FakeZaloOA) -> None:
    """-216 mid-conversation: one refresh, one retry; the new single-use refresh token survives a restart."""
    env = zalo_env(db_url, free_port(), oa=oa)
    async with running_bot(env, tmp_path / "bot.log") as bot:
        await oa.deliver(bot.url + "/zalo/oa", oa.event(OA_USER, "/start"))
        await oa.wait_for_sent(OA_USER, 1)
        oa.expire_access_token()                                            # ~25 hours later
        await oa.deliver(bot.url + "/zalo/oa", oa.event(OA_USER, QUESTION))
        answer = (await oa.wait_for_sent(OA_USER, 2))[1]
        assert "10/12/1948" in answer.text and answer.token == "access-1"
    assert [r["refresh_token"] for r in oa.refreshes] == ["refresh-0"]
    row = await scalar(db_url, select(ZaloOAToken))
    assert isinstance(row, ZaloOAToken) and (row.access_token, row.refresh_token) == ("access-1", "refresh-1")

    oa.expire_access_token()
    async with running_bot(env, tmp_path / "bot.log") as bot:       # same env: access-0 / refresh-0
        await oa.deliver(bot.url + "/zalo/oa", oa.event(OA_USER, "/help"))
        assert (await oa.wait_for_sent(OA_USER, 3))[2].token == "access-2"
    assert [r["refresh_token"] for r in oa.refreshes] == ["refresh-0", "refresh-1"]   # never the used one
    assert oa.used_refresh == {"refresh-0", "refresh-1"}
    assert_log_is_clean(bot.log(), "access-0", "access-1", "access-2", "refresh-1", "refresh-2", oa.app_secret)


LONG_ENTRY = """\
topic:
  id: long
  vi: Thủ tục
entries:
  - id: complaint-steps
    questions:
      - Quy trình khiếu nại quyết định hành chính gồm những bước nào?
      - quy trinh khieu nai quyet dinh hanh chinh
    answer: |
{paragraphs}
    source: Luật Khiếu nại 2011
"""


def long_knowledge(tmp_path: Path) -> Path:
    """The test knowledge plus one entry whose answer is about 2,500 characters in 3 paragraphs."""
    folder = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, folder)
    paragraph = "Người khiếu nại gửi đơn đến người đã ra quyết định hành chính trong thời hạn luật định. " * 9
    paragraphs = "\n\n".join(f"      Bước {i}: {paragraph.strip()}" for i in (1, 2, 3))
    (folder / "long.yaml").write_text(LONG_ENTRY.format(paragraphs=paragraphs), encoding="utf-8")
    return folder


async def test_a_2500_character_answer_arrives_as_two_messages(sqlite_url: str, tmp_path: Path,
                                                               oa: FakeZaloOA, zb: FakeZaloBot) -> None:
    env = zalo_env(sqlite_url, free_port(), oa=oa, zb=zb, knowledge=long_knowledge(tmp_path))
    async with running_bot(env, tmp_path / "bot.log") as bot:
        await oa.deliver(bot.url + "/zalo/oa", oa.event(OA_USER, "quy trinh khieu nai quyet dinh hanh chinh"))
        zb.push(zb.update(BOT_USER, "quy trinh khieu nai quyet dinh hanh chinh"))
        first, second = await oa.wait_for_sent(OA_USER, 2)
        texts = await zb.wait_for_texts(BOT_USER, 2)
        await asyncio.sleep(0.5)
    assert len(oa.sent) == 2 and oa.rejected == []
    assert 2400 < len(first.text) + len(second.text) < 2700
    assert first.text.startswith("Bước 1:") and second.text.startswith("Bước 3:")   # cut between paragraphs
    assert first.buttons == [] and second.buttons                                    # buttons on the last part
    assert "📖 Nguồn: Luật Khiếu nại 2011" in second.text
    assert len(texts) == 2 and all(len(t) <= 2000 for t in texts)


async def test_idle_408_polls_go_on_quietly_about_once_a_second(sqlite_url: str, tmp_path: Path,
                                                                 oa: FakeZaloOA, zb: FakeZaloBot) -> None:
    zb.idle_wait = 0.1                                 # idle polls come back fast: the bot must pace itself
    async with running_bot(zalo_env(sqlite_url, free_port(), oa=oa, zb=zb), tmp_path / "bot.log") as bot:
        await asyncio.sleep(4.0)
        zb.push(zb.update(BOT_USER, "/start"))
        [welcome] = await zb.wait_for_texts(BOT_USER, 1)
    polls = zb.calls_to("getUpdates")
    idle = zb.calls_to("getUpdates", 408)
    assert welcome.startswith("Xin chào!")
    assert 3 <= len(idle) <= 6
    gaps = [b.at - a.at for a, b in zip(polls, polls[1:], strict=False)]
    assert min(gaps) >= 0.9
    assert "getUpdates" not in bot.log() and "WARNING bot.channels.zalo" not in bot.log()


async def test_practice_quiz_by_oa_buttons_and_typed_letters(sqlite_url: str, tmp_path: Path,
                                                             oa: FakeZaloOA, zb: FakeZaloBot) -> None:
    """OA: half the answers by button payload, half typed ("A", "b", "câu C"); Bot Platform: all typed."""
    async with running_bot(zalo_env(sqlite_url, free_port(), oa=oa, zb=zb), tmp_path / "bot.log") as bot:
        hook = bot.url + "/zalo/oa"
        await oa.deliver(hook, oa.event(OA_USER, "/luyentap"))
        [menu] = await oa.wait_for_sent(OA_USER, 1)
        assert ("Tổng hợp", "pm:all") in menu.buttons
        await oa.deliver(hook, oa.event(OA_USER, "pm:all"))
        zb.push(zb.update(BOT_USER, "/luyentap"))
        assert "\n1. Tổng hợp" in await wait_until(lambda: zb.texts_to(BOT_USER), "Chọn chủ đề")
        zb.push(zb.update(BOT_USER, "1"))
        for no in range(1, 11):
            question = [s for s in oa.sent if s.text.startswith(f"Câu {no}/10")] or await _next_question(oa, no)
            letter = right_letter(question[0].text)
            assert [t[:2] for t, _ in question[0].buttons] == ["A.", "B.", "C.", "D."]
            if no <= 5:
                press = next(p for t, p in question[0].buttons if t.startswith(letter))
                await oa.deliver(hook, oa.event(OA_USER, press))
            else:
                option_text = next(line[3:] for line in question[0].text.splitlines() if line.startswith(letter + ". "))
                typed_forms = {6: letter, 7: letter.lower(), 8: f"câu {letter}", 9: f"cau {letter.lower()}",
                               10: option_text}
                await oa.deliver(hook, oa.event(OA_USER, typed_forms[no]))
            typed = right_letter(await wait_until(lambda: zb.texts_to(BOT_USER), f"Câu {no}/10"))
            zb.push(zb.update(BOT_USER, typed if no % 2 else f"câu {typed.lower()}"))
        assert "10/10" in await wait_until(lambda: oa.texts_to(OA_USER), "🎯")
        assert "10/10" in await wait_until(lambda: zb.texts_to(BOT_USER), "🎯")
    assert oa.rejected == []
    question_texts = [t for t in zb.texts_to(BOT_USER) if t.startswith("Câu ")]
    assert all(t.count("\nA. ") == 1 for t in question_texts)              # options listed once


async def _next_question(oa: FakeZaloOA, no: int) -> list:
    await wait_until(lambda: oa.texts_to(OA_USER), f"Câu {no}/10")
    return [s for s in oa.sent if s.text.startswith(f"Câu {no}/10")]


async def test_sigterm_right_after_a_webhook_still_delivers_its_reply(sqlite_url: str, tmp_path: Path,
                                                                      oa: FakeZaloOA) -> None:
    """The webhook answered 200 before the work was done; a shutdown finishes that work first."""
    async with running_bot(zalo_env(sqlite_url, free_port(), oa=oa), tmp_path / "bot.log") as bot:
        for i in range(5):
            assert await oa.deliver(bot.url + "/zalo/oa", oa.event(f"77{i}", QUESTION)) == 200
        assert await bot.stop() == 0
    assert sorted(s.user_id for s in oa.sent) == [f"77{i}" for i in range(5)]
    assert all("10/12/1948" in s.text for s in oa.sent)
