"""Several processes, one PostgreSQL database.

- Migrations at start-up are safe when processes start at the same moment (advisory lock).
- Two `rightsbot run` processes in webhook mode behind a (simulated) load balancer give exactly
  the results of one process: 200 students register and take a contest, each student's updates
  alternate between the processes and some are delivered to both at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from bot.storage.db import Database
from tests.conftest import PG_URL, TEST_KNOWLEDGE, _drop_pg_database, _fresh_pg_database
from tests.scale_support import (
    ROOT,
    Balancer,
    RecordingAPI,
    Student,
    bot_processes,
    cli,
    contest_file,
    create_contest,
    env_for_cli,
)

pytestmark = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped")

TEST_QUIZZES = ROOT / "tests" / "data" / "quizzes"
STUDENTS = 200
QUESTIONS = 10

# Each process imports everything, says "ready", and starts migrating when the test says "go"
# on its stdin: so all three start within a moment of each other however slow the imports are.
RACE = """
import asyncio, sys, time
from bot.storage.db import Database
async def main():
    db = Database(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    began = time.time()
    await db.upgrade()
    print(began, time.time())
    await db.close()
asyncio.run(main())
"""


async def test_migrations_from_processes_starting_at_the_same_moment(tmp_path: Path) -> None:
    url, name = await _fresh_pg_database()
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", RACE, url, env=env, stdin=asyncio.subprocess.PIPE,
                                                      stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                 for _ in range(3)]
        for p in procs:
            assert p.stdout is not None and p.stderr is not None
            line = await asyncio.wait_for(p.stdout.readline(), 60)
            assert line == b"ready\n", (line, (await p.stderr.read()).decode()[-2000:])
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
        outputs = [await p.communicate() for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], [o[1].decode()[-2000:] for o in outputs]
        spans = [tuple(map(float, o[0].split())) for o in outputs]
        # They really raced: all asked within a moment of each other, before the first had finished.
        assert max(s[0] for s in spans) < min(s[1] for s in spans), spans
        db = Database(url)
        try:
            async with db.session() as session:
                versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
                tables = (await session.execute(text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))).scalar_one()
        finally:
            await db.close()
        heads = cli(env_for_cli(url, TEST_QUIZZES, TEST_KNOWLEDGE), "db", "upgrade")     # a no-op now
        assert len(versions) == 1 and tables > 10, (versions, tables)
        assert heads is not None
    finally:
        await _drop_pg_database(name)


async def _run_contest(processes: int, tmp_path: Path) -> dict[str, object]:
    """Every student takes the contest through `processes` bot processes; the stored results."""
    url, name = await _fresh_pg_database()
    env = env_for_cli(url, TEST_QUIZZES, TEST_KNOWLEDGE)
    try:
        cli(env, "db", "upgrade")
        code = create_contest(env, contest_file(tmp_path / f"contest{processes}.yaml", QUESTIONS))
        async with RecordingAPI() as api, bot_processes(
                api, url, processes, tmp_path, QUIZZES_DIR=str(TEST_QUIZZES), KNOWLEDGE_DIR=str(TEST_KNOWLEDGE),
                FLOOD_MESSAGES="0") as bots:
            balancer = Balancer([b.url for b in bots])
            students = [Student(n, 880_000 + n, api, balancer, duplicate_every=5) for n in range(STUDENTS)]
            try:
                await asyncio.gather(*(s.take(code, QUESTIONS) for s in students))
            finally:
                await balancer.close()
            handled = [await _updates_handled(b.url) for b in bots]
            errors = [line for b in bots for line in b.log().splitlines() if "ERROR" in line or "Traceback" in line]
        # Every process took a fair share (each student's updates went to both).
        assert min(handled) > 0.3 * sum(handled) / processes, handled
        assert errors == [], errors[:20]
        cli(env, "contest", "close", code)
        return await _results(url, students)
    finally:
        await _drop_pg_database(name)


async def _updates_handled(url: str) -> float:
    """The process's own count of handled updates, from its /metrics."""
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as response:
        body = await response.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith('rightsbot_updates_total{channel="telegram"'))


async def _results(url: str, students: list[Student]) -> dict[str, object]:
    db = Database(url)
    try:
        async with db.session() as session:
            async def rows(sql: str) -> list[tuple[object, ...]]:
                return [tuple(r) for r in (await session.execute(text(sql))).all()]

            answers = await rows("SELECT u.platform_user_id, aa.question_no, aa.option, aa.correct FROM attempt_answers aa "
                                 "JOIN attempts a ON a.id = aa.attempt_id JOIN users u ON u.id = a.user_id "
                                 "ORDER BY 1, 2")
            attempts = await rows("SELECT u.platform_user_id, a.status, a.score, a.current_no, a.prediction "
                                  "FROM attempts a JOIN users u ON u.id = a.user_id ORDER BY 1")
            registrations = await rows("SELECT u.platform_user_id, r.unit_id, r.full_name FROM registrations r "
                                       "JOIN users u ON u.id = r.user_id ORDER BY 1")
            ranking = await rows("SELECT r.rank, u.platform_user_id, r.score, r.gap, r.prize FROM contest_rankings r "
                                 "JOIN registrations g ON g.id = r.registration_id JOIN users u ON u.id = g.user_id "
                                 "ORDER BY 1, 2")
            events = (await session.execute(text("SELECT count(*) FROM processed_events"))).scalar_one()
    finally:
        await db.close()
    # Each answer stored once, as the student pressed it, and the score is the count of right ones.
    sent = sorted((str(s.chat), no, option) for s in students for no, option in s.sent_answers)
    assert sorted((str(r[0]), r[1], r[2]) for r in answers) == sent
    assert {str(r[0]): r[2] for r in attempts} == {str(s.chat): s.expected_score for s in students}
    # Questions and option order are drawn at random per attempt: compare what is right or wrong.
    return {"answers": [(r[0], r[1], r[3]) for r in answers], "attempts": attempts, "registrations": registrations, "ranking": ranking,
            "events": events}


@pytest.mark.slow
async def test_two_processes_behind_a_balancer_give_the_results_of_one(tmp_path: Path) -> None:
    single = await _run_contest(1, tmp_path)
    double = await _run_contest(2, tmp_path)
    assert len(single["answers"]) == STUDENTS * QUESTIONS                          # type: ignore[arg-type]
    assert len(single["ranking"]) == STUDENTS                                      # type: ignore[arg-type]
    for key in ("answers", "attempts", "registrations", "ranking", "events"):
        assert double[key] == single[key], key
