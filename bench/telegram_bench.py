"""Telegram benchmark: updates pushed through the fake Bot API to a running bot process.

In one run it measures a trivial python-telegram-bot echo bot (the library's ceiling here),
rightsbot answering Q&A, and rightsbot taking contest answers from simulated students, each
in polling and webhook mode, on SQLite and (when TEST_DATABASE_URL or --pg is given) PostgreSQL.
For each: saturated updates/s (a burst, or students answering as fast as replies come), and
p50/p99 from update to reply at a steady offered rate (default 300 updates/s; for contests,
each student's first press, the process's first sight of an attempt it did not start, is
reported apart, and the rate and latencies are those of the window in which every student is
answering). Contest runs also count lost and double-counted answers in the database, and every
run reports the bot process's CPU per update.

This machine's speed drifts by ±20 % within a minute, so a contest run keeps an echo bot
running beside rightsbot and takes the students' answers in `--blocks` blocks, each right
after an echo burst of the same size (the other bot idle meanwhile): its ratio is the median
of the blocks' ratios. Each block is also paired with a burst of button presses on the echo bot
(the "button echo": it answers the press and edits the message to the same text and keyboard,
two requests with no work between them), the library's ceiling for the kind of update a contest
answer is. `--repeat N` makes N such runs and pools their blocks. A pressed
button's update carries the message as last shown (text and keyboard), as Telegram's does.
Prints figures; asserts nothing.

    python bench/telegram_bench.py [--quick] [--rate 300] [--pg URL] [--transports aiohttp,httpx]
                                   [--kinds qa,contest] [--backends sqlite,postgresql] [--modes polling,webhook]
                                   [--blocks 4] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import drop_pg, fresh_pg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import col  # noqa: E402

from bot import event_loop  # noqa: E402
from bot.contests.attempts import load_attempt, start_contest_attempt  # noqa: E402
from bot.contests.contests import create_contest  # noqa: E402
from bot.contests.registration import Declared, register  # noqa: E402
from bot.contests.spec import ContestSpec  # noqa: E402
from bot.quiz.bank import load_bank  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.models import Attempt, AttemptAnswer, utcnow  # noqa: E402
from bot.storage.telegram import remember_keyed_message  # noqa: E402
from bot.storage.users import get_or_create_user  # noqa: E402
from tests.fakes.telegram_api import BOT_ID, BOT_USERNAME, Call, FakeTelegramAPI  # noqa: E402
from tests.scale_support import percentile  # noqa: E402
from tests.telegram_harness import bot_env, free_port, running_bot  # noqa: E402

QUESTIONS = ["tuoi ung cu", "quyen tre em la gi", "ngay nhan quyen the gioi", "cong uoc quyen tre em",
             "When was the Universal Declaration of Human Rights adopted?", "tuoi bau cu"]
REPLIES = ("sendMessage", "editMessageText")
UpdateMaker = Callable[[int], dict[str, Any]]   # a chat id -> the update to push into that chat
QUESTION_MESSAGE = 2   # the id of the message that shows each student's question (as if the bot had sent it)


class BenchAPI(FakeTelegramAPI):
    """The fake, plus a future per chat that the bot's next reply to that chat resolves."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, asyncio.Future[float]] = {}
        # chat -> the message its last reply showed, as the Bot API returned it: a press carries it
        self.shown: dict[int, dict[str, Any]] = {}

    async def _record(self, call: Call) -> None:
        if call.method in REPLIES:
            chat = int(call.params.get("chat_id", 0))
            if isinstance(call.result, dict):
                self.shown[chat] = call.result
            future = self.waiting.pop(chat, None)
            if future is not None and not future.done():
                future.set_result(call.at)
        await super()._record(call)

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future


@dataclass
class Result:
    name: str
    per_second: float = 0.0
    latencies: list[float] = field(default_factory=list)
    offered: float = 0.0
    lost: int | None = None
    doubled: int | None = None
    cpu_us: float = float("nan")   # the bot process's CPU per update in the saturated phase
    first_p99: float | None = None  # contest runs: p99 of each student's first press (not in p50/p99)
    blocks: list[Block] = field(default_factory=list)   # contest runs: each block paired with echo bursts
    note: str = ""

    def line(self) -> str:
        p50, p99 = percentile(self.latencies, 50) * 1000, percentile(self.latencies, 99) * 1000
        extra = f"  lost {self.lost} double {self.doubled}" if self.lost is not None else ""
        if self.first_p99 is not None:
            extra = f"  (first presses p99 {self.first_p99 * 1000:.0f} ms)" + extra
        return (f"{self.name:<44} {self.per_second:7.0f} upd/s  CPU {self.cpu_us:5.0f} µs/upd   "
                f"at {self.offered:4.0f}/s: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms{extra}{self.note}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def message_update(chat_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "S", "language_code": "vi"}
    return {"message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                        "from": user, "text": text}}


def echo_update(chat_id: int) -> dict[str, Any]:
    """What the echo bot is sent."""
    return message_update(chat_id, "xin chào")


def press_update(chat_id: int, data: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
    """A callback query as Telegram sends it, carrying the pressed message (text and keyboard);
    without one, a bare message QUESTION_MESSAGE (the seeded first question)."""
    user = {"id": chat_id, "is_bot": False, "first_name": "S", "language_code": "vi"}
    message = message or {"message_id": QUESTION_MESSAGE, "date": int(time.time()), "text": "?",
                          "chat": {"id": chat_id, "type": "private"},
                          "from": {"id": BOT_ID, "is_bot": True, "first_name": "B", "username": BOT_USERNAME}}
    return {"callback_query": {"id": f"q{chat_id}{time.perf_counter_ns()}", "from": user, "chat_instance": "c",
                               "data": data, "message": message}}


class Pusher:
    """Delivers updates like Telegram: into getUpdates, or POSTed with up to 40 connections."""

    def __init__(self, api: BenchAPI) -> None:
        self.api = api
        self.slots = asyncio.Semaphore(40)
        self.tasks: set[asyncio.Task[None]] = set()

    def push(self, update: dict[str, Any]) -> None:
        task = asyncio.create_task(self._push(update))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _push(self, update: dict[str, Any]) -> None:
        async with self.slots:
            await self.api.push(update)


async def timed(api: BenchAPI, pusher: Pusher, chat_id: int, update: dict[str, Any]) -> float:
    """Seconds from pushing the update to the bot's reply in that chat."""
    future = api.expect(chat_id)
    start = time.perf_counter()
    pusher.push(update)
    return await asyncio.wait_for(future, 120) - start


async def burst(api: BenchAPI, make: UpdateMaker, chats: Iterator[int], size: int, pid: int) -> tuple[float, float]:
    """`size` updates at once (distinct chats): (updates/s, the bot's CPU µs per update)."""
    pusher = Pusher(api)
    start, cpu = time.perf_counter(), cpu_seconds(pid)
    await asyncio.gather(*(timed(api, pusher, c, make(c)) for c in [next(chats) for _ in range(size)]))
    return size / (time.perf_counter() - start), (cpu_seconds(pid) - cpu) / size * 1e6


async def burst_and_rate(api: BenchAPI, make: UpdateMaker, burst_size: int, rate: float, seconds: float, first_chat: int,
                         pid: int) -> Result:
    """Saturation: `burst_size` updates at once; latency: `rate` updates/s for `seconds` (distinct chats)."""
    chats = iter(range(first_chat, first_chat + 10_000_000))
    await burst(api, make, chats, 20, pid)   # warm-up
    per_second, cpu_us = await burst(api, make, chats, burst_size, pid)
    await asyncio.sleep(0.5)
    pusher = Pusher(api)
    waits = []
    begin = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        chat = next(chats)
        waits.append(asyncio.ensure_future(timed(api, pusher, chat, make(chat))))
    latencies = list(await asyncio.gather(*waits))
    return Result("", per_second, latencies, rate, cpu_us=cpu_us)


# --- contest set-up and driving ----------------------------------------------------------------------

async def seed_contest(url: str, students: int, questions: int, first_chat: int) -> list[tuple[int, int, list[int]]]:
    """A running contest and one started attempt per student, its first question shown in message
    QUESTION_MESSAGE: (chat id, attempt id, right options)."""
    db = Database(url)
    await db.upgrade()
    bank, _ = load_bank(ROOT / "quizzes")
    now = utcnow()
    spec = ContestSpec(title="Bench", organiser="bench", opens=now - timedelta(hours=1), closes=now + timedelta(days=1),
                       questions=questions, time_limit_min=60, attempts=1, prediction="off")
    plan = []
    try:
        async with db.session() as session:
            contest = await create_contest(session, spec, created_by="bench", now=now)
            for i in range(students):
                chat = first_chat + i
                user = await get_or_create_user(session, platform="telegram", platform_user_id=str(chat), language="vi")
                assert user.id is not None
                reg = await register(session, contest_id=contest.id, user_id=user.id, declared=Declared(unit_id="u"), now=now)
                assert reg is not None and reg.id is not None
                attempt_id = await start_contest_attempt(session, bank, contest, registration_id=reg.id, user_id=user.id,
                                                         channel="telegram", chat_id=str(chat), lang="vi", now=now,
                                                         rng=random.Random(i))
                view = await load_attempt(session, attempt_id)
                assert view is not None
                # The first question is on screen, as after the bot's own start of the attempt.
                await remember_keyed_message(session, chat_id=str(chat), edit_key=f"attempt:{attempt_id}",
                                             message_id=QUESTION_MESSAGE)
                plan.append((chat, attempt_id, [q.correct for q in view.snapshot.questions]))
            await session.commit()
    finally:
        await db.close()
    return plan


@dataclass(frozen=True)
class Press:
    student: int
    no: int            # the question answered
    sent: float        # perf_counter when pushed
    seconds: float     # to the bot's reply


async def drive_contest(api: BenchAPI, plan: list[tuple[int, int, list[int]]], think: float,
                        questions: range | None = None) -> tuple[list[Press], float, dict[int, int]]:
    """Every student answers the questions (all, or those of `questions`), each press after the
    previous reply (+ think time). Returns every press, the seconds taken, the right answers given."""
    pusher = Pusher(api)
    latencies: list[Press] = []
    expected: dict[int, int] = {}

    async def student(chat: int, attempt_id: int, right: list[int]) -> None:
        rng = random.Random(chat)    # the same choices whichever block a question falls in
        await asyncio.sleep(rng.random() * think)
        score = 0
        for no in questions or range(len(right)):
            option = right[no] if _answers_right(chat, no) else (right[no] + 1) % 4
            score += option == right[no]
            update = press_update(chat, f"a:{attempt_id}:{no}:{option}", api.shown.get(chat))
            sent = time.perf_counter()
            latencies.append(Press(chat, no, sent, await timed(api, pusher, chat, update)))
            if think:
                await asyncio.sleep(think * (0.5 + rng.random()))
        expected[attempt_id] = score

    start = time.perf_counter()
    await asyncio.gather(*(student(*row) for row in plan))
    return latencies, time.perf_counter() - start, expected


def _answers_right(chat: int, no: int) -> bool:
    """About 70 % of answers are right, the same ones in every run."""
    return random.Random(chat * 1000 + no).random() < 0.7


async def count_answers(url: str, expected: dict[int, int], questions: int) -> tuple[int, int]:
    """(lost, double-counted) answers in the database."""
    db = Database(url)
    try:
        async with db.session() as session:
            stored: dict[int, int] = dict((await session.execute(select(col(AttemptAnswer.attempt_id), func.count())
                                                                 .group_by(col(AttemptAnswer.attempt_id)))).all())
            scores: dict[int, int] = dict((await session.execute(select(Attempt.id, Attempt.score))).all())  # type: ignore[call-overload]
    finally:
        await db.close()
    lost = sum(max(0, questions - stored.get(a, 0)) for a in expected)
    doubled = sum(max(0, stored.get(a, 0) - questions) for a in expected) + sum(
        1 for a, s in expected.items() if scores.get(a) != s)
    return lost, doubled


# --- one scenario ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Running:
    api: BenchAPI
    pid: int


@asynccontextmanager
async def started(kind: str, mode: str, url: str, transport: str, tmp: Path) -> AsyncIterator[Running]:
    """A bot process (the echo bot, or rightsbot) on its own fake Bot API, ready for updates."""
    api = BenchAPI()
    async with api:
        extra = {"TELEGRAM_TRANSPORT": transport, "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
                 "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "ERROR"),
                 # Students answering flat out would trip flood control past 20 questions (as in peak_load).
                 "FLOOD_MESSAGES": "0"}
        ready = "getUpdates"
        if mode == "webhook":
            port = free_port()
            extra.update(TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", TELEGRAM_WEBHOOK_SECRET="bench-secret",
                         WEBHOOK_LISTEN=f"127.0.0.1:{port}")
            ready = "setWebhook"
        command: tuple[str, ...] = ("bench/telegram_echo_bot.py",) if kind == "echo" else ("-m", "bot", "run")
        if os.environ.get("BENCH_PROFILE_DIR"):   # cProfile the bot; the stats are written when it stops
            command = ("-m", "cProfile", "-o", str(Path(os.environ["BENCH_PROFILE_DIR"]) / f"{kind}-{mode}.pstats"),
                       *command)
        async with running_bot(api, bot_env(api, url, **extra), tmp / f"{kind}-{mode}.log", command=command,
                               ready=ready) as bot:
            await asyncio.sleep(0.5)
            yield Running(api, bot.process.pid)


async def scenario(kind: str, mode: str, db_url: str | None, transport: str, args: argparse.Namespace,
                   tmp: Path) -> Result:
    url = db_url or f"sqlite+aiosqlite:///{tmp / f'{kind}-{mode}-{uuid.uuid4().hex[:6]}.db'}"
    if kind == "contest":
        plan = await seed_contest(url, args.students, args.questions, 10_000)
        # The echo bot runs beside rightsbot (idle while rightsbot is measured, and the other way
        # round), so each block of answers is paired with an echo burst of the same size taken
        # just before it: the machine's speed drifts by ±20 % within a minute here.
        async with started("echo", mode, url, transport, tmp) as echo, \
                started(kind, mode, url, transport, tmp) as bot:
            return await contest_result(bot, echo, plan, url, args)
    async with started(kind, mode, url, transport, tmp) as bot:
        make = echo_update if kind == "echo" else (lambda c: message_update(c, random.choice(QUESTIONS)))
        return await burst_and_rate(bot.api, make, args.burst, args.rate, args.seconds, 1_000_000, bot.pid)


@dataclass(frozen=True)
class Block:
    """One block of contest answers and, just before it, two bursts of the same size on the echo
    bot: text messages, and presses of a question message like rightsbot's ("button echo")."""

    rate: float
    echo_rate: float
    cpu_us: float
    echo_cpu_us: float
    button_rate: float
    button_cpu_us: float


def button_echo_update(shown: dict[str, Any]) -> UpdateMaker:
    """Presses for the button echo: each on a copy of `shown` (a question message as rightsbot
    showed it, text and keyboard) in the pressing student's own chat."""
    def make(chat_id: int) -> dict[str, Any]:
        return press_update(chat_id, "a:0:0:0", {**shown, "chat": {"id": chat_id, "type": "private"}})
    return make


async def contest_result(bot: Running, echo: Running, plan: list[tuple[int, int, list[int]]], url: str,
                         args: argparse.Namespace) -> Result:
    half = len(plan) // 2
    fast, steady = plan[:half], plan[half:]
    # Each fast student's first press is the process's first sight of an attempt it did not
    # start (as after a restart): a warm-up, like the echo bot's first updates.
    _, _, expected = await drive_contest(bot.api, fast, think=0.0, questions=range(1))
    chats = iter(range(1_000_000, 11_000_000))
    press_echo = button_echo_update(bot.api.shown[fast[0][0]])
    await burst(echo.api, echo_update, chats, 20, echo.pid)
    await burst(echo.api, press_echo, chats, 20, echo.pid)
    blocks: list[Block] = []
    for questions in _split(range(1, args.questions), args.blocks):
        size = len(fast) * len(questions)
        echo_rate, echo_cpu = await burst(echo.api, echo_update, chats, size, echo.pid)
        button_rate, button_cpu = await burst(echo.api, press_echo, chats, size, echo.pid)
        cpu = cpu_seconds(bot.pid)
        presses, seconds, scores = await drive_contest(bot.api, fast, think=0.0, questions=questions)
        blocks.append(Block(len(presses) / seconds, echo_rate, (cpu_seconds(bot.pid) - cpu) / len(presses) * 1e6, echo_cpu,
                            button_rate, button_cpu))
        for attempt_id, score in scores.items():
            expected[attempt_id] += score
    # Steady: think time chosen so the students offer about `rate` answers a second in total
    # (while all of them are answering).
    think = max(0.05, len(steady) / args.rate)
    steady_latencies, steady_seconds, steady_expected = await drive_contest(bot.api, steady, think=think)
    expected.update(steady_expected)
    lost, doubled = await count_answers(url, expected, args.questions)
    # A student's first press is the process's first sight of that attempt (it was started by the
    # seed, not by this process: as after a restart): reported apart. The steady state is the
    # window in which every student is answering (after the last first press, before the first
    # last one): its offered rate and latencies, free of the ramp-up and ramp-down.
    window = steady_window(steady_latencies)
    if window:
        begin, end = window
        inside = [p.seconds for p in steady_latencies if begin <= p.sent <= end and p.no > 0]
        offered = len(inside) / (end - begin)
    else:   # too short a run to have such a window
        inside = [p.seconds for p in steady_latencies if p.no > 0]
        offered = len(steady_latencies) / steady_seconds
    return Result("", statistics.median(b.rate for b in blocks), inside, offered, lost, doubled,
                  statistics.median(b.cpu_us for b in blocks),
                  first_p99=percentile([p.seconds for p in steady_latencies if p.no == 0], 99), blocks=blocks)


def _split(questions: range, parts: int) -> list[range]:
    """`questions` cut into `parts` consecutive ranges of (nearly) equal length."""
    parts = max(1, min(parts, len(questions)))
    bounds = [questions.start + len(questions) * i // parts for i in range(parts + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


def steady_window(presses: list[Press]) -> tuple[float, float] | None:
    """(the last student's first press, the first student's last press), if that is a window."""
    firsts: dict[int, float] = {}
    lasts: dict[int, float] = {}
    for press in presses:
        firsts[press.student] = min(firsts.get(press.student, press.sent), press.sent)
        lasts[press.student] = max(lasts.get(press.student, press.sent), press.sent)
    if not firsts:
        return None
    begin, end = max(firsts.values()), min(lasts.values())
    return (begin, end) if end - begin > 1.0 else None


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs, SQLite and polling only for rightsbot")
    ap.add_argument("--rate", type=float, default=300.0, help="offered updates/s for the latency figures")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--burst", type=int, default=2000)
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    ap.add_argument("--transports", default="aiohttp,httpx", help="the echo bot and Q&A run with each; the rest with the first")
    ap.add_argument("--kinds", default="qa,contest", help="rightsbot runs to make (the echo bot always runs)")
    ap.add_argument("--backends", default="sqlite,postgresql", help="postgresql runs only with --pg")
    ap.add_argument("--modes", default="polling,webhook")
    ap.add_argument("--blocks", type=int, default=4,
                    help="contest answers are taken in this many blocks, each paired with echo bursts (text, button) just before it")
    ap.add_argument("--repeat", type=int, default=1,
                    help="contest runs per backend and mode; prints the median ratio over all their blocks")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.burst, args.students = 3.0, 600, 100
    transports = args.transports.split(",")
    backends = [b for b in args.backends.split(",") if b == "sqlite" or (b == "postgresql" and args.pg and not args.quick)]
    modes = ["polling"] if args.quick else args.modes.split(",")
    print(f"Telegram benchmark: {os.cpu_count()} cores; bot and fake share them; offered rate {args.rate:.0f}/s; "
          f"bots on the {event_loop.name()} event loop")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(os.environ.get("BENCH_LOG_DIR") or tmp_dir)
        echo: dict[tuple[str, str], Result] = {}
        for transport in transports:
            for mode in modes:
                echo[(mode, transport)] = await echo_run(mode, transport, args, tmp)
        medians: list[str] = []
        for backend in backends:
            for mode in modes:
                for kind in args.kinds.split(","):
                    for transport in (transports if kind == "qa" and mode == "polling" and backend == "sqlite" else transports[:1]):
                        blocks: list[Block] = []
                        for _ in range(args.repeat if kind == "contest" else 1):
                            result = await rightsbot_run(kind, backend, mode, transport, args, tmp)
                            blocks += result.blocks
                            result.note = _ratio_note(result, echo.get((mode, transport)))
                            print(result.line(), flush=True)
                        if blocks:
                            ratio, cpu, _ = block_medians(blocks)
                            medians.append(f"contest answers, {backend}, {mode}: median {ratio:.0%} of echo over {len(blocks)} "
                                           f"paired blocks ({', '.join(f'{b.rate / b.echo_rate:.0%}' for b in blocks)}); "
                                           f"CPU per update {cpu:.0%} of echo's; {button_medians(blocks)}")
        for line in medians:
            print(line)


def block_medians(blocks: list[Block]) -> tuple[float, float, float]:
    """Medians over paired blocks: rightsbot's rate / echo's, echo's CPU per update / rightsbot's, echo's rate."""
    return (statistics.median(b.rate / b.echo_rate for b in blocks),
            statistics.median(b.echo_cpu_us / b.cpu_us for b in blocks), statistics.median(b.echo_rate for b in blocks))


def button_medians(blocks: list[Block]) -> str:
    """The same blocks against the button echo: its rate beside them, and the medians of the
    ratios of rates and of CPU per update; and the button echo's own rate against the text echo's."""
    return (f"{statistics.median(b.rate / b.button_rate for b in blocks):.0%} of the button echo "
            f"({statistics.median(b.button_rate for b in blocks):.0f} presses/s beside it, "
            f"{statistics.median(b.button_rate / b.echo_rate for b in blocks):.0%} of the text echo's rate; "
            f"CPU per update {statistics.median(b.button_cpu_us / b.cpu_us for b in blocks):.0%} of its)")


def _ratio_note(result: Result, ceiling: Result | None) -> str:
    """Contest runs: the median over their blocks, each against the echo burst just before it.
    Q&A: against the echo run at the start."""
    if result.blocks:
        ratio, cpu, echo_rate = block_medians(result.blocks)
        return (f"   = {ratio:.0%} of echo ({echo_rate:.0f} upd/s beside it; CPU per update {cpu:.0%} of echo's); "
                f"{button_medians(result.blocks)}")
    if ceiling is None:
        return ""
    return f"   = {result.per_second / ceiling.per_second:.0%} of echo (CPU per update {ceiling.cpu_us / result.cpu_us:.0%} of echo's)"


async def echo_run(mode: str, transport: str, args: argparse.Namespace, tmp: Path) -> Result:
    result = await scenario("echo", mode, None, transport, args, tmp)
    result.name = f"echo bot (ceiling), {mode}, {transport}"
    print(result.line(), flush=True)
    return result


async def rightsbot_run(kind: str, backend: str, mode: str, transport: str, args: argparse.Namespace,
                        tmp: Path) -> Result:
    url, name = (await fresh_pg(args.pg)) if backend == "postgresql" else (None, "")
    try:
        result = await scenario(kind, mode, url, transport, args, tmp)
    finally:
        if name:
            await drop_pg(args.pg, name)
    label = "Q&A" if kind == "qa" else f"contest answers ({args.students} students)"
    result.name = f"rightsbot {label}, {backend}, {mode}, {transport}"
    return result

if __name__ == "__main__":
    asyncio.run(main())
