"""Admin commands as real subprocesses: kb check on the question banks, spreadsheet imports,
staff roles and contests from the command line, and the terminal chat picking a unit by number."""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from openpyxl import Workbook

from bot.quiz.bank import load_bank
from bot.quiz.importer import QUESTION_COLUMNS, UNIT_COLUMNS

from .conftest import ROOT, TEST_KNOWLEDGE
from .contest_support import TEST_QUIZZES


def run(*args: str, tmp: Path, quizzes: Path = TEST_QUIZZES, stdin: str | None = None,
        admins: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KNOWLEDGE_DIR=str(TEST_KNOWLEDGE), QUIZZES_DIR=str(quizzes), LOG_LEVEL="INFO",
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'cli.db'}", ADMINS=admins)
    for name in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "ZALO_OA_APP_ID"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=tmp, timeout=120)


# ---- kb check on the question banks ------------------------------------------------------------------


def test_kb_check_real_quizzes_has_no_errors(tmp_path: Path) -> None:
    out = run("kb", "check", "--quiet", tmp=tmp_path, quizzes=ROOT / "quizzes")
    assert out.returncode == 0, out.stdout
    summary = out.stdout.strip().splitlines()[-1]
    assert re.search(r"^\d+ quiz questions \(\d+ in English\) in 6 topics, \d+ units; 0 errors, \d+ warnings, "
                     r"\d+ marked for review$", summary), summary


GOOD_Q = """  - id: {id}
    difficulty: easy
    question: "{question}"
    options: ["{a}", "Hai", "Ba", "Bốn"]
    answer: A
    explanation: "Vì vậy."
    source: "Hiến pháp 2013, Điều 1"
"""


def _bank(folder: Path) -> Path:
    """A quizzes folder with one broken thing of each kind; returns it."""
    folder.mkdir()
    head = "topic: {id: t1, vi: Chủ đề, en: Topic}\ngroup: general\nquestions:\n"
    questions = [
        GOOD_Q.format(id="q-1", question="Việt Nam ký công ước này năm nào?", a="Một"),            # line 4
        GOOD_Q.format(id="q-1", question="Một câu khác hẳn về quyền học tập?", a="Năm"),           # 11: duplicate id
        "  - id: q-3\n    question: Ba phương án?\n    options: [a, b, c]\n    answer: A\n    source: x\n",  # 18
        "  - id: q-4\n    question: Không có đáp án?\n    options: [a, b, c, d]\n    answer: E\n    source: x\n",  # 23
        "  - id: q-5\n    question: Trùng phương án?\n    options: [a, a, c, d]\n    answer: a\n    source: x\n",  # 28
        "  - id: q-6\n    question: Không có nguồn?\n    options: [a, b, c, d]\n    answer: B\n",                  # 33
        GOOD_Q.format(id="q-7", question="Q" * 301, a="Một"),                                          # 37: long
        GOOD_Q.format(id="q-8", question="Viet Nam ky cong uoc nay nam nao?", a="Một"),            # 44: near dup
        GOOD_Q.format(id="q-9", question="Câu cần xác nhận?", a="Chín").replace("    source", "    review: true\n    source"),
    ]
    (folder / "t1.yaml").write_text(head + "".join(questions), encoding="utf-8")
    (folder / "units.yaml").write_text("units:\n  - id: a\n    name: A\n    kind: school\n    parent: nowhere\n",
                                       encoding="utf-8")
    return folder


def test_kb_check_reports_each_quiz_error_with_path_and_line(tmp_path: Path) -> None:
    bank = _bank(tmp_path / "q")
    out = run("kb", "check", "--quiet", tmp=tmp_path, quizzes=bank)
    assert out.returncode == 1
    f, u = bank / "t1.yaml", bank / "units.yaml"
    expected = [
        f"{f}:11: error: duplicate question id 'q-1' (first at {f}:4)",
        f"{f}:20: error: q-3: `options` must be a list of exactly 4 non-empty texts",
        f"{f}:26: error: q-4: `answer` must be a letter A–D or the exact text of exactly one option",
        f"{f}:30: error: q-5: two options are the same",
        f"{f}:33: error: q-6: missing `source`",
        f"{u}:2: error: unit a: unknown parent 'nowhere'",
        f"{f}:37: warning: q-7: question (vi) is 301 characters > 300",
        f"{f}:44: warning: q-8 asks almost the same as q-1 ({f}:4, 100% alike); keep one",
    ]
    for line in expected:
        assert line in out.stdout, (line, out.stdout)
    assert "4 quiz questions (0 in English) in 1 topics, 1 units; 6 errors, 2 warnings, 1 marked for review" in out.stdout


def test_kb_stats_counts_quizzes(tmp_path: Path) -> None:
    out = run("kb", "stats", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    bank, _ = load_bank(TEST_QUIZZES)
    assert re.search(rf"^total\s+{len(bank.questions)}\s", out.stdout.split("quiz group")[1], re.M)
    assert "Quiz English coverage:" in out.stdout


# ---- spreadsheet imports -----------------------------------------------------------------------------


def _question_row(qid: str, **overrides: object) -> list[object]:
    row: dict[str, object] = {
        "id": qid, "topic": "rights", "group": "general", "difficulty": "easy",
        "question": f"Câu hỏi nhập số {qid} về quyền con người?", "a": "Một", "b": 1990, "c": "Ba", "d": "Bốn",
        "answer": "B", "explanation": "Giải thích.", "source": "Hiến pháp 2013, Điều 14",
        "question_en": f"Imported question {qid}?", "a_en": "One", "b_en": "1990", "c_en": "Three", "d_en": "Four",
        "explanation_en": "Because.",
    }
    row.update(overrides)
    return [row[c] for c in QUESTION_COLUMNS]


def _xlsx(path: Path, header: tuple[str, ...], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([c.upper() if len(c) == 1 else c for c in header])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _copy_quizzes(tmp_path: Path) -> Path:
    target = tmp_path / "quizzes"
    target.mkdir()
    for source in TEST_QUIZZES.glob("*.yaml"):
        (target / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_quiz_import_xlsx_writes_yaml_that_checks_clean(tmp_path: Path) -> None:
    quizzes = _copy_quizzes(tmp_path)
    sheet = _xlsx(tmp_path / "Câu hỏi mới.xlsx", QUESTION_COLUMNS,
                  [_question_row("imp-001"), _question_row("imp-002", question_en="", a_en="", b_en="", c_en="",
                                                           d_en="", explanation_en="")])
    out = run("quiz", "import", str(sheet), tmp=tmp_path, quizzes=quizzes)
    assert out.returncode == 0, out.stdout + out.stderr
    written = quizzes / "imported-cau-hoi-moi.yaml"
    assert f"wrote 2 questions to {written}" in out.stdout
    bank, problems = load_bank(quizzes)
    assert not [p for p in problems if p.severity == "error"], problems
    first = bank.questions["imp-001"]
    assert first.vi.options[first.answer] == "1990" and first.en is not None and first.topic == "rights"
    assert bank.questions["imp-002"].en is None
    assert run("kb", "check", "--quiet", tmp=tmp_path, quizzes=quizzes).returncode == 0
    # never over an existing file without --force; with it, the same ids replace themselves
    before = written.read_text(encoding="utf-8")
    again = run("quiz", "import", str(sheet), tmp=tmp_path, quizzes=quizzes)
    assert again.returncode == 1 and "--force" in again.stderr
    assert written.read_text(encoding="utf-8") == before
    assert run("quiz", "import", str(sheet), "--force", tmp=tmp_path, quizzes=quizzes).returncode == 0


def test_quiz_import_reports_bad_rows_by_number_and_writes_nothing(tmp_path: Path) -> None:
    quizzes = _copy_quizzes(tmp_path)
    rows = [
        _question_row("imp-001"),                                  # row 2: fine
        _question_row("imp-002", c=""),                            # row 3: 3 options
        _question_row("imp-003", answer="E"),                      # row 4: bad answer letter
        _question_row("imp-004", source=""),                       # row 5: no source
        _question_row("imp-001"),                                  # row 6: duplicate in the sheet
        _question_row("imp-006", b="Một"),                         # row 7: correct option duplicated
        _question_row("imp-007", a_en=""),                         # row 8: half an English version
        _question_row("imp-008", question="Q" * 320),              # row 9: too long (a warning)
    ]
    sheet = _xlsx(tmp_path / "bad.xlsx", QUESTION_COLUMNS, rows)
    out = run("quiz", "import", str(sheet), tmp=tmp_path, quizzes=quizzes)
    assert out.returncode == 1
    s = str(sheet)
    for expected in [f"{s}:3: error: imp-002: columns A, B, C and D", f"{s}:4: error: imp-003: `answer` must be",
                     f"{s}:5: error: imp-004: missing `source`", f"{s}:6: error: imp-001: duplicate question id (already at row 2)",
                     f"{s}:7: error: imp-006: two options are the same", f"{s}:8: error: imp-007: English needs",
                     f"{s}:9: warning: imp-008: question (vi) is 320 characters > 300"]:
        assert expected in out.stdout, (expected, out.stdout)
    assert "nothing written" in out.stdout
    assert not list(quizzes.glob("imported-*"))


def test_quiz_import_csv_checks_ids_against_the_bank(tmp_path: Path) -> None:
    quizzes = _copy_quizzes(tmp_path)
    existing = next(iter(load_bank(quizzes)[0].questions))
    sheet = tmp_path / "q.csv"
    with sheet.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(QUESTION_COLUMNS)
        writer.writerow(_question_row(existing))
        writer.writerow(_question_row("imp-x", topic="brand-new"))
    out = run("quiz", "import", str(sheet), tmp=tmp_path, quizzes=quizzes)
    assert out.returncode == 1
    assert f"{sheet}:2: error: {existing}: duplicate question id (already at {quizzes}" in out.stdout
    assert f"{sheet}:3: error: imp-x: topic 'brand-new' is new" in out.stdout


def test_units_import_good_and_bad(tmp_path: Path) -> None:
    quizzes = _copy_quizzes(tmp_path)
    good = tmp_path / "units.csv"
    with good.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(UNIT_COLUMNS)
        writer.writerows([["sgd", "Sở Giáo dục", "agency", "", ""], ["thpt-1", "Trường THPT Số 1", "school", "sgd", "1250"]])
    refused = run("units", "import", str(good), tmp=tmp_path, quizzes=quizzes)
    assert refused.returncode == 1 and "units.yaml exists" in refused.stderr
    out = run("units", "import", str(good), "--out", str(tmp_path / "new-units.yaml"), tmp=tmp_path, quizzes=quizzes)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "units of the current list are not in the sheet" in out.stdout      # a warning: the sample units go
    data = yaml.safe_load((tmp_path / "new-units.yaml").read_text(encoding="utf-8"))
    assert data["units"][1] == {"id": "thpt-1", "name": "Trường THPT Số 1", "kind": "school", "parent": "sgd",
                                "members": 1250, "sample": False}
    bad = _xlsx(tmp_path / "units.xlsx", UNIT_COLUMNS, [
        ["sgd", "Sở", "agency", None, None], ["Bad Id", "X", "school", "sgd", None], ["t2", "Y", "castle", "sgd", None],
        ["t3", "Z", "school", "nowhere", None], ["t4", "W", "school", "sgd", "many"], ["sgd", "Again", "agency", None, None]])
    out = run("units", "import", str(bad), "--out", str(tmp_path / "bad.yaml"), tmp=tmp_path, quizzes=quizzes)
    assert out.returncode == 1 and not (tmp_path / "bad.yaml").exists()
    b = str(bad)
    for expected in [f"{b}:3: error: unit Bad Id: `id` must be", f"{b}:4: error: unit t2: `kind` must be one of",
                     f"{b}:5: error: unit t3: unknown parent 'nowhere'", f"{b}:6: error: unit t4: `members` must be",
                     f"{b}:7: error: duplicate unit id 'sgd' (first at row 2)"]:
        assert expected in out.stdout, (expected, out.stdout)


# ---- staff and contests ------------------------------------------------------------------------------


def _contest_file(tmp_path: Path, organiser: str = "doan") -> Path:
    now = datetime.now()
    path = tmp_path / "contest.yaml"
    path.write_text(f"title: Tìm hiểu quyền trẻ em\norganiser: {organiser}\n"
                    f"opens: {(now - timedelta(hours=1)):%Y-%m-%d %H:%M}\ncloses: {(now + timedelta(days=2)):%Y-%m-%d %H:%M}\n"
                    "questions: 3\ntime_limit: 10\nfields: [name]\nprediction: off\n", encoding="utf-8")
    return path


def test_staff_grant_then_staff_creates_and_closes_a_contest(tmp_path: Path) -> None:
    spec = _contest_file(tmp_path)
    granted = run("staff", "grant", "telegram:555", "doan", tmp=tmp_path)
    assert granted.returncode == 0 and "telegram:555 is now staff of doan" in granted.stdout
    assert "staff role granted: telegram:555 for unit doan by cli" in granted.stderr       # logged, ids only
    assert "telegram:555" in run("staff", "list", tmp=tmp_path).stdout
    assert run("staff", "grant", "telegram:555", "nowhere", tmp=tmp_path).returncode == 1
    # someone without the role is refused; the staff member creates it
    refused = run("contest", "--as", "telegram:556", "create", "--file", str(spec), tmp=tmp_path)
    assert refused.returncode == 1 and "not staff of doan" in refused.stderr
    created = run("contest", "--as", "telegram:555", "create", "--file", str(spec), tmp=tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    code = re.search(r"created ([A-Z0-9]+) ", created.stdout).group(1)  # type: ignore[union-attr]
    listed = run("contest", "--as", "telegram:555", "list", tmp=tmp_path).stdout
    assert code in listed and "Tìm hiểu quyền trẻ em" in listed
    assert code not in run("contest", "--as", "telegram:556", "list", tmp=tmp_path).stdout
    shown = run("contest", "--as", "telegram:555", "show", code.lower(), tmp=tmp_path)
    assert "organiser: doan" in shown.stdout and "round 1:" in shown.stdout and "(open)" in shown.stdout
    assert run("contest", "--as", "telegram:556", "close", code, tmp=tmp_path).returncode == 1
    closed = run("contest", "--as", "telegram:555", "close", code, tmp=tmp_path)
    assert closed.returncode == 0 and f"closed {code}: 1 round(s) ranked" in closed.stdout
    assert "status: closed" in run("contest", "show", code, tmp=tmp_path).stdout


def test_contest_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Thi thử\norganiser: nowhere\nopens: 2026-12-01 08:00\ncloses: 2026-12-02 08:00\n"
                   "topics: [zz]\n", encoding="utf-8")
    out = run("contest", "create", "--file", str(bad), tmp=tmp_path)
    assert out.returncode == 1
    assert f"{bad}:2: error: `organiser`: unknown unit 'nowhere'" in out.stdout
    assert f"{bad}:5: error: `topics`: unknown topic 'zz'" in out.stdout
    bad.write_text("title: Thi thử\norganiser: doan\nopens: 2026-12-01 08:00\ncloses: 2026-11-01 08:00\n", encoding="utf-8")
    assert f"{bad}:4: error: `closes` must be after `opens`" in run("contest", "create", "--file", str(bad), tmp=tmp_path).stdout


def test_terminal_chat_student_picks_unit_by_typed_number(tmp_path: Path) -> None:
    """In the console channel, "2" picks the second unit shown, end to end."""
    created = run("contest", "create", "--file", str(_contest_file(tmp_path)), tmp=tmp_path)
    code = re.search(r"created ([A-Z0-9]+) ", created.stdout).group(1)  # type: ignore[union-attr]
    chat = run("chat", tmp=tmp_path, stdin=f"/thi {code}\n1\nhoa\n2\nNguyễn Văn An\n/quit\n")
    assert chat.returncode == 0, chat.stderr
    assert "1. Trường THPT Hòa Bình" in chat.stdout and "2. Trường THPT Hòa Hợp" in chat.stdout
    assert "Họ và tên" in chat.stdout and "Đơn vị: Trường THPT Hòa Hợp" in chat.stdout
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("SELECT unit_id, full_name FROM registrations").fetchall() == [("truong-b", "Nguyễn Văn An")]
