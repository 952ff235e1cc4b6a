"""Q&A matcher benchmark: start-up, latency and throughput, and accuracy beside a naive baseline.

Run with `make bench` (or `python bench/qa_bench.py`). Prints its figures; asserts nothing.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import match_json  # noqa: E402
from bot.qa.grading import passes  # noqa: E402
from bot.qa.knowledge import Entry, KnowledgeBase, Version, load_knowledge  # noqa: E402
from bot.qa.matcher import Matcher  # noqa: E402

DEV_SET = ROOT.parent / "shared" / "eval" / "qa-dev.yaml"
BASELINE_CUTOFF = 70


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def time_queries(matcher: Matcher, queries: list[str], rounds: int) -> tuple[float, float, float]:
    """p50 and p99 in milliseconds, and queries per second, on one core."""
    latencies = []
    start = time.perf_counter()
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            matcher.match(q)
            latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - start
    return percentile(latencies, 50), percentile(latencies, 99), len(latencies) / elapsed


def synthetic_kb(base: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """The real entries plus made-up ones built from the real vocabulary, up to `size`."""
    rng = random.Random(seed)
    words = sorted({w for e in base.entries.values() for q in e.vi.questions for w in q.lower().split()})
    kb = KnowledgeBase(entries=dict(base.entries), topics=dict(base.topics), synonyms=base.synonyms,
                       smalltalk=base.smalltalk)
    i = 0
    while len(kb.entries) < size:
        i += 1
        questions = tuple(" ".join(rng.sample(words, rng.randint(4, 10))) + "?" for _ in range(5))
        answer = " ".join(rng.sample(words, 40))
        kb.entries[f"synthetic-{i}"] = Entry(id=f"synthetic-{i}", topic="synthetic", vi=Version(questions, answer),
                                             en=None, sources=("synthetic",))
    return kb


def accuracy(cases: list[dict[str, object]], answer_of: object) -> tuple[float, float]:
    got_in = [passes(c, answer_of(c["q"])) for c in cases if not c.get("abstain")]  # type: ignore[operator]
    got_out = [passes(c, answer_of(c["q"])) for c in cases if c.get("abstain")]  # type: ignore[operator]
    return sum(got_in) / max(len(got_in), 1), sum(got_out) / max(len(got_out), 1)


def baseline(kb: KnowledgeBase) -> object:
    """rapidfuzz.process.extractOne with WRatio on raw text and a fixed cutoff."""
    choices: list[str] = []
    owners: list[Entry] = []
    for entry in kb.entries.values():
        for version in (entry.vi, entry.en):
            for q in version.questions if version else ():
                choices.append(q)
                owners.append(entry)

    def answer(question: str) -> dict[str, object]:
        found = process.extractOne(question, choices, scorer=fuzz.WRatio, score_cutoff=BASELINE_CUTOFF)
        if found is None:
            return {"matched": False, "answer": None}
        entry = owners[found[2]]
        return {"matched": True, "answer": entry.vi.answer + " " + (entry.en.answer if entry.en else "")}

    return answer


def main() -> None:
    t0 = time.perf_counter()
    kb, _ = load_knowledge(ROOT / "knowledge")
    loaded = time.perf_counter()
    matcher = Matcher(kb)
    indexed = time.perf_counter()
    print(f"start-up (bundled, {len(kb.entries)} entries): load {1000 * (loaded - t0):.0f} ms, "
          f"index {1000 * (indexed - loaded):.0f} ms, total {1000 * (indexed - t0):.0f} ms (target <= 1000 ms)")

    cases = yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))["cases"] if DEV_SET.is_file() else []
    queries = [str(c["q"]) for c in cases] or [e.vi.questions[0] for e in kb.entries.values()][:50]
    p50, p99, qps = time_queries(matcher, queries, rounds=5)
    print(f"latency (bundled KB): p50 {p50:.2f} ms, p99 {p99:.2f} ms, {qps:.0f} queries/s on one core")

    big = synthetic_kb(kb, 5000)
    t1 = time.perf_counter()
    big_matcher = Matcher(big)
    print(f"start-up (synthetic, {len(big.entries)} entries): index {1000 * (time.perf_counter() - t1):.0f} ms")
    p50, p99, qps = time_queries(big_matcher, queries, rounds=3)
    print(f"latency (5,000 entries): p50 {p50:.2f} ms, p99 {p99:.2f} ms, {qps:.0f} queries/s (target p99 <= 5 ms)")

    if cases:
        ours = accuracy(cases, lambda q: match_json(matcher, matcher.match(q)))
        naive = accuracy(cases, baseline(kb))
        print(f"dev set, rightsbot matcher:  answered {ours[0]:.3f}, abstained {ours[1]:.3f}")
        print(f"dev set, naive WRatio >= {BASELINE_CUTOFF}: answered {naive[0]:.3f}, abstained {naive[1]:.3f}")
    else:
        print(f"dev set not found at {DEV_SET}: accuracy skipped")


if __name__ == "__main__":
    main()
