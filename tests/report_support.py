"""Contests with results, made straight through the engine, for the report and curation tests."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from bot.app import App
from bot.contests.attempts import answer_question, load_attempt, start_contest_attempt, submit_prediction
from bot.contests.contests import ContestInfo, create_contest
from bot.contests.registration import Declared, register
from bot.contests.results import close_contest_now
from bot.contests.spec import ContestSpec
from bot.storage.users import get_or_create_user

from .contest_support import TEST_QUIZZES, Clock


@dataclass(frozen=True)
class Person:
    """Who takes part: their console id, unit, declared name, right answers, prediction, minutes taken."""

    user: str
    unit: str
    name: str
    right: int
    prediction: int | None = None
    minutes: float = 5.0
    birth_year: int | None = None
    class_name: str | None = None
    phone: str | None = None


def quizzes_with_schools(tmp: Path, schools: int) -> Path:
    """The test question banks with `schools` extra schools under `doan` (members 10, 20, 30 …)."""
    target = tmp / "quizzes"
    shutil.copytree(TEST_QUIZZES, target)
    data = yaml.safe_load((target / "units.yaml").read_text(encoding="utf-8"))
    for i in range(1, schools + 1):
        data["units"].append({"id": f"s{i:02d}", "name": f"Trường THCS Số {i} Đồng Nai", "kind": "school",
                              "parent": "doan", "members": 10 * i, "sample": True})
    (target / "units.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


async def run_contest(app: App, clock: Clock, people: list[Person], *, code: str = "KQ24A", organiser: str = "doan",
                      questions: int = 5, fields: tuple[str, ...] = ("name",), rounds: str = "none",
                      days: int = 2, close: bool = True, spread_days: bool = True) -> ContestInfo:
    """Create a contest opening now; each person takes one attempt (a day apart when `spread_days`); close it."""
    spec = ContestSpec(title="Tìm hiểu quyền trẻ em 2026", organiser=organiser, opens=clock(),
                       closes=clock() + timedelta(days=days), questions=questions, time_limit_min=30,
                       attempts=1, fields=fields, prediction="participants", rounds=rounds, code=code)
    async with app.db.session() as session:
        contest = await create_contest(session, spec, created_by="console:admin", now=clock())
        await session.commit()
    start = clock.now
    rng = random.Random(4)
    for i, person in enumerate(people):
        if spread_days:
            clock.now = start + timedelta(days=(i * days) // max(1, len(people)), minutes=i % 240)
        async with app.db.session() as session:
            user = await get_or_create_user(session, platform="console", platform_user_id=person.user, language="vi")
            assert user.id is not None
            reg = await register(session, contest_id=contest.id, user_id=user.id, now=clock(), declared=Declared(
                person.unit, person.name, person.birth_year, person.class_name, person.phone))
            assert reg is not None and reg.id is not None
            attempt_id = await start_contest_attempt(session, app.quizzes, contest, registration_id=reg.id,
                                                     user_id=user.id, channel="console", chat_id=person.user,
                                                     lang="vi", now=clock(), rng=rng)
            view = await load_attempt(session, attempt_id)
            assert view is not None
            for no, question in enumerate(view.snapshot.questions):
                option = question.correct if no < person.right else (question.correct + 1) % 4
                await answer_question(session, attempt_id=attempt_id, user_id=user.id, question_no=no, option=option,
                                      now=clock() + timedelta(minutes=person.minutes * (no + 1) / questions))
            await submit_prediction(session, attempt_id=attempt_id, user_id=user.id,
                                    value=person.prediction if person.prediction is not None else 999,
                                    now=clock() + timedelta(minutes=person.minutes))
            await session.commit()
    clock.now = start + timedelta(days=days, hours=1) if close else clock.now
    if close:
        async with app.db.session() as session:
            await close_contest_now(session, contest, app.quizzes.units, clock())
            await session.commit()
    async with app.db.session() as session:
        from bot.contests.contests import find_contest

        found = await find_contest(session, code)
    assert found is not None
    return found
