"""Peak load: a province-wide contest opening, through Telegram and Zalo OA at once, on PostgreSQL.

N simulated students (default 2,000) each register and take a full 20-question contest on
Telegram (webhook mode: this process plays Telegram and the load balancer, posting each update
to one of the bot processes in turn), and the same number of students do the same on Zalo OA
(signed webhook events; replies arrive at the fake OA), all at the same time. It runs once with
one `rightsbot run` process and once with two, each on a fresh PostgreSQL database, and reports:

- sustained updates/s (both channels) and contest answers/s, over the whole run;
- p50/p99 from an update to its reply, per channel, and for answers alone;
- the database connections in use (pg_stat_activity, the most seen while running);
- each bot process's resident memory (the most seen, and the kernel's high-water mark);
- answers lost and answers double-counted, checked against what the students pressed.

Students answer as fast as the replies come (`--think 0`, saturation) or after a think time.
Flood control is off (FLOOD_MESSAGES=0): a student answering as fast as replies come would trip it.

    python bench/peak_load.py [--students 2000] [--questions 20] [--processes 1,2] [--think 0] [--zalo N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from tests.fakes.zalo_oa import FakeZaloOA, Sent  # noqa: E402
from tests.scale_support import (  # noqa: E402
    Balancer,
    RecordingAPI,
    Student,
    bot_processes,
    choose_option,
    cli,
    contest_file,
    create_contest,
    env_for_cli,
    letters,
    percentile,
)

QUIZZES = ROOT / "quizzes"
KNOWLEDGE = ROOT / "knowledge"
ORGANISER, UNIT, UNIT_SEARCH = "sgddt", "thpt_mau_01", "Mẫu số 1"
PG = os.environ.get("TEST_DATABASE_URL") or "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


# --- Zalo OA students --------------------------------------------------------------------------------

class OAInbox:
    """The fake OA's sends, per user, with a wake-up for the student waiting on them."""

    def __init__(self, oa: FakeZaloOA) -> None:
        self.sent: dict[str, list[Sent]] = defaultdict(list)
        self.changed: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        oa.on_sent = self._sent

    def _sent(self, sent: Sent) -> None:
        self.sent[sent.user_id].append(sent)
        self.changed[sent.user_id].set()


@dataclass
class ZaloStudent:
    number: int
    user_id: str
    oa: FakeZaloOA
    inbox: OAInbox
    hooks: list[str]
    turn: list[int]
    think: float = 0.0
    sent_answers: list[tuple[int, int]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    answer_latencies: list[float] = field(default_factory=list)

    async def say(self, text: str, marker: str, timeout: float = 300) -> str:
        seen = len(self.inbox.sent[self.user_id])
        self.turn[0] += 1
        hook = self.hooks[self.turn[0] % len(self.hooks)]
        start = time.perf_counter()
        status = await self.oa.deliver(hook, self.oa.event(self.user_id, text))
        assert status == 200, status
        deadline = start + timeout
        while True:
            new = self.inbox.sent[self.user_id][seen:]
            found = next((s for s in new if marker in s.text), None)
            if found is not None:
                self.latencies.append(found.at - start)
                return found.text
            event = self.inbox.changed[self.user_id]
            event.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise AssertionError(f"zalo student {self.number}: no {marker!r} after {text!r}: {[s.text[:60] for s in new]}")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    async def button(self, prefix: str, suffix: str = "", timeout: float = 60) -> str:
        """The newest button's payload; a turn's buttons ride on its last message, which may still be on its way."""
        deadline = time.perf_counter() + timeout
        while True:
            for sent in reversed(self.inbox.sent[self.user_id]):
                for _title, payload in sent.buttons:
                    if payload.startswith(prefix) and payload.endswith(suffix):
                        return payload
            if time.perf_counter() > deadline:
                raise AssertionError(f"zalo student {self.number}: no button {prefix}…{suffix}")
            event = self.inbox.changed[self.user_id]
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), 1.0)

    async def take(self, code: str, questions: int) -> None:
        await self.say(f"/thi {code}", "đồng ý")
        await self.say(await self.button("rc:", ":y"), "đơn vị nào")
        await self.say(UNIT_SEARCH, "Chọn đơn vị")
        await self.say(f"ru:{UNIT}", "Họ và tên")
        await self.say(f"Zalo {letters(self.number)}", "Đăng ký xong")
        question = await self.say(await self.button("rs:"), f"Câu 1/{questions}")
        for no in range(questions):
            await asyncio.sleep(self.think)      # as the Telegram students do (tests/scale_support.py)
            option = choose_option(self.number, no, question, 70)
            self.sent_answers.append((no, option))
            marker = f"Câu {no + 2}/{questions}" if no + 1 < questions else "dự đoán"
            start = time.perf_counter()
            question = await self.say(await self.button("a:", f":{option}"), marker)
            self.answer_latencies.append(time.perf_counter() - start)
        await self.say(str(1000 + self.number), "Đã nộp bài")


# --- sampling while the students run -------------------------------------------------------------------

class Sampler:
    """Every half second: connections to the bench's database, and each bot process's RSS."""

    def __init__(self, db_name: str, pids: list[int]) -> None:
        self.db_name = db_name
        self.pids = pids
        self.connections = 0
        self.rss = dict.fromkeys(pids, 0)
        self._stop = asyncio.Event()

    async def run(self) -> None:
        conn = await asyncpg.connect(PG.replace("postgresql+asyncpg", "postgresql"))
        try:
            while not self._stop.is_set():
                count = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", self.db_name)
                self.connections = max(self.connections, int(count))
                for pid in self.pids:
                    self.rss[pid] = max(self.rss[pid], _status_kb(pid, "VmRSS"))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.5)
        finally:
            await conn.close()

    def stop(self) -> None:
        self._stop.set()


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- one configuration ---------------------------------------------------------------------------------

async def run(processes: int, args: argparse.Namespace, tmp: Path) -> None:
    name = f"rb_peak_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG.replace("postgresql+asyncpg", "postgresql"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG.rsplit("/", 1)[0] + "/" + name
    env = env_for_cli(url, QUIZZES, KNOWLEDGE)
    try:
        cli(env, "db", "upgrade")
        spec = contest_file(tmp / "contest.yaml", args.questions).read_text(encoding="utf-8")
        (tmp / "contest.yaml").write_text(spec.replace("organiser: doan", f"organiser: {ORGANISER}"), encoding="utf-8")
        code = create_contest(env, tmp / "contest.yaml")
        async with RecordingAPI() as api, FakeZaloOA() as oa, bot_processes(
                api, url, processes, tmp, QUIZZES_DIR=str(QUIZZES), KNOWLEDGE_DIR=str(KNOWLEDGE), FLOOD_MESSAGES="0",
                LOG_LEVEL="WARNING", ZALO_OA_APP_ID=oa.app_id, ZALO_OA_SECRET_KEY=oa.secret_key,
                ZALO_OA_APP_SECRET=oa.app_secret, ZALO_OA_ACCESS_TOKEN="access-0",
                ZALO_OA_REFRESH_TOKEN="refresh-0", ZALO_OA_API_BASE_URL=oa.base_url,
                ZALO_OAUTH_BASE_URL=oa.base_url) as bots:
            balancer = Balancer([b.url for b in bots], connections=80)
            inbox, turn = OAInbox(oa), [0]
            think = args.think
            tg = [Student(n, 5_000_000 + n, api, balancer, unit_search=UNIT_SEARCH, unit_id=UNIT,
                          think=(lambda: think)) for n in range(args.students)]
            zl = [ZaloStudent(n, f"7{n:018d}", oa, inbox, [b.url + "/zalo/oa" for b in bots], turn, think)
                  for n in range(args.zalo)]
            sampler = Sampler(name, [b.process.pid for b in bots])
            sampling = asyncio.create_task(sampler.run())
            started = time.perf_counter()
            slots = asyncio.Semaphore(args.concurrent)

            ramp = random.Random(5)

            async def limited(work: object, index: int) -> None:
                async with slots:
                    if index < args.concurrent and args.ramp:    # the first wave arrives over --ramp seconds
                        await asyncio.sleep(ramp.random() * args.ramp)
                    await work  # type: ignore[misc]

            try:
                everyone = [x for pair in zip(tg, zl, strict=False) for x in pair] + tg[len(zl):] + zl[len(tg):]
                await asyncio.gather(*(limited(s.take(code, args.questions), i) for i, s in enumerate(everyone)))
            finally:
                seconds = time.perf_counter() - started
                sampler.stop()
                await sampling
                await balancer.close()
            high_water = [_status_kb(b.process.pid, "VmHWM") for b in bots]
            errors = [line for b in bots for line in b.log().splitlines() if " ERROR " in line or "Traceback" in line]
        lost, doubled = await check_answers(url, tg, zl)
        updates = sum(len(s.latencies) for s in tg) + sum(len(s.latencies) for s in zl)
        answers = sum(len(s.sent_answers) for s in tg) + sum(len(s.sent_answers) for s in zl)
        tg_all = [x for s in tg for x in s.latencies]
        zl_all = [x for s in zl for x in s.latencies]
        tg_ans = [x for s in tg for x in s.answer_latencies]
        zl_ans = [x for s in zl for x in s.answer_latencies]
        print(f"\n{processes} bot process{'es' if processes > 1 else ''}: {args.students} Telegram + {args.zalo} Zalo OA "
              f"students, {args.questions} questions, think {args.think:.1f} s, {args.concurrent} at once, "
              f"arriving over {args.ramp:.0f} s; {seconds:.0f} s")
        print(f"  sustained: {updates / seconds:7.1f} updates/s   {answers / seconds:7.1f} answers/s   "
              f"({updates} updates, {answers} answers)")
        for label, values in (("telegram, every update", tg_all), ("telegram, answers", tg_ans),
                              ("zalo_oa, every update", zl_all), ("zalo_oa, answers", zl_ans)):
            if values:
                print(f"  {label:<24} p50 {percentile(values, 50) * 1000:7.1f} ms   p99 {percentile(values, 99) * 1000:7.1f} ms")
        print(f"  database connections (most at once): {sampler.connections}")
        print("  bot RSS: " + ", ".join(f"process {i + 1}: {sampler.rss[b.process.pid] / 1024:.0f} MB "
                                        f"(high-water {high_water[i] / 1024:.0f} MB)" for i, b in enumerate(bots)))
        print(f"  answers lost: {lost}   double-counted: {doubled}   errors logged: {len(errors)}")
        for line in errors[:5]:
            print("   ", line[:200])
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def check_answers(url: str, tg: list[Student], zl: list[ZaloStudent]) -> tuple[int, int]:
    """(lost, double-counted): stored answers against those pressed, and each score against its answers."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch("SELECT u.platform, u.platform_user_id, aa.question_no, aa.option FROM attempt_answers aa "
                                "JOIN attempts a ON a.id = aa.attempt_id JOIN users u ON u.id = a.user_id")
        scores = await conn.fetch("SELECT a.id, a.score, (SELECT count(*) FROM attempt_answers x WHERE x.attempt_id = a.id "
                                  "AND x.correct) AS right FROM attempts a")
    finally:
        await conn.close()
    stored = [(r["platform"], r["platform_user_id"], r["question_no"], r["option"]) for r in rows]
    sent = [("telegram", str(s.chat), no, opt) for s in tg for no, opt in s.sent_answers]
    sent += [("zalo_oa", s.user_id, no, opt) for s in zl for no, opt in s.sent_answers]
    stored_set, sent_set = set(stored), set(sent)
    lost = len(sent_set - stored_set) + sum(max(0, r["right"] - r["score"]) for r in scores)
    doubled = (len(stored) - len(stored_set)) + len(stored_set - sent_set) + sum(max(0, r["score"] - r["right"]) for r in scores)
    return lost, doubled


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=2000, help="students on Telegram")
    ap.add_argument("--zalo", type=int, default=None, help="students on Zalo OA at the same time (default: as many)")
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--processes", default="1,2", help="bot process counts to run, comma-separated")
    ap.add_argument("--think", type=float, default=0.0, help="seconds a student thinks before each answer")
    ap.add_argument("--concurrent", type=int, default=400, help="students active at once (the rest queue to start)")
    ap.add_argument("--ramp", type=float, default=0.0,
                    help="seconds over which the first --concurrent students arrive (0: all at the same instant)")
    args = ap.parse_args()
    args.zalo = args.students if args.zalo is None else args.zalo
    print(f"Peak load on PostgreSQL: {os.cpu_count()} cores shared by the bot processes, PostgreSQL, the fakes and "
          "this load generator")
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (int(p) for p in args.processes.split(",")):
            await run(processes, args, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
