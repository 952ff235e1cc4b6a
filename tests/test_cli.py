"""The `rightsbot` command line, run as a real subprocess (it is a contract for scripts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, TEST_KNOWLEDGE


def run(*args: str, stdin: str | None = None, tmp: Path | None = None, knowledge: Path = TEST_KNOWLEDGE) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KNOWLEDGE_DIR=str(knowledge), LOG_LEVEL="WARNING")
    env.pop("TELEGRAM_BOT_TOKEN", None)
    if tmp is not None:
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'cli.db'}"
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=tmp or ROOT, timeout=120)


def test_ask_json_contract() -> None:
    out = run("ask", "--json", "tuoi ung cu")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["matched"] is True
    assert data["entry_id"] == "age-candidate"
    assert "21 tuổi" in data["answer"] and "Nguồn: Hiến pháp 2013, Điều 27" in data["answer"]
    assert 0 <= data["score"] <= 100
    assert data["lang"] == "vi"
    assert isinstance(data["suggestions"], list)


def test_ask_batch_keeps_order_and_abstains(tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text("tuoi ung cu\nGiá vàng hôm nay\nWhen was the Universal Declaration of Human Rights adopted?\n", encoding="utf-8")
    out = run("ask", "--json", "--batch", str(questions))
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["matched"] for r in rows] == [True, False, True]
    assert rows[1]["answer"] is None
    assert rows[2]["lang"] == "en" and "1948" in rows[2]["answer"]


def test_eval_grades_and_exits_by_threshold(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - q: tuoi ung cu bao nhieu\n    expect: ['21']\n"
        "  - q: Ngày nhân quyền là ngày nào\n    expect: ['10/12']\n"
        "  - q: cach nau pho\n    abstain: true\n"
        "  - q: tuoi bau cu\n    expect: ['99']\n",
        encoding="utf-8",
    )
    out = run("eval", str(cases), "--min-answered", "0.6")
    assert "answered correctly 2/3 = 0.667; abstained correctly 1/1 = 1.000" in out.stdout
    assert "FAIL 'tuoi bau cu'" in out.stdout
    assert out.returncode == 0
    assert run("eval", str(cases), "--min-answered", "0.9").returncode == 1


def test_kb_check_exit_codes(tmp_path: Path) -> None:
    good = run("kb", "check", str(TEST_KNOWLEDGE))
    assert good.returncode == 0 and "0 errors" in good.stdout
    bad = tmp_path / "kb"
    bad.mkdir()
    (bad / "x.yaml").write_text("entries:\n  - id: a\n    questions: [q]\n    answer: [not, text]\n", encoding="utf-8")
    out = run("kb", "check", str(bad))
    assert out.returncode == 1
    assert f"{bad / 'x.yaml'}:4: error: `answer` must be a non-empty text" in out.stdout


def test_terminal_chat_numbered_choices(tmp_path: Path) -> None:
    out = run("chat", stdin="/chude\n1\n1\n/quit\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1. Quyền cơ bản" in out.stdout
    assert "1. Tuyên ngôn thế giới về nhân quyền được thông qua khi nào?" in out.stdout
    assert "10/12/1948" in out.stdout


def test_run_without_tokens_opens_chat(tmp_path: Path) -> None:
    out = run("run", stdin="tuoi ung cu\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "No platform channel is configured" in out.stderr
    assert "21 tuổi" in out.stdout


def test_db_upgrade(tmp_path: Path) -> None:
    out = run("db", "upgrade", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "cli.db").exists()
