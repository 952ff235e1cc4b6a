"""The broadcasts outbox on Zalo, end to end: `python -m bot run` against the fake OA and Bot
Platform, with rows queued in the database as the contest engine queues them (results,
time-up notices, reminders). Each row arrives once, long texts arrive split at 2,000
characters, and a refused send is tried at most BROADCAST_MAX_ATTEMPTS times."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.storage.broadcasts import Outgoing, enqueue_broadcast
from bot.storage.db import Database
from bot.storage.models import Broadcast, BroadcastClaim
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA
from tests.zalo_support import free_port, running_bot, wait_until, zalo_env

pytestmark = pytest.mark.slow

OA_USER = "2468458835296117922"
OA_OTHER = "8765432109876543210"
BOT_USER = "6ede9afa66b88fe6d6a9"
BOT_OTHER = "0a1b2c3d4e5f60718293"
PARAGRAPH = "Vòng thi đã kết thúc; kết quả của bạn được ghi nhận và xếp hạng theo điểm, dự đoán và thời gian. " * 9
LONG = "\n\n".join(f"Phần {i}: {PARAGRAPH.strip()}" for i in (1, 2, 3))     # ≈ 2,800 characters: two parts



async def enqueue(url: str, *messages: Outgoing) -> None:
    db = Database(url)
    try:
        async with db.session() as session:
            await enqueue_broadcast(session, list(messages))
            await session.commit()
    finally:
        await db.close()


async def outbox(url: str) -> dict[str, tuple[Broadcast, BroadcastClaim | None]]:
    """Every row by `ref`, with its claim."""
    db = Database(url)
    try:
        async with db.session() as session:
            rows = await session.execute(select(Broadcast, BroadcastClaim).outerjoin(
                BroadcastClaim, BroadcastClaim.broadcast_id == Broadcast.id))  # type: ignore[arg-type]
            return {b.ref: (b, c) for b, c in rows.all()}
    finally:
        await db.close()


def squeeze(text: str) -> str:
    return "".join(text.split())


async def test_queued_broadcasts_arrive_once_long_ones_split_and_a_restart_sends_nothing_again(
        db_url: str, tmp_path: Path, oa: FakeZaloOA, zb: FakeZaloBot) -> None:
    env = zalo_env(db_url, free_port(), oa=oa, zb=zb)
    async with running_bot(env, tmp_path / "bot.log") as bot:
        await enqueue(db_url,
                      Outgoing("round_result", "oa-short", "zalo_oa", OA_USER, "🏆 Thi thử — vòng 1 đã kết thúc."),
                      Outgoing("time_up", "oa-long", "zalo_oa", OA_OTHER, LONG),
                      Outgoing("reminder", "bot-short", "zalo_bot", BOT_USER, "⏰ Còn 1 giờ: /thi ABC123"),
                      Outgoing("announce", "bot-long", "zalo_bot", BOT_OTHER, LONG),
                      Outgoing("reminder", "telegram", "telegram", "5001", "not for Zalo"))
        await oa.wait_for_sent(OA_USER, 1)
        long_oa = await oa.wait_for_sent(OA_OTHER, 2)
        await zb.wait_for_texts(BOT_USER, 1)
        long_bot = await zb.wait_for_texts(BOT_OTHER, 2)
        await asyncio.sleep(2.5)                                   # another drain pass or two: nothing again
        assert await bot.stop() == 0
    async with running_bot(env, tmp_path / "bot.log") as bot:      # a restart sends nothing again
        await asyncio.sleep(3.0)
    assert oa.texts_to(OA_USER) == ["🏆 Thi thử — vòng 1 đã kết thúc."] and len(oa.texts_to(OA_OTHER)) == 2
    assert zb.texts_to(BOT_USER) == ["⏰ Còn 1 giờ: /thi ABC123"] and len(zb.texts_to(BOT_OTHER)) == 2
    assert oa.rejected == [] and zb.calls_to("sendMessage", 400) == []
    for parts in ([s.text for s in long_oa], long_bot):
        assert all(len(p) <= 2000 for p in parts)
        assert parts[0].startswith("Phần 1:") and parts[1].startswith("Phần 3:")   # cut between paragraphs
        assert squeeze("".join(parts)) == squeeze(LONG)
    rows = await outbox(db_url)
    for ref, parts_count in (("oa-short", 1), ("oa-long", 2), ("bot-short", 1), ("bot-long", 2)):
        row, claim = rows[ref]
        assert row.sent_at is not None and row.attempts == 1, ref
        assert claim is not None and (claim.state, claim.parts_sent) == ("sent", parts_count), ref
    assert rows["telegram"][0].sent_at is None and rows["telegram"][1] is None          # no Telegram channel here
    assert "WARNING bot.channels" not in bot.log() and OA_USER not in bot.log()


async def test_two_processes_on_one_database_send_each_broadcast_once(db_url: str, tmp_path: Path,
                                                                      oa: FakeZaloOA, zb: FakeZaloBot) -> None:
    """Two bot processes drain one outbox at the same time: the claims give each row to one of them."""
    oa_users = [f"77000000000000000{i:02d}" for i in range(25)]
    bot_users = [f"b0b0b0b0b0b0b0b0b0{i:02d}" for i in range(25)]
    async with AsyncExitStack() as stack:
        for name in ("one", "two"):
            await stack.enter_async_context(running_bot(zalo_env(db_url, free_port(), oa=oa, zb=zb),
                                                        tmp_path / f"{name}.log"))
        await enqueue(db_url, *(Outgoing("time_up", f"oa:{u}", "zalo_oa", u, f"⏰ Hết giờ ({u})") for u in oa_users),
                      *(Outgoing("time_up", f"bot:{u}", "zalo_bot", u, f"⏰ Hết giờ ({u})") for u in bot_users))
        for u in oa_users:
            await oa.wait_for_sent(u, 1)
        for u in bot_users:
            await zb.wait_for_texts(u, 1)
        await asyncio.sleep(3.0)
    assert sorted(s.user_id for s in oa.sent) == sorted(oa_users)
    assert sorted(c.params["chat_id"] for c in zb.calls_to("sendMessage", 200)) == sorted(bot_users)
    logs = (tmp_path / "one.log").read_text() + (tmp_path / "two.log").read_text()
    assert logs.count(" sent (time_up") == 50


async def test_a_refused_broadcast_is_tried_at_most_n_times(sqlite_url: str, tmp_path: Path,
                                                            oa: FakeZaloOA, zb: FakeZaloBot) -> None:
    """The OA refuses users outside its messaging window (-230); the Bot Platform refuses a chat
    that blocked the bot (403). Each refusal is recorded; after 3 tries the row is given up and
    never tried again. A user who writes again between tries gets the notice, once."""
    oa.window = 3600.0
    zb.refuse(BOT_OTHER)
    env = zalo_env(sqlite_url, free_port(), oa=oa, zb=zb, BROADCAST_MAX_ATTEMPTS="3", BROADCAST_RETRY_SECONDS="0.2")
    async with running_bot(env, tmp_path / "bot.log") as bot:
        await oa.deliver(bot.url + "/zalo/oa", oa.event(OA_USER, "/start"))     # OA_USER writes: window open
        await oa.wait_for_sent(OA_USER, 1)
        await enqueue(sqlite_url,
                      Outgoing("round_result", "in-window", "zalo_oa", OA_USER, "🏆 Kết quả của bạn"),
                      Outgoing("round_result", "silent", "zalo_oa", OA_OTHER, "🏆 Kết quả của bạn"),
                      Outgoing("round_result", "comes-back", "zalo_oa", "1111111111111111111", "🏆 Kết quả của bạn"),
                      Outgoing("round_result", "blocked", "zalo_bot", BOT_OTHER, "🏆 Kết quả của bạn"))
        await wait_until(lambda: oa.texts_to(OA_USER), "Kết quả")
        while not oa.refused_to("1111111111111111111"):
            await asyncio.sleep(0.05)
        await oa.deliver(bot.url + "/zalo/oa", oa.event("1111111111111111111", "xin chào"))  # writes back
        await wait_until(lambda: oa.texts_to("1111111111111111111"), "Kết quả")
        while len(oa.refused_to(OA_OTHER)) < 3 or len(zb.calls_to("sendMessage", 403)) < 3:
            await asyncio.sleep(0.1)
        await asyncio.sleep(5.0)                                                 # two more passes at least
    assert oa.refused_to(OA_OTHER) == [-230, -230, -230]
    assert len(zb.calls_to("sendMessage", 403)) == 3
    assert oa.refused_to("1111111111111111111") == [-230]
    assert [t for t in oa.texts_to("1111111111111111111") if "Kết quả" in t] == ["🏆 Kết quả của bạn"]
    assert oa.texts_to(OA_USER).count("🏆 Kết quả của bạn") == 1
    rows = await outbox(sqlite_url)
    for ref in ("silent", "blocked"):
        row, claim = rows[ref]
        assert row.sent_at is None and row.attempts == 3 and claim is not None and claim.state == "failed", ref
    row, claim = rows["comes-back"]
    assert row.sent_at is not None and row.attempts == 2 and claim is not None and claim.state == "sent"
    assert bot.log().count("failed (round_result, try 3 of 3") == 2
