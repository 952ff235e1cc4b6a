"""Zalo OA benchmark: signed webhook events posted to a running bot, replies timed at the fake OA.

`python -m bot run` serves the OA webhook; this process plays Zalo (the fake OA server that
receives the bot's `message/cs` calls, and the sender of signed events). Each event comes from
a new user asking a Q&A question, and its reply is timed from the POST to the fake receiving
the answer. In one run, on SQLite and (with TEST_DATABASE_URL or --pg) PostgreSQL:
- saturated events/s: a burst of events, as fast as the webhook takes them;
- p50/p99 from event to reply at steady offered rates (default 50 and 100 events/s; above the
  saturated rate the figures are queueing, not service time).
Prints figures; asserts nothing.

    python bench/zalo_bench.py [--quick] [--rates 50,100] [--seconds 10] [--burst 2000] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import drop_pg, fresh_pg  # noqa: E402

from tests.fakes.zalo_oa import FakeZaloOA, Sent  # noqa: E402
from tests.zalo_support import free_port, running_bot, zalo_env  # noqa: E402

QUESTIONS = ["tuoi ung cu", "quyen tre em la gi", "ngay nhan quyen the gioi", "cong uoc quyen tre em",
             "When was the Universal Declaration of Human Rights adopted?", "tuoi bau cu"]
IN_FLIGHT = 64          # webhook POSTs open at once, like a platform's delivery workers


@dataclass
class Result:
    """Figures of one scenario: saturated events/s, and latencies (ms) per offered rate."""

    name: str
    saturated: float = 0.0
    latencies: dict[float, list[float]] = field(default_factory=dict)
    lost: int = 0

    def lines(self) -> list[str]:
        out = [f"{self.name:<28} saturated {self.saturated:6.0f} ev/s   lost {self.lost}"]
        for rate, values in self.latencies.items():
            out.append(f"{'':<28} at {rate:4.0f} ev/s: p50 {percentile(values, 50):7.1f} ms   "
                       f"p99 {percentile(values, 99):7.1f} ms")
        return out


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class Timer:
    """Futures that the fake resolves when the first reply to a user arrives."""

    def __init__(self, oa: FakeZaloOA) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        oa.on_sent = self._sent

    def expect(self, user_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[user_id] = future
        return future

    def _sent(self, sent: Sent) -> None:
        future = self.waiting.pop(sent.user_id, None)
        if future is not None and not future.done():
            future.set_result(sent.at)


async def one_event(oa: FakeZaloOA, timer: Timer, hook: str, user_id: str, text: str,
                    slots: asyncio.Semaphore) -> float | None:
    """POST one signed event; milliseconds until its reply reached the fake, None when none came."""
    replied = timer.expect(user_id)
    start = time.perf_counter()
    async with slots:
        await oa.deliver(hook, oa.event(user_id, text))
    try:
        return (await asyncio.wait_for(replied, 30) - start) * 1000
    except TimeoutError:
        return None


async def saturated(oa: FakeZaloOA, timer: Timer, hook: str, users: itertools.count[int], n: int) -> tuple[float, int]:
    """Events/s for a burst of `n` events (until the last reply), and how many got no reply."""
    slots = asyncio.Semaphore(IN_FLIGHT)
    start = time.perf_counter()
    results = await asyncio.gather(*(one_event(oa, timer, hook, f"9{next(users):018d}", QUESTIONS[i % len(QUESTIONS)],
                                               slots) for i in range(n)))
    return n / (time.perf_counter() - start), sum(r is None for r in results)


async def steady(oa: FakeZaloOA, timer: Timer, hook: str, users: itertools.count[int], rate: float,
                 seconds: float) -> tuple[list[float], int]:
    """Latencies at an offered rate, events spaced evenly over `seconds`."""
    slots = asyncio.Semaphore(IN_FLIGHT * 4)
    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one_event(oa, timer, hook, f"9{next(users):018d}",
                                                   QUESTIONS[i % len(QUESTIONS)], slots)))
    results = await asyncio.gather(*tasks)
    return [r for r in results if r is not None], sum(r is None for r in results)


async def scenario(name: str, db_url: str, args: argparse.Namespace) -> Result:
    """One bot process on one database: warm-up, burst, then the steady rate."""
    result = Result(name)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeZaloOA() as oa:
            env = zalo_env(db_url, free_port(), oa=oa, knowledge=ROOT / "knowledge", LOG_LEVEL="WARNING")
            async with running_bot(env, Path(tmp) / "bot.log") as bot:
                hook, timer, users = bot.url + "/zalo/oa", Timer(oa), itertools.count(1)
                await saturated(oa, timer, hook, users, 50)                        # warm-up
                result.saturated, lost_burst = await saturated(oa, timer, hook, users, args.burst)
                result.lost = lost_burst
                for rate in args.rates:
                    result.latencies[rate], lost = await steady(oa, timer, hook, users, rate, args.seconds)
                    result.lost += lost
                    await asyncio.sleep(1.0)                                   # let the queue drain
    return result


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short run (smaller burst, 4 s steady)")
    ap.add_argument("--rates", default="50,100", help="offered events/s for the latency figures, comma-separated")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--burst", type=int, default=2000)
    ap.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    args = ap.parse_args()
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if args.quick:
        args.burst, args.seconds = 500, 4.0
    print(f"Zalo OA webhook → rightsbot (Q&A, a new user per event) → fake OA; burst {args.burst}, "
          f"steady rates {args.rates} for {args.seconds:.0f} s each; {os.cpu_count()} cores shared by all")
    with tempfile.TemporaryDirectory() as tmp:
        print("\n".join((await scenario("zalo_oa webhook, SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args)).lines()))
    if args.pg:
        url, name = await fresh_pg(args.pg)
        try:
            print("\n".join((await scenario("zalo_oa webhook, PostgreSQL", url, args)).lines()))
        finally:
            await drop_pg(args.pg, name)
    else:
        print("PostgreSQL skipped (set TEST_DATABASE_URL or --pg)")


if __name__ == "__main__":
    asyncio.run(main())
