"""Property tests of the ranking rules and scoring (hypothesis), and loading the real question banks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.contests.ranking import Entry, award_prizes, counted_entries, rank_entries, score_answers, sort_key
from bot.quiz.bank import load_bank

from .conftest import ROOT

T0 = datetime(2026, 12, 1, tzinfo=UTC)

entries = st.lists(st.builds(
    Entry, registration_id=st.integers(1, 30), attempt_id=st.integers(1, 10_000), unit_id=st.sampled_from("ab"),
    score=st.integers(0, 20), n_questions=st.just(20), duration_ms=st.integers(0, 900_000),
    submitted=st.integers(0, 10_000).map(lambda s: T0 + timedelta(seconds=s)),
    started=st.integers(0, 10_000).map(lambda s: T0 + timedelta(seconds=s)),
    prediction=st.none() | st.integers(0, 100)), max_size=40, unique_by=lambda e: e.attempt_id)


@given(entries, st.none() | st.integers(0, 100))
def test_ranking_is_a_total_order_by_the_rules(items: list[Entry], actual: int | None) -> None:
    ranked = rank_entries(items, actual)
    assert [r.rank for r in ranked] == list(range(1, len(items) + 1))
    for upper, lower in zip(ranked, ranked[1:], strict=False):
        a, b = upper.entry, lower.entry
        assert a.score >= b.score
        if a.score == b.score and upper.gap is not None and lower.gap is not None:
            assert upper.gap <= lower.gap
        assert sort_key(a, actual) <= sort_key(b, actual)


@given(entries, st.none() | st.integers(0, 100))
def test_ranking_ignores_input_order(items: list[Entry], actual: int | None) -> None:
    forward = [r.entry.attempt_id for r in rank_entries(items, actual)]
    backward = [r.entry.attempt_id for r in rank_entries(list(reversed(items)), actual)]
    assert forward == backward


@given(entries, st.sampled_from(["best", "first"]))
def test_one_counted_attempt_per_person(items: list[Entry], counts: str) -> None:
    counted = counted_entries(items, counts)
    assert sorted(e.registration_id for e in counted) == sorted({e.registration_id for e in items})
    for chosen in counted:
        mine = [e for e in items if e.registration_id == chosen.registration_id]
        if counts == "best":
            assert chosen.score == max(e.score for e in mine)
        else:
            assert chosen.started == min(e.started for e in mine)


@given(entries, st.integers(0, 5), st.integers(0, 5))
def test_prizes_never_exceed_half(items: list[Entry], first: int, second: int) -> None:
    ranked = award_prizes(rank_entries(counted_entries(items, "best"), None), {"first": first, "second": second})
    won = [r for r in ranked if r.prize]
    assert len(won) <= len(ranked) // 2
    assert all(r.prize is not None for r in ranked[: len(won)])


@given(st.lists(st.booleans(), max_size=50))
def test_score_is_one_point_per_right_answer(answers: list[bool]) -> None:
    assert score_answers(answers) == answers.count(True)
    assert 0 <= score_answers(answers) <= len(answers)


def test_real_question_banks_load_without_errors() -> None:
    bank, problems = load_bank(ROOT / "quizzes")
    errors = [str(p) for p in problems if p.severity == "error"]
    assert not errors, "\n".join(errors[:20])
    assert len(bank.questions) >= 100 and bank.units


def test_fixture_bank_loads() -> None:
    bank, problems = load_bank(Path(__file__).resolve().parent / "data" / "quizzes")
    assert not problems
    assert len(bank.questions) == 16 and set(bank.units) >= {"doan", "truong-a", "truong-b"}
