"""`python -m bot run` is killed (SIGKILL) in the middle of 50 contest attempts and started again
(issue 9).

Telegram delivers by webhook here, and the bot answers a webhook only after handling the update
and sending its reply; the fake plays Telegram, delivering every update again (same update_id)
until it gets a 200. So an update the dead process was holding comes back, and the event id
claimed in the database keeps one that had committed from counting twice.

Checked: every attempt resumes and ends with its 10 answers, each recorded once; no deadline moves
(the time the bot was down counted against the limit); every answer a student pressed is in the
database. Measured: updates redelivered, replies the kill swallowed (committed, then killed before
the reply went out: the student's next press shows where they are).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select
from sqlmodel import col

from bot.app import build_app
from bot.contests.contests import as_utc, create_contest
from bot.contests.spec import spec_from_mapping
from bot.core.messages import Inbound
from bot.storage.models import Attempt, AttemptAnswer, utcnow
from tests.conftest import TEST_KNOWLEDGE, make_settings
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_harness import ROOT, bot_env, free_port

from .contest_support import TEST_QUIZZES, payloads
from .reliability_support import FULL, record

STUDENTS = 200 if FULL else 50
QUESTIONS = 10
SECRET = "restart-test-secret"
DOWN_SECONDS = 2.0


async def prepare(db_url: str) -> dict[int, int]:
    """A running contest and STUDENTS Telegram users registered with an attempt started: {user: attempt}."""
    app = await build_app(make_settings(db_url, quizzes_dir=TEST_QUIZZES, flood_messages=0))
    now = utcnow()
    spec = spec_from_mapping({"title": "Thi thử khởi động lại", "organiser": "doan", "opens": now - timedelta(minutes=5),
                              "closes": now + timedelta(hours=2), "questions": QUESTIONS, "time_limit": 10,
                              "attempts": 1, "prediction": "off", "fields": ["name"]})
    async with app.db.session() as session:
        contest = await create_contest(session, spec, created_by="console:admin", now=now)
        await session.commit()
    attempts = {}
    for i in range(STUDENTS):
        uid = 700_000 + i

        async def say(text: str = "", payload: str | None = None, uid: int = uid) -> list:
            return await app.dialogue.handle(Inbound("telegram", str(uid), str(uid), text=text, payload=payload))

        consent = next(p for p in payloads(await say(f"/thi {contest.code}")) if p.endswith(":y"))
        await say(payload=consent)
        await say("hoa binh")
        await say(payload="ru:truong-a")
        start = next(p for p in payloads(await say("Nguyễn Văn An")) if p.startswith("rs:"))
        started = await say(payload=start)
        attempts[uid] = int(next(p for p in payloads(started) if p.startswith("a:")).split(":")[1])
    await app.close()
    return attempts


class Telegram:
    """Plays Telegram's webhook side: each update is POSTed until the bot answers 200."""

    def __init__(self, api: FakeTelegramAPI, hook: str) -> None:
        self.api, self.hook = api, hook
        self.posts = 0
        self.redelivered = 0

    async def deliver(self, update: dict, http: aiohttp.ClientSession) -> None:
        pause = 0.1
        tries = 0
        while True:
            tries += 1
            self.posts += 1
            try:
                async with http.post(self.hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                                     timeout=aiohttp.ClientTimeout(total=30)) as response:
                    await response.read()
                    if response.status == 200:
                        self.redelivered += tries > 1
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(pause)
            pause = min(1.0, pause * 2)


def press(api: FakeTelegramAPI, uid: int, data: str) -> dict:
    message = {"message_id": 1, "date": int(time.time()), "chat": {"id": uid, "type": "private", "first_name": "An"}}
    return {"update_id": next(api._update_ids), "callback_query": {
        "id": f"cq{uid}-{time.monotonic_ns()}", "from": api.user(uid), "chat_instance": f"ci{uid}", "data": data,
        "message": message}}


async def start_bot(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log_file:
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=str(ROOT),
                                                    stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file)


async def test_sigkill_in_the_middle_of_50_attempts(db_url: str, tmp_path: Path) -> None:
    attempts = await prepare(db_url)
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    log_path = tmp_path / "bot.log"
    async with FakeTelegramAPI() as api, aiohttp.ClientSession() as http:
        env = bot_env(api, db_url, KNOWLEDGE_DIR=str(TEST_KNOWLEDGE), QUIZZES_DIR=str(TEST_QUIZZES),
                      TELEGRAM_WEBHOOK_URL=hook, TELEGRAM_WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN=f"127.0.0.1:{port}")
        process = await start_bot(env, log_path)
        await api.wait_for("setWebhook", 1, timeout=60)
        telegram = Telegram(api, hook)
        acknowledged = 0
        half = STUDENTS * QUESTIONS // 2
        killed = asyncio.Event()
        killed_wall = utcnow()

        async def student(uid: int) -> None:
            nonlocal acknowledged
            for no in range(QUESTIONS):
                await telegram.deliver(press(api, uid, f"a:{attempts[uid]}:{no}:{no % 4}"), http)
                acknowledged += 1
                await asyncio.sleep(0.01)

        async def kill_and_restart() -> tuple[float, float]:
            nonlocal process, killed_wall
            while acknowledged < half:
                await asyncio.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            killed_at = time.monotonic()
            killed_wall = utcnow()
            killed.set()
            await asyncio.sleep(DOWN_SECONDS)
            process = await start_bot(env, log_path)
            await api.wait_for("setWebhook", 2, timeout=60)
            return killed_at, time.monotonic()

        started = time.monotonic()
        window, *_ = await asyncio.wait_for(
            asyncio.gather(kill_and_restart(), *(student(uid) for uid in attempts)), timeout=240)
        elapsed = time.monotonic() - started
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        sent_to = {c.params.get("chat_id") for c in api.calls if c.method in ("sendMessage", "editMessageText")}

    assert window is not None
    down_ms = (window[1] - window[0]) * 1000
    app = await build_app(make_settings(db_url, quizzes_dir=TEST_QUIZZES))
    async with app.db.session() as session:
        rows = {a.id: a for a in (await session.execute(select(Attempt).where(Attempt.mode == "contest"))).scalars()}  # type: ignore[arg-type]
        answers: dict[int, int] = dict((await session.execute(
            select(col(AttemptAnswer.attempt_id), func.count()).group_by(col(AttemptAnswer.attempt_id)))).all())
        pressed: dict[int, int] = dict((await session.execute(
            select(col(AttemptAnswer.attempt_id), func.sum(col(AttemptAnswer.option)))
            .group_by(col(AttemptAnswer.attempt_id)))).all())
    await app.close()

    assert killed.is_set() and "Traceback" not in log_path.read_text(errors="replace")
    resumed = [a for a in rows.values() if a.status == "finished" and a.current_no == QUESTIONS]
    assert len(resumed) == STUDENTS, [(a.id, a.status, a.current_no) for a in rows.values() if a not in resumed]
    assert answers == {aid: QUESTIONS for aid in attempts.values()}, "an answer was lost or recorded twice"
    # Each student pressed option no % 4 on question no: exactly those answers are stored.
    assert set(pressed.values()) == {sum(no % 4 for no in range(QUESTIONS))}
    for attempt in rows.values():
        assert attempt.deadline is not None
        assert attempt.deadline == attempt.started + timedelta(minutes=10), "a deadline moved"
    # A student can finish before the kill (the others are slower): only attempts that were open
    # across the outage carry it. With half the answers in at the kill, at most half the students
    # had finished, so most attempts straddle it.
    straddled = [a for a in rows.values() if a.finished is not None and as_utc(a.finished) > killed_wall]
    assert len(straddled) >= STUDENTS // 4, (len(straddled), killed_wall)
    for attempt in straddled:
        assert attempt.duration_ms is not None and attempt.duration_ms >= down_ms - 50, \
            "the time the bot was down must count against the limit"
    assert all(uid in sent_to for uid in attempts)
    database = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    record(f"sigkill_restart_{database}", attempts=STUDENTS, resumed=len(resumed), answers=sum(answers.values()),
           answers_lost=0, duplicates=0, updates_redelivered=telegram.redelivered, posts=telegram.posts,
           down_s=round(down_ms / 1000, 1), deadlines_moved=0, seconds=round(elapsed, 1))

