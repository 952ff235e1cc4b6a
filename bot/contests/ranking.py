"""Pure ranking rules: which attempt counts, the order of people, prizes, and unit results.

Order (contests-vn.md): score desc → |prediction − actual| asc → time taken asc → submitted asc.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

NO_PREDICTION = 10**12          # a missing prediction ranks after every real one
PRIZES = ("first", "second", "third", "consolation")


@dataclass(frozen=True)
class Entry:
    """One finished attempt, as the ranking sees it."""

    registration_id: int
    attempt_id: int
    unit_id: str
    score: int
    n_questions: int
    duration_ms: int
    submitted: datetime
    started: datetime
    prediction: int | None = None


@dataclass(frozen=True)
class Ranked:
    """A person's place: the attempt that counts, its gap to the actual figure, and any prize."""

    rank: int
    entry: Entry
    gap: int | None
    prize: str | None = None


@dataclass(frozen=True)
class UnitResult:
    """How one unit did: participants, rate, average, full scores, prize points and total points."""

    unit_id: str
    participants: int
    members: int | None
    rate: float | None
    average: float
    full_scores: int
    prize_points: float
    points: float


def score_answers(correct: Iterable[bool]) -> int:
    """One point per right answer, no negative marks."""
    return sum(1 for c in correct if c)


def gap(prediction: int | None, actual: int | None) -> int | None:
    return None if prediction is None or actual is None else abs(prediction - actual)


def sort_key(entry: Entry, actual: int | None) -> tuple[int, int, int, datetime, int]:
    g = gap(entry.prediction, actual)
    return (-entry.score, NO_PREDICTION if g is None else g, entry.duration_ms, entry.submitted, entry.attempt_id)


def counted_entries(entries: Iterable[Entry], counts: str, actual: int | None = None) -> list[Entry]:
    """Each person's attempt that counts: their first one, or their best by the ranking order."""
    chosen: dict[int, Entry] = {}
    for entry in entries:
        held = chosen.get(entry.registration_id)
        if held is None:
            chosen[entry.registration_id] = entry
        elif counts == "first":
            if (entry.started, entry.attempt_id) < (held.started, held.attempt_id):
                chosen[entry.registration_id] = entry
        elif sort_key(entry, actual) < sort_key(held, actual):
            chosen[entry.registration_id] = entry
    return list(chosen.values())


def actual_figure(kind: str, counted: Sequence[Entry]) -> int | None:
    """The true answer to the prediction question once the round has closed."""
    if kind == "participants":
        return len(counted)
    if kind == "full_scores":
        return sum(1 for e in counted if e.score == e.n_questions)
    return None


def rank_entries(entries: Iterable[Entry], actual: int | None) -> list[Ranked]:
    """The ranking, 1 to N with no shared places (the last keys always separate people)."""
    ordered = sorted(entries, key=lambda e: sort_key(e, actual))
    return [Ranked(rank=i, entry=e, gap=gap(e.prediction, actual)) for i, e in enumerate(ordered, start=1)]


def award_prizes(ranking: Sequence[Ranked], prizes: Mapping[str, int], cap: float = 0.5) -> list[Ranked]:
    """Prizes down the ranking (first, second, third, consolation), never to more than `cap` of participants."""
    limit = int(len(ranking) * cap) if cap < 1 else len(ranking)
    labels = [p for p in PRIZES for _ in range(max(0, int(prizes.get(p, 0))))][:limit]
    return [replace(r, prize=labels[i] if i < len(labels) else None) for i, r in enumerate(ranking)]


def unit_results(ranking: Sequence[Ranked], members: Mapping[str, int | None],
                 points: Mapping[str, float]) -> list[UnitResult]:
    """Per unit: participants, rate (when members are known), average, full scores, and
    points = rate × points['rate'] + the points of each prize won. Best first."""
    by_unit: dict[str, list[Ranked]] = {u: [] for u in members}
    for r in ranking:
        by_unit.setdefault(r.entry.unit_id, []).append(r)
    rows = [_unit_row(unit, rows, members.get(unit), points) for unit, rows in by_unit.items()]
    return sorted(rows, key=lambda u: (-u.points, -u.participants, -u.average, u.unit_id))


def _unit_row(unit: str, rows: list[Ranked], member_count: int | None, points: Mapping[str, float]) -> UnitResult:
    n = len(rows)
    rate = n / member_count if member_count else None
    average = sum(r.entry.score for r in rows) / n if n else 0.0
    full = sum(1 for r in rows if r.entry.score == r.entry.n_questions)
    prize_points = float(sum(points.get(r.prize, 0) for r in rows if r.prize))
    total = (rate or 0.0) * float(points.get("rate", 100)) + prize_points
    return UnitResult(unit, n, member_count, rate, round(average, 2), full, prize_points, round(total, 2))
