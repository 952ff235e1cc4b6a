"""Several `rightsbot run` processes in webhook mode on one database, and simulated students.

Used by tests/test_scale_processes.py and bench/peak_load.py. This side plays Telegram and the
load balancer: it POSTs each update to one of the bot processes' webhooks (round robin over
updates, so one student's consecutive updates land on different processes), and the Bot API fake
records the replies. A webhook answers after the update has been handled and its replies sent,
so a student reads its replies as soon as its POST returns.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from tests.bot_process import wait_healthy
from tests.fakes.telegram_api import BOT_ID, BOT_USERNAME, Call, FakeTelegramAPI
from tests.telegram_harness import bot_env, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "scale-secret"
REPLIES = ("sendMessage", "editMessageText")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
Json = dict[str, Any]


class RecordingAPI(FakeTelegramAPI):
    """The Bot API fake with the replies indexed by chat (a student reads only its own)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_chat: dict[int, list[Call]] = defaultdict(list)
        self.on_reply: Callable[[int, Call], None] | None = None

    async def _record(self, call: Call) -> None:
        if call.method in REPLIES:
            chat = int(call.params.get("chat_id", 0))
            self.by_chat[chat].append(call)
            if self.on_reply is not None:
                self.on_reply(chat, call)
        await super()._record(call)


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def webhook_env(api: FakeTelegramAPI, database_url: str, port: int, **extra: str) -> dict[str, str]:
    return bot_env(api, database_url, TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
                   TELEGRAM_WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN=f"127.0.0.1:{port}", **extra)


@asynccontextmanager
async def bot_processes(api: FakeTelegramAPI, database_url: str, count: int, log_dir: Path,
                        timeout: float = 90.0, **extra: str) -> AsyncIterator[list[BotProcess]]:
    """`count` processes of `python -m bot run`, started together, each healthy on its own port."""
    bots: list[BotProcess] = []
    try:
        for n in range(count):
            port = free_port()
            log_path = log_dir / f"bot{n}.log"
            with log_path.open("wb") as log_file:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "run", env=webhook_env(api, database_url, port, **extra), cwd=str(ROOT),
                    stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file)
            bots.append(BotProcess(process, f"http://127.0.0.1:{port}", log_path))
        await asyncio.gather(*(wait_healthy(bot.process, bot.url, bot.log, timeout) for bot in bots))
        yield bots
    finally:
        for bot in bots:
            if bot.process.returncode is None:
                bot.process.send_signal(signal.SIGTERM)
        for bot in bots:
            try:
                await asyncio.wait_for(bot.process.wait(), 40)
            except TimeoutError:
                bot.process.kill()
                await bot.process.wait()


class Balancer:
    """Plays the load balancer in front of the webhooks: round robin over updates."""

    def __init__(self, urls: list[str], connections: int = 100) -> None:
        self.urls = [u + "/telegram" for u in urls]
        self._next = itertools.count()
        self._ids = itertools.count(1)
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections))
        self.posted = 0
        self.duplicates = 0

    async def close(self) -> None:
        await self.http.close()

    def update_id(self) -> int:
        return next(self._ids)

    async def deliver(self, update: Json, duplicate: bool = False) -> None:
        """POST to the next process; with `duplicate`, the same update also goes to another one at
        the same moment (Telegram redelivering while the first delivery is still in progress)."""
        n = next(self._next)
        targets = [self.urls[n % len(self.urls)]]
        if duplicate:
            targets.append(self.urls[(n + 1) % len(self.urls)])
            self.duplicates += 1
        statuses = await asyncio.gather(*(self._post(url, update) for url in targets))
        self.posted += 1
        assert all(s == 200 for s in statuses), statuses

    async def _post(self, url: str, update: Json) -> int:
        body = json.dumps(update)
        for attempt in range(5):
            try:
                async with self.http.post(url, data=body, headers={"Content-Type": "application/json",
                                                                   "X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                    await response.read()
                    if response.status < 500 or attempt == 4:
                        return response.status
            except aiohttp.ClientError:
                if attempt == 4:
                    raise
            await asyncio.sleep(0.5 * (attempt + 1))         # as Telegram retries a failed delivery
        return 0


def message_update(update_id: int, chat: int, text: str) -> Json:
    user = {"id": chat, "is_bot": False, "first_name": "S", "language_code": "vi"}
    message: Json = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat, "type": "private",
                                                                                 "first_name": "S"},
                     "from": user, "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def press_update(update_id: int, chat: int, data: str, message_id: int = 1) -> Json:
    user = {"id": chat, "is_bot": False, "first_name": "S", "language_code": "vi"}
    message = {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
               "from": {"id": BOT_ID, "is_bot": True, "first_name": "B", "username": BOT_USERNAME}, "text": "?"}
    return {"update_id": update_id, "callback_query": {"id": f"q{update_id}", "from": user, "chat_instance": "c",
                                                       "data": data, "message": message}}


def shown_message(call: Call) -> int:
    """The id of the message a reply showed: a button press carries it, as Telegram's clients do."""
    if call.method == "editMessageText":
        return int(call.params["message_id"])
    result = call.result
    return int(result["message_id"]) if isinstance(result, dict) and "message_id" in result else 1


def payloads(call: Call) -> list[str]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b["callback_data"]) for row in rows for b in row if b.get("callback_data")]


def choose_option(student: int, no: int, question: str, right_percent: int) -> int:
    """The option a student presses, the same in every run: right `right_percent` % of the time when
    the question shows its right answer (the test bank), else a fixed pseudo-random letter."""
    if "Đáp án đúng" not in question:
        return (student * 7 + no * 13) % 4
    right = right_option(question)
    return right if (student * 7 + no * 13) % 10 < right_percent // 10 else (right + 1) % 4


def right_option(question: str) -> int:
    """The index of the right option in a test-bank question (its text says "Đáp án đúng")."""
    letters = [line[0] for line in question.splitlines() if line[1:3] == ". "]
    right = next(line[0] for line in question.splitlines() if line[1:3] == ". " and "Đáp án đúng" in line)
    return letters.index(right)


# --- a contest, and a student taking it ----------------------------------------------------------------

def contest_file(path: Path, questions: int, title: str = "Thi tải cao") -> Path:
    now = datetime.now(VN)
    path.write_text(f"title: {title}\norganiser: doan\nopens: {now - timedelta(hours=1):%Y-%m-%d %H:%M}\n"
                    f"closes: {now + timedelta(days=1):%Y-%m-%d %H:%M}\nquestions: {questions}\ntime_limit: 120\n"
                    "fields: [name]\nprediction: participants\n", encoding="utf-8")
    return path


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=str(ROOT), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def create_contest(env: dict[str, str], path: Path) -> str:
    out = cli(env, "contest", "create", "--file", str(path))
    match = re.search(r"created ([A-Z0-9]+) ", out)
    assert match, out
    return match.group(1)


@dataclass
class Student:
    """One simulated student on Telegram: registers, answers every question, predicts."""

    number: int
    chat: int
    api: RecordingAPI
    balancer: Balancer
    duplicate_every: int = 0            # every n-th update is also delivered to a second process
    right_percent: int = 70
    unit_search: str = "hoa binh"
    unit_id: str = "truong-a"
    think: Callable[[], float] = lambda: 0.0
    sent_answers: list[tuple[int, int]] = field(default_factory=list)   # (question number, option) pressed
    expected_score: int = 0
    latencies: list[float] = field(default_factory=list)
    answer_latencies: list[float] = field(default_factory=list)
    _sent: int = 0

    async def _deliver(self, update: Json, marker: str) -> str:
        seen = len(self.api.by_chat[self.chat])
        self._sent += 1
        duplicate = bool(self.duplicate_every) and self._sent % self.duplicate_every == 0
        start = time.perf_counter()
        await self.balancer.deliver(update, duplicate=duplicate)
        new = self.api.by_chat[self.chat][seen:]
        texts = [str(c.params.get("text", "")) for c in new]
        found = next((t for t in texts if marker in t), None)
        if found is None:
            raise AssertionError(f"student {self.number}: no reply with {marker!r} after {update}: {texts}")
        self.latencies.append(new[-1].at - start if new else 0.0)
        return found

    async def say(self, text: str, marker: str) -> str:
        return await self._deliver(message_update(self.balancer.update_id(), self.chat, text), marker)

    async def press(self, button: tuple[str, int], marker: str) -> str:
        data, message_id = button
        return await self._deliver(press_update(self.balancer.update_id(), self.chat, data, message_id), marker)

    def button(self, prefix: str, suffix: str = "") -> tuple[str, int]:
        """The latest button whose data has this prefix and suffix, with the message carrying it."""
        for call in reversed(self.api.by_chat[self.chat]):
            for payload in payloads(call):
                if payload.startswith(prefix) and payload.endswith(suffix):
                    return payload, shown_message(call)
        raise AssertionError(f"student {self.number}: no button {prefix}…{suffix}")

    async def take(self, code: str, questions: int) -> None:
        await self.say(f"/thi {code}", "đồng ý")
        await self.press(self.button("rc:", ":y"), "đơn vị nào")
        await self.say(self.unit_search, "Chọn đơn vị")
        await self.press(self.button(f"ru:{self.unit_id}"), "Họ và tên")
        await self.say(f"Học sinh {letters(self.number)}", "Đăng ký xong")
        question = await self.press(self.button("rs:"), f"Câu 1/{questions}")
        for no in range(questions):
            await asyncio.sleep(self.think())
            option = choose_option(self.number, no, question, self.right_percent)
            self.expected_score += option == right_option(question) if "Đáp án đúng" in question else 0
            self.sent_answers.append((no, option))
            shown = self.api.by_chat[self.chat][-1]
            press = next(p for p in payloads(shown) if p.startswith("a:") and p.endswith(f":{option}")), shown_message(shown)
            marker = f"Câu {no + 2}/{questions}" if no + 1 < questions else "dự đoán"
            start = time.perf_counter()
            question = await self.press(press, marker)
            self.answer_latencies.append(time.perf_counter() - start)
        await self.say(str(1000 + self.number), "Đã nộp bài")


def letters(number: int) -> str:
    """A name part without digits (names may not have any): 0 → "A", 27 → "BB"."""
    out = ""
    while True:
        number, digit = divmod(number, 26)
        out = chr(ord("A") + digit) + out
        if not number:
            return out.capitalize()


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def env_for_cli(database_url: str, quizzes: Path, knowledge: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(DATABASE_URL=database_url, QUIZZES_DIR=str(quizzes), KNOWLEDGE_DIR=str(knowledge), LOG_LEVEL="WARNING")
    return env
