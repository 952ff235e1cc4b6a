"""`rightsbot contest results`, `report`, `stats` and `kb gaps | add-phrasing | reload`, run as real
subprocesses against a database seeded through the engine."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from docx import Document
from PIL import Image

from bot.app import build_app
from bot.core.messages import Inbound
from bot.storage.content_versions import current_generation
from bot.storage.db import Database

from .conftest import ROOT, TEST_KNOWLEDGE, make_settings
from .contest_support import Clock
from .report_support import Person, quizzes_with_schools, run_contest


def rightsbot(tmp: Path, *args: str, knowledge: Path = TEST_KNOWLEDGE) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KNOWLEDGE_DIR=str(knowledge), QUIZZES_DIR=str(tmp / "quizzes"), LOG_LEVEL="WARNING",
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'cli.db'}")
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=180)


async def _seed(tmp: Path, knowledge: Path = TEST_KNOWLEDGE) -> str:
    quizzes = quizzes_with_schools(tmp, 0)
    clock = Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))     # a contest earlier this year
    app = await build_app(make_settings(f"sqlite+aiosqlite:///{tmp / 'cli.db'}", knowledge=knowledge,
                                        quizzes_dir=quizzes), clock=clock)
    try:
        for user, text in (("a", "giá vàng hôm nay"), ("b", "gia vang hom nay"), ("c", "tuoi ung cu")):
            await app.dialogue.handle(Inbound("console", user, user, text=text))
        contest = await run_contest(app, clock, [Person("an", "truong-a", "Nguyễn Văn An", 5, prediction=2),
                                                Person("chi", "truong-b", "=1+1", 2)])
    finally:
        await app.close()
    return contest.code


async def test_contest_results_report_and_stats_from_the_command_line(tmp_path: Path) -> None:
    code = await _seed(tmp_path)
    out = rightsbot(tmp_path, "contest", "results", code, "--xlsx", str(tmp_path / "r.xlsx"),
                    "--csv", str(tmp_path / "r.csv"), "--chart", str(tmp_path / "r.png"))
    assert out.returncode == 0, out.stderr
    assert "2 took part" in out.stdout and "first" in out.stdout
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames[:3] == ["Thiết lập", "Xếp hạng cá nhân", "Kết quả đơn vị"]
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1][2] == "Nguyễn Văn An" and rows[2][2] == "'=1+1"
    assert Image.open(tmp_path / "r.png").width > 600
    units = rightsbot(tmp_path, "contest", "results", code, "--by", "unit", "--csv", str(tmp_path / "u.csv"))
    assert units.returncode == 0 and "Trường THPT Hòa Bình" in units.stdout
    assert (tmp_path / "u.csv").read_text(encoding="utf-8-sig").startswith("Hạng,Đơn vị")
    # Staff of another organiser may not read it.
    refused = rightsbot(tmp_path, "contest", "--as", "telegram:9", "results", code)
    assert refused.returncode == 1 and "does not run" in refused.stderr

    started = time.perf_counter()
    report = rightsbot(tmp_path, "report", "--year", "2026", "--docx", str(tmp_path / "y.docx"),
                       "--xlsx", str(tmp_path / "y.xlsx"))
    elapsed = time.perf_counter() - started
    assert report.returncode == 0, report.stderr
    assert "1 contests, 3 questions" in report.stdout and elapsed < 60
    doc = Document(str(tmp_path / "y.docx"))
    assert len(doc.inline_shapes) == 4
    assert "Các cuộc thi" in openpyxl.load_workbook(tmp_path / "y.xlsx").sheetnames

    stats = rightsbot(tmp_path, "stats")
    assert stats.returncode == 0, stats.stderr
    assert "questions asked: 3" in stats.stdout and "console" in stats.stdout and code in stats.stdout
    assert "Nguyễn" not in stats.stdout and "giá vàng" not in stats.stdout          # no personal data, no texts


async def test_kb_gaps_add_phrasing_and_reload(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, knowledge)
    await _seed(tmp_path, knowledge)
    gaps = rightsbot(tmp_path, "kb", "gaps", knowledge=knowledge)
    assert gaps.returncode == 0, gaps.stderr
    assert "2×  «giá vàng hôm nay»" in gaps.stdout and "1 groups of 2 questions" in gaps.stdout

    added = rightsbot(tmp_path, "kb", "add-phrasing", "hr-day", "hôm nào là ngày nhân quyền", knowledge=knowledge)
    assert added.returncode == 0, added.stderr
    assert "rights.yaml:" in added.stdout and "reload requested (generation 1)" in added.stdout
    assert "- hôm nào là ngày nhân quyền" in (knowledge / "rights.yaml").read_text(encoding="utf-8")
    duplicate = rightsbot(tmp_path, "kb", "add-phrasing", "hr-day", "Hom nao la ngay nhan quyen?", knowledge=knowledge)
    assert duplicate.returncode == 1 and "already" in duplicate.stderr

    (knowledge / "rights.yaml").write_text("entries: [broken\n", encoding="utf-8")
    broken = rightsbot(tmp_path, "kb", "reload", knowledge=knowledge)
    assert broken.returncode == 1 and "rights.yaml:" in broken.stdout and "previous version" in broken.stderr
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    try:
        async with db.session() as session:
            assert await current_generation(session) == 1                 # a broken reload asks nobody to reload
    finally:
        await db.close()
