"""The knowledge base: entries loaded and validated from `knowledge/*.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.yamlfile import Problem, line_of, load_yaml

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,47}$")
MAX_ANSWER_CHARS = 2000
SPECIAL_FILES = {"synonyms.yaml", "smalltalk.yaml"}


@dataclass(frozen=True)
class Version:
    """One language's phrasings and answer."""

    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class Entry:
    """A question the bot can answer, with its source."""

    id: str
    topic: str
    vi: Version
    en: Version | None
    sources: tuple[str, ...]
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    review: bool = False
    path: str = ""
    line: int = 0

    def version(self, lang: str) -> Version:
        """The English version when asked for and present, otherwise Vietnamese."""
        return self.en if lang == "en" and self.en else self.vi

    def title(self, lang: str) -> str:
        """A short label for buttons: the first phrasing."""
        return self.version(lang).questions[0]


@dataclass(frozen=True)
class Topic:
    id: str
    vi: str
    en: str

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class Synonyms:
    """Equivalences and chat shorthand, applied to folded tokens."""

    groups: tuple[tuple[str, ...], ...] = ()
    shorthand: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SmallTalk:
    id: str
    patterns: tuple[str, ...]
    vi: str
    en: str


@dataclass
class KnowledgeBase:
    entries: dict[str, Entry] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    synonyms: Synonyms = field(default_factory=Synonyms)
    smalltalk: tuple[SmallTalk, ...] = ()

    def in_topic(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.topic == topic_id]


def _text_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return None


def _version(raw: Any, where: str, line: int, problems: list[Problem]) -> Version | None:
    if not isinstance(raw, dict):
        problems.append(Problem(where, line, "expected `questions` and `answer`"))
        return None
    questions = _text_list(raw.get("questions"))
    answer = raw.get("answer")
    ok = True
    if not questions:
        problems.append(Problem(where, line_of(raw, line, "questions"), "`questions` must be a non-empty list of texts"))
        ok = False
    if not isinstance(answer, str) or not answer.strip():
        problems.append(Problem(where, line_of(raw, line, "answer"), "`answer` must be a non-empty text"))
        ok = False
    elif len(answer) > MAX_ANSWER_CHARS:
        problems.append(
            Problem(where, line_of(raw, line, "answer"), f"answer is {len(answer)} characters, over the Zalo limit of 2000", "warning")
        )
    if not ok or questions is None or not isinstance(answer, str):
        return None
    return Version(questions=questions, answer=" ".join(answer.split()) if "\n\n" not in answer else answer.strip())


def parse_entry(raw: Any, topic: str, where: str, line: int, problems: list[Problem]) -> Entry | None:
    """Validate one entry mapping; report what is wrong with its line."""
    if not isinstance(raw, dict):
        problems.append(Problem(where, line, "an entry must be a mapping with id, questions, answer, source"))
        return None
    line = line_of(raw, line)
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not ID_RE.match(entry_id):
        problems.append(Problem(where, line, f"bad or missing id {entry_id!r}: use lower-case letters, digits, - _ ."))
        return None
    vi = _version(raw, where, line, problems)
    en = _version(raw["en"], where, line, problems) if raw.get("en") is not None else None
    sources = _text_list(raw.get("source"))
    if not sources:
        problems.append(Problem(where, line, f"entry {entry_id}: `source` is required (document, article, year)"))
    if vi is None:
        return None
    return Entry(
        id=entry_id,
        topic=str(raw.get("topic") or topic),
        vi=vi,
        en=en,
        sources=sources or (),
        tags=_text_list(raw.get("tags")) or (),
        related=_text_list(raw.get("related")) or (),
        review=bool(raw.get("review", False)),
        path=where,
        line=line,
    )


def _parse_topic(raw: Any, path: Path) -> Topic:
    if isinstance(raw, dict) and raw.get("id"):
        return Topic(id=str(raw["id"]), vi=str(raw.get("vi") or raw["id"]), en=str(raw.get("en") or raw.get("vi") or raw["id"]))
    stem = path.stem.replace("-", "_")
    return Topic(id=stem, vi=str(raw or stem), en=str(raw or stem))


def _load_synonyms(path: Path, problems: list[Problem]) -> Synonyms:
    data, found = load_yaml(path)
    problems.extend(found)
    if not isinstance(data, dict):
        if data is not None:
            problems.append(Problem(str(path), 1, "expected `groups:` and `shorthand:`"))
        return Synonyms()
    groups = []
    for i, group in enumerate(data.get("groups") or []):
        words = _text_list(group)
        if not words or len(words) < 2:
            lines = getattr(data.get("groups"), "lines", [])
            problems.append(Problem(str(path), lines[i] if i < len(lines) else 1, "a group needs at least two words"))
            continue
        groups.append(words)
    shorthand = data.get("shorthand") or {}
    pairs = tuple((str(k), str(v)) for k, v in shorthand.items()) if isinstance(shorthand, dict) else ()
    return Synonyms(groups=tuple(groups), shorthand=pairs)


def _load_smalltalk(path: Path, problems: list[Problem]) -> tuple[SmallTalk, ...]:
    data, found = load_yaml(path)
    problems.extend(found)
    items = []
    for raw in (data or {}).get("smalltalk", []) if isinstance(data, dict) else []:
        patterns = _text_list(raw.get("patterns")) if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not patterns or not raw.get("vi"):
            problems.append(Problem(str(path), line_of(raw), "small talk needs id, patterns and vi"))
            continue
        items.append(SmallTalk(str(raw.get("id")), patterns, str(raw["vi"]).strip(), str(raw.get("en") or raw["vi"]).strip()))
    return tuple(items)


def load_knowledge(directory: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """Load every file; invalid entries are skipped and reported, never raised."""
    problems: list[Problem] = []
    kb = KnowledgeBase()
    if not directory.is_dir():
        return kb, [Problem(str(directory), 1, "knowledge folder not found")]
    for path in sorted(directory.glob("*.yaml")):
        if path.name in SPECIAL_FILES:
            continue
        _load_topic_file(path, kb, problems)
    if (directory / "synonyms.yaml").is_file():
        kb.synonyms = _load_synonyms(directory / "synonyms.yaml", problems)
    if (directory / "smalltalk.yaml").is_file():
        kb.smalltalk = _load_smalltalk(directory / "smalltalk.yaml", problems)
    for entry in kb.entries.values():
        for rel in entry.related:
            if rel not in kb.entries:
                problems.append(Problem(entry.path, entry.line, f"entry {entry.id}: related id {rel!r} does not exist", "warning"))
    return kb, problems


def _load_topic_file(path: Path, kb: KnowledgeBase, problems: list[Problem]) -> None:
    where = str(path)
    data, found = load_yaml(path)
    problems.extend(found)
    if found:
        return
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        problems.append(Problem(where, line_of(data), "expected a `topic:` and a list of `entries:`"))
        return
    topic = _parse_topic(data.get("topic"), path)
    kb.topics.setdefault(topic.id, topic)
    lines = getattr(data["entries"], "lines", [])
    for i, raw in enumerate(data["entries"]):
        entry = parse_entry(raw, topic.id, where, lines[i] if i < len(lines) else 1, problems)
        if entry is None:
            continue
        if entry.id in kb.entries:
            first = kb.entries[entry.id]
            problems.append(Problem(where, entry.line, f"duplicate id {entry.id!r} (first at {first.path}:{first.line})"))
            continue
        kb.entries[entry.id] = entry
