"""Contest benchmark: 2,000 simulated participants × 20 answers driven straight into the engine.

Each answer goes through `answer_question` (the path a button press or typed answer takes
inside `Dialogue.handle`) and is committed before the participant's next, on the bot's own
engine settings (the default connection pool): once as a transaction of its own
(`Database.writer()`), once as a unit of the dialogue's group commit (`storage/group_commit.py`:
answers arriving together share a transaction, as the bot runs them; "grouped"). 1 in 50 answers is also
sent a second time at once, like a double press, and must change nothing. Prints answers/s,
p50/p99 per answer, and the lost and double-counted answers (both must be 0). SQLite always;
PostgreSQL when TEST_DATABASE_URL or --pg URL is given. Also times a smaller run through
`Dialogue.handle` (event claim, user and state, the answer, the choices shown), where each
participant's answers come one after another as a chat's do.

`--concurrency` is how many participants answer at the same moment (a list runs each level on a
fresh database). A webhook at 500 answers/s with replies in ~10 ms has about 5–10 updates in
flight, so 4–32 is the realistic range.

    python bench/contest_bench.py [--people 2000] [--answers 20] [--concurrency 4,16,64] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import drop_pg, fresh_pg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import col  # noqa: E402

from bot import event_loop  # noqa: E402
from bot.contests.attempts import answer_question, load_attempt, start_contest_attempt  # noqa: E402
from bot.contests.contests import create_contest  # noqa: E402
from bot.contests.registration import Declared, register  # noqa: E402
from bot.contests.spec import ContestSpec  # noqa: E402
from bot.core.dialogue import TURN_LANES_PG  # noqa: E402
from bot.quiz.bank import QuizBank, load_bank  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.group_commit import GroupCommit  # noqa: E402
from bot.storage.models import Attempt, AttemptAnswer  # noqa: E402
from bot.storage.users import get_or_create_user  # noqa: E402

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@dataclass
class Figures:
    answers: int
    seconds: float
    latencies: list[float]
    lost: int
    doubled: int
    cpu: float = 0.0     # this process's CPU seconds (all threads) while answering


    def line(self, name: str) -> str:
        ordered = sorted(self.latencies)
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[int(len(ordered) * 0.99)] * 1000
        return (f"{name:<28} {self.answers / self.seconds:8.0f} answers/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
                f"lost {self.lost}   double-counted {self.doubled}   CPU {self.cpu / self.answers * 1e6:4.0f} µs/answer   "
                f"({self.answers} answers in {self.seconds:.1f} s)")


def percentile_text(values: list[float]) -> str:
    ordered = sorted(values)
    return f"p50 {ordered[len(ordered) // 2] * 1000:.2f} ms, p99 {ordered[int(len(ordered) * 0.99)] * 1000:.2f} ms"


async def setup(db: Database, bank: QuizBank, people: int, n_answers: int) -> list[int]:
    """A contest and one started attempt per participant (not timed)."""
    spec = ContestSpec(title="Bench", organiser="bench", opens=NOW - timedelta(hours=1), closes=NOW + timedelta(days=1),
                       questions=n_answers, time_limit_min=60, attempts=1, prediction="off")
    async with db.session() as session:
        contest = await create_contest(session, spec, created_by="bench", now=NOW)
        await session.commit()
    attempt_ids = []
    rng = random.Random(7)
    for start in range(0, people, 200):
        async with db.session() as session:
            for i in range(start, min(people, start + 200)):
                user = await get_or_create_user(session, platform="bench", platform_user_id=str(i), language="vi")
                assert user.id is not None
                reg = await register(session, contest_id=contest.id, user_id=user.id,
                                     declared=Declared(unit_id="u"), now=NOW)
                assert reg is not None and reg.id is not None
                attempt_ids.append(await start_contest_attempt(
                    session, bank, contest, registration_id=reg.id, user_id=user.id, channel="bench",
                    chat_id=str(i), lang="vi", now=NOW, rng=rng))
            await session.commit()
    return attempt_ids


async def drive(db: Database, attempts: list[tuple[int, int, list[int]]], concurrency: int,
                grouped: bool) -> tuple[list[float], float]:
    """Every participant answers all questions in order; participants run `concurrency` at a time.
    Each answer is its own transaction, or (`grouped`) a unit of the dialogue's group commit."""
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[int, int, list[int]]] = asyncio.Queue()
    for item in attempts:
        queue.put_nowait(item)
    turns = GroupCommit(db, lanes=1 if db.is_sqlite else TURN_LANES_PG)

    async def one(attempt_id: int, user_id: int, no: int, option: int) -> None:
        t0 = time.perf_counter()
        work = partial(answer_question, attempt_id=attempt_id, user_id=user_id, question_no=no, option=option,
                       now=NOW + timedelta(seconds=no))
        if grouped:
            outcome = await turns.run(work)
        else:
            async with db.writer() as session:
                outcome = await work(session)
                await session.commit()
        latencies.append(time.perf_counter() - t0)
        assert outcome.status in ("recorded", "duplicate", "closed"), outcome.status

    async def worker() -> None:
        while not queue.empty():
            attempt_id, user_id, options = queue.get_nowait()
            for no, option in enumerate(options):
                if (attempt_id + no) % 50 == 0:   # a double press: two deliveries at once
                    await asyncio.gather(one(attempt_id, user_id, no, option), one(attempt_id, user_id, no, option))
                else:
                    await one(attempt_id, user_id, no, option)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - start


async def check(db: Database, expected: dict[int, int], n_answers: int) -> tuple[int, int]:
    """(lost, double-counted): answers missing, and scores or rows beyond one per question."""
    async with db.session() as session:
        stored = (await session.execute(select(func.count()).select_from(AttemptAnswer))).scalar_one()
        rows = (await session.execute(select(Attempt.id, Attempt.score, Attempt.current_no))).all()  # type: ignore[call-overload]
        per_attempt: dict[int, int] = dict((await session.execute(
            select(col(AttemptAnswer.attempt_id), func.count()).group_by(col(AttemptAnswer.attempt_id)))).all())
    total = len(expected) * n_answers
    lost = max(0, total - stored) + sum(1 for r in rows if r.current_no != n_answers)
    doubled = max(0, stored - total) + sum(1 for r in rows if r.score != expected[r.id]) + sum(
        1 for c in per_attempt.values() if c > n_answers)
    return lost, doubled


async def run_backend(url: str, bank: QuizBank, people: int, n_answers: int, concurrency: int,
                      grouped: bool = False) -> Figures:
    db = Database(url)
    await db.upgrade()
    try:
        attempt_ids = await setup(db, bank, people, n_answers)
        plan = []
        expected = {}
        rng = random.Random(11)
        async with db.session() as session:
            for attempt_id in attempt_ids:
                view = await load_attempt(session, attempt_id)
                assert view is not None
                options = [rng.randrange(4) for _ in range(n_answers)]
                expected[attempt_id] = sum(o == q.correct for o, q in zip(options, view.snapshot.questions, strict=True))
                plan.append((attempt_id, view.user_id, options))
        cpu = time.process_time()
        latencies, seconds = await drive(db, plan, concurrency, grouped)
        cpu = time.process_time() - cpu
        lost, doubled = await check(db, expected, n_answers)
        return Figures(len(latencies), seconds, latencies, lost, doubled, cpu)
    finally:
        await db.close()


async def dialogue_run(url: str, people: int, n_answers: int, concurrency: int) -> str:
    """The same answers through the whole `Dialogue.handle` (event claim, user, state, attempt, choices)."""
    from bot.app import build_app
    from bot.config import Settings
    from bot.core.messages import Inbound

    settings = Settings(database_url=url, knowledge_dir=ROOT / "tests" / "data" / "knowledge",
                        quizzes_dir=ROOT / "quizzes")
    app = await build_app(settings, clock=lambda: NOW)
    try:
        attempt_ids = await setup(app.db, app.quizzes, people, n_answers)
        latencies: list[float] = []
        expected: dict[int, int] = {}
        queue: asyncio.Queue[int] = asyncio.Queue()
        for attempt_id in attempt_ids:
            queue.put_nowait(attempt_id)

        async def person(attempt_id: int) -> None:
            async with app.db.session() as session:
                view = await load_attempt(session, attempt_id)
            assert view is not None
            expected[attempt_id] = sum(no % 4 == q.correct for no, q in enumerate(view.snapshot.questions))
            for no in range(n_answers):
                t0 = time.perf_counter()
                await app.dialogue.handle(Inbound("bench", str(attempt_id - attempt_ids[0]), "c",
                                                  payload=f"a:{attempt_id}:{no}:{no % 4}", event_id=f"{attempt_id}-{no}"))
                latencies.append(time.perf_counter() - t0)

        async def worker() -> None:
            while not queue.empty():
                await person(queue.get_nowait())

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        lost, doubled = await check(app.db, expected, n_answers)
        return (f"{len(latencies) / seconds:8.0f} answers/s   {percentile_text(latencies)}   lost {lost}   "
                f"double-counted {doubled}   CPU {cpu / len(latencies) * 1e6:4.0f} µs/answer   ({len(latencies)} answers)")
    finally:
        await app.close()


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--answers", type=int, default=20)
    ap.add_argument("--concurrency", default="16", help="participants at once; a comma list runs each level")
    ap.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    ap.add_argument("--dialogue-people", type=int, default=200, help="participants for the Dialogue.handle run")
    args = ap.parse_args()
    bank, _ = load_bank(ROOT / "quizzes")
    levels = [int(level) for level in str(args.concurrency).split(",") if level.strip()]
    print(f"contest bench: {args.people} participants × {args.answers} answers, {args.concurrency} at a time; "
          f"{len(bank.questions)} questions in the bank; {event_loop.name()} event loop")
    failed = False
    for level in levels:
        at = f" ×{level}"
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            for grouped in (False, True):
                figures = await run_backend(sqlite_url.replace("bench", f"bench{int(grouped)}"), bank, args.people,
                                            args.answers, level, grouped)
                print(figures.line(("SQLite, engine, grouped" if grouped else "SQLite, engine") + at))
                failed |= bool(figures.lost or figures.doubled)
            if args.dialogue_people:
                line = await dialogue_run(f"sqlite+aiosqlite:///{tmp}/dialogue.db", args.dialogue_people, args.answers,
                                          level)
                print(f"{'SQLite, Dialogue.handle' + at:<28} {line}")
        if not args.pg:
            continue
        for label, runner in (("PostgreSQL, engine", "engine"), ("PostgreSQL, engine, grouped", "grouped"),
                              ("PostgreSQL, Dialogue.handle", "dialogue")):
            url, name = await fresh_pg(args.pg)
            try:
                if runner in ("engine", "grouped"):
                    figures = await run_backend(url, bank, args.people, args.answers, level, runner == "grouped")
                    print(figures.line(label + at))
                    failed |= bool(figures.lost or figures.doubled)
                elif args.dialogue_people:
                    print(f"{label + at:<28} " + await dialogue_run(url, args.dialogue_people, args.answers, level))
            finally:
                await drop_pg(args.pg, name)
    if not args.pg:
        print("PostgreSQL skipped: set TEST_DATABASE_URL or pass --pg URL")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(event_loop.run(main()))
