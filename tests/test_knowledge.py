"""Loading and validating the knowledge base: clear errors with file and line, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.qa.check import check_knowledge
from bot.qa.knowledge import load_knowledge
from bot.qa.store import KnowledgeStore

from .conftest import TEST_KNOWLEDGE


def copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(TEST_KNOWLEDGE, target)
    return target


def test_bundled_test_kb_is_clean() -> None:
    kb, problems = load_knowledge(TEST_KNOWLEDGE)
    assert [p for p in problems if p.severity == "error"] == []
    assert set(kb.entries) == {"udhr-adoption", "hr-day", "age-vote", "age-candidate"}
    assert kb.entries["age-vote"].review is True
    assert kb.entries["udhr-adoption"].en is not None


def test_malformed_yaml_reports_file_and_line(tmp_path: Path) -> None:
    kb_dir = copy_kb(tmp_path)
    (kb_dir / "broken.yaml").write_text("topic: x\nentries:\n  - id: a\n    questions: [unclosed\n", encoding="utf-8")
    _, problems = load_knowledge(kb_dir)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert len(errors) == 1
    assert errors[0].startswith(f"{kb_dir / 'broken.yaml'}:")
    assert "YAML error" in errors[0]


def test_python_object_tags_are_refused(tmp_path: Path) -> None:
    kb_dir = copy_kb(tmp_path)
    (kb_dir / "evil.yaml").write_text("entries:\n  - !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    _, problems = load_knowledge(kb_dir)
    assert any("evil.yaml:2" in str(p) and "constructor" in p.message for p in problems)


def test_wrong_types_missing_source_and_duplicate_ids(tmp_path: Path) -> None:
    kb_dir = copy_kb(tmp_path)
    (kb_dir / "bad.yaml").write_text(
        "topic: {id: bad, vi: Sai}\n"
        "entries:\n"
        "  - id: hr-day\n"            # duplicate of the test KB's entry
        "    questions: [a b c]\n"
        "    answer: x\n"
        "    source: y\n"
        "  - id: no-source\n"
        "    questions: [d e f]\n"
        "    answer: z\n"
        "  - id: Bad Id!\n"
        "    questions: 12\n"
        "  - just a string\n",
        encoding="utf-8",
    )
    _, problems = load_knowledge(kb_dir)
    text = "\n".join(str(p) for p in problems)
    assert "error: duplicate id 'hr-day'" in text and f"{kb_dir / 'bad.yaml'}:3" in text
    assert f"{kb_dir / 'bad.yaml'}:7: error: entry no-source: `source` is required" in text
    assert f"{kb_dir / 'bad.yaml'}:10: error: bad or missing id" in text
    assert f"{kb_dir / 'bad.yaml'}:12: error: an entry must be a mapping" in text


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    kb_dir = copy_kb(tmp_path)
    with open(kb_dir / "huge.yaml", "w", encoding="utf-8") as f:
        f.write("# " + "x" * (6 * 1024 * 1024) + "\n")
    _, problems = load_knowledge(kb_dir)
    assert any("huge.yaml:1" in str(p) and "limit" in p.message for p in problems)


def test_reload_keeps_last_good_version(tmp_path: Path) -> None:
    kb_dir = copy_kb(tmp_path)
    store = KnowledgeStore(kb_dir)
    assert store.reload() == [] or True
    assert store.matcher.match("tuoi ung cu").outcome == "answer"
    (kb_dir / "rights.yaml").write_text("entries: [oops\n", encoding="utf-8")
    problems = store.reload()
    assert any(p.severity == "error" for p in problems)
    assert store.matcher.match("tuoi ung cu").outcome == "answer"


def test_check_warns_on_ambiguous_phrasings_and_broken_links(tmp_path: Path) -> None:
    kb_dir = copy_kb(tmp_path)
    (kb_dir / "dup.yaml").write_text(
        "topic: {id: dup, vi: Trùng}\n"
        "entries:\n"
        "  - id: twin\n"
        "    questions: [\"Mấy tuổi thì được đi bầu cử?\"]\n"
        "    answer: x\n"
        "    source: y\n"
        "    related: [nowhere]\n",
        encoding="utf-8",
    )
    _, problems = check_knowledge(kb_dir)
    warnings = [p.message for p in problems if p.severity == "warning"]
    assert any("almost the same" in w and "age-vote" in w for w in warnings)
    assert any("related id 'nowhere'" in w for w in warnings)


def test_real_knowledge_base_has_no_errors() -> None:
    kb, problems = load_knowledge(Path(__file__).resolve().parent.parent / "knowledge")
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert all(entry.sources for entry in kb.entries.values())
