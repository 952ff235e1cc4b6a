"""Broken YAML is refused with file:line errors and the running bot keeps its last good data
(issue 9): malformed YAML, wrong types, duplicate ids, a 50 MB file, and tags that try to build
Python objects, for the knowledge base and the question banks; loading is always safe."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.core.content_reload import reload_bank
from bot.qa.store import KnowledgeStore
from bot.quiz.bank import load_bank
from tests.conftest import ROOT, TEST_KNOWLEDGE

from .contest_support import TEST_QUIZZES
from .reliability_support import record

PWNED = "rb-yaml-pwned"
BROKEN = {
    "malformed": "entries:\n  - id: x\n    answer: \"never closed\n",
    "wrong_types": "topic: [1, 2]\nentries:\n  - id: 12\n    questions: 7\n    answer: {a: b}\n",
    "python_object": f"topic: !!python/object/apply:os.system ['touch /tmp/{PWNED}']\nentries: []\n",
    "python_name": "topic: !!python/name:os.system\nentries: []\n",
}


def _error_lines(problems: list) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


@pytest.mark.parametrize("kind", [*BROKEN, "duplicate_id", "huge"])
def test_broken_knowledge_is_refused_with_file_and_line_and_the_last_good_keeps_serving(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, folder)
    store = KnowledgeStore(folder)
    assert not _error_lines(store.reload())
    entries = len(store.kb.entries)
    answer = store.matcher.match("tuyen ngon nhan quyen thong qua nam nao").entry
    bad = folder / "broken.yaml"
    if kind == "duplicate_id":
        bad.write_text((folder / "rights.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    elif kind == "huge":
        with bad.open("wb") as f:
            f.truncate(50 * 1024 * 1024)          # 50 MB, refused before it is read
    else:
        bad.write_text(BROKEN[kind], encoding="utf-8")
    errors = _error_lines(store.reload())
    assert errors, kind
    assert all(re.match(rf"^{re.escape(str(folder))}/\S+\.yaml:\d+: error: ", e) for e in errors), errors
    assert any(str(bad) in e for e in errors)
    if kind == "malformed":
        assert any(":4: error: YAML error" in e or ":3: error: YAML error" in e for e in errors), errors
    assert len(store.kb.entries) == entries, "the last good knowledge base must keep serving"
    assert store.matcher.match("tuyen ngon nhan quyen thong qua nam nao").entry == answer
    assert not Path(f"/tmp/{PWNED}").exists()
    record(f"yaml_{kind}", refused=True, errors=len(errors), kept_last_good=True)


def test_broken_question_bank_keeps_the_last_good_one(tmp_path: Path) -> None:
    folder = tmp_path / "quizzes"
    shutil.copytree(TEST_QUIZZES, folder)
    bank, problems = load_bank(folder)
    assert not _error_lines(problems)
    questions = dict(bank.questions)
    for name, text in BROKEN.items():
        (folder / f"{name}.yaml").write_text(text.replace("topic:", "questions:"), encoding="utf-8")
    (folder / "dup.yaml").write_text((folder / "rights.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    errors = reload_bank(bank, folder)
    assert errors and all(re.search(r"\.yaml:\d+: error: ", str(e)) for e in errors)
    assert bank.questions == questions
    assert not Path(f"/tmp/{PWNED}").exists()


def test_yaml_is_only_ever_loaded_safely() -> None:
    """No unsafe loader anywhere in the package; the round-trip editor (add-phrasing) keeps a Python
    tag as inert data, never calls it, and its result is checked by the safe loader before saving."""
    unsafe = re.compile(r"yaml\.(unsafe_load|full_load)|Loader\s*=\s*yaml\.(Loader|FullLoader|UnsafeLoader)|typ\s*=\s*['\"]unsafe")
    offenders = [str(p) for p in (ROOT / "bot").rglob("*.py") if unsafe.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    from bot.qa.phrasing import _yaml

    _, data = _yaml(BROKEN["python_object"])
    assert not isinstance(data["topic"], int)        # os.system's exit code would be an int
    assert not Path(f"/tmp/{PWNED}").exists()
