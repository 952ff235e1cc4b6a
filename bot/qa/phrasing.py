"""Adding a phrasing to a knowledge entry, in the admins' own YAML file.

ruamel.yaml reads and writes the file round-trip, so the admins' comments, key order, quoting
and layout stay as they wrote them. The change is refused unless the file afterwards differs
only by the added line, and the whole knowledge base still loads with no new error; the file
is then replaced atomically (a running bot never reads half a file).
"""

from __future__ import annotations

import difflib
import io
import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from bot.qa.knowledge import load_knowledge
from bot.qa.normalize import normalise
from bot.yamlfile import Problem

MAX_PHRASING_CHARS = 300


@dataclass(frozen=True)
class PhrasingResult:
    """What happened: added (with where), or refused (with why, and any problems as path:line)."""

    added: bool
    message: str
    path: str = ""
    line: int = 0
    problems: list[Problem] = field(default_factory=list)


def clean_phrasing(text: str) -> str:
    """NFC, one line, no control or invisible format characters, single spaces."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(kept.split())


def _same(a: str, b: str) -> bool:
    """The same words once diacritics, case and punctuation are set aside."""
    return normalise(a).folded == normalise(b).folded


def add_phrasing(directory: Path, entry_id: str, text: str, lang: str = "vi") -> PhrasingResult:
    """Append `text` to the `questions` of entry `entry_id` (its English version for lang "en")."""
    phrasing = clean_phrasing(text)
    if not phrasing:
        return PhrasingResult(False, "the phrasing is empty")
    if len(phrasing) > MAX_PHRASING_CHARS:
        return PhrasingResult(False, f"the phrasing is {len(phrasing)} characters; at most {MAX_PHRASING_CHARS}")
    if lang not in ("vi", "en"):
        return PhrasingResult(False, "the language must be vi or en")
    kb, before = load_knowledge(directory)
    entry = kb.entries.get(entry_id)
    if entry is None:
        return PhrasingResult(False, f"no entry has the id {entry_id!r}")
    if lang == "en" and entry.en is None:
        return PhrasingResult(False, f"entry {entry_id} has no English version to add to", entry.path, entry.line)
    for other in kb.entries.values():
        for version in (other.vi, other.en):
            if version is not None and any(_same(q, phrasing) for q in version.questions):
                where = "this entry" if other.id == entry_id else f"entry {other.id}"
                return PhrasingResult(False, f"{where} already has this phrasing", other.path, other.line)
    path = Path(entry.path)
    original = path.read_text(encoding="utf-8")
    try:
        updated, flow = _with_phrasing(original, entry_id, phrasing, lang)
    except (YAMLError, ValueError) as exc:
        return PhrasingResult(False, f"cannot edit the file: {exc}", str(path), entry.line)
    if not _only_added(original, updated, flow):
        return PhrasingResult(False, "writing it back would change more than the added line; "
                                     "add it by hand", str(path), entry.line)
    problems = _new_errors(directory, path, updated, before)
    if problems:
        return PhrasingResult(False, "the knowledge base would not load with this change", str(path), entry.line,
                              problems)
    _replace_file(path, updated)
    line = _line_of(updated, original)
    return PhrasingResult(True, f"added to {entry_id} ({lang})", str(path), line)


def _yaml(text: str) -> tuple[YAML, Any]:
    _, indent, offset = load_yaml_guess_indent(text)
    yaml = YAML()                 # round-trip: comments, order, quotes and flow style are kept
    yaml.preserve_quotes = True
    yaml.width = 4096             # never re-wrap the admins' long lines
    yaml.indent(mapping=2, sequence=indent or 2, offset=offset or 0)
    return yaml, yaml.load(text)


def _with_phrasing(text: str, entry_id: str, phrasing: str, lang: str) -> tuple[str, bool]:
    """The file with the phrasing appended, and whether the list is written inline (`[a, b]`)."""
    yaml, data = _yaml(text)
    entries = data.get("entries") if isinstance(data, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        raise ValueError("expected a list of `entries:`")
    item = next((e for e in entries if isinstance(e, CommentedMap) and e.get("id") == entry_id), None)
    if item is None:
        raise ValueError(f"entry {entry_id} is not in this file")
    target = item if lang == "vi" else item.get("en")
    if not isinstance(target, CommentedMap):
        raise ValueError(f"entry {entry_id} has no `{lang}` version here")
    questions = target.get("questions")
    if isinstance(questions, str):
        raise ValueError("`questions` is a single text here, not a list")
    if not isinstance(questions, CommentedSeq):
        raise ValueError("`questions` is not a list")
    questions.append(phrasing)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue(), bool(questions.fa.flow_style())


def _only_added(original: str, updated: str, flow: bool = False) -> bool:
    """True when every original line is still there, unchanged and in order; for an inline list,
    its one `questions: [...]` line may grow instead."""
    old, new = original.splitlines(), updated.splitlines()
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    changed = [op for op in opcodes if op[0] != "equal"]
    if all(tag == "insert" for tag, *_ in changed):
        return len(changed) > 0
    if not flow or len(changed) != 1 or changed[0][0] != "replace":
        return False
    _, a1, a2, b1, b2 = changed[0]
    return a2 - a1 == 1 and b2 - b1 == 1 and "questions:" in old[a1] and new[b1].startswith(old[a1].rstrip().rstrip("]"))


def _line_of(updated: str, original: str) -> int:
    old = original.splitlines()
    new = updated.splitlines()
    for tag, _a1, _a2, b1, _b2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("insert", "replace"):
            return b1 + 1
    return 0


def _new_errors(directory: Path, path: Path, updated: str, before: list[Problem]) -> list[Problem]:
    """Load a copy of the knowledge folder with the edited file; errors it did not have before,
    reported against the real file name."""
    with tempfile.TemporaryDirectory(prefix="kb-check-") as tmp:
        copy = Path(tmp) / "knowledge"
        shutil.copytree(directory, copy)
        (copy / path.name).write_text(updated, encoding="utf-8")
        _, after = load_knowledge(copy)
    old = _error_counts(before)
    fresh: list[Problem] = []
    for p in after:
        if p.severity != "error":
            continue
        key = (Path(p.path).name, p.message)
        if old.get(key, 0) > 0:
            old[key] -= 1
            continue
        fresh.append(Problem(str(directory / Path(p.path).name), p.line, p.message, p.severity))
    return fresh


def _error_counts(problems: list[Problem]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for p in problems:
        if p.severity == "error":
            key = (Path(p.path).name, p.message)
            counts[key] = counts.get(key, 0) + 1
    return counts


def _replace_file(path: Path, text: str) -> None:
    """Write next to the file, then rename over it: readers see the old file or the new one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
