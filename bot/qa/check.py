"""`rightsbot kb check`: validate the knowledge base and warn about what hurts answers."""

from __future__ import annotations

from pathlib import Path

from rapidfuzz import fuzz, process

from bot.qa.analyse import Expander, analyse
from bot.qa.knowledge import KnowledgeBase, load_knowledge
from bot.yamlfile import Problem

NEAR_DUPLICATE = 96.0


def near_duplicate_phrasings(kb: KnowledgeBase) -> list[Problem]:
    """Phrasings of different entries that read the same after normalisation (ambiguity)."""
    expander = Expander(kb.synonyms)
    rows: list[tuple[str, str, str]] = []  # (entry id, original, normalised)
    for entry in kb.entries.values():
        for lang, version in (("vi", entry.vi), ("en", entry.en)):
            for q in version.questions if version else ():
                rows.append((entry.id, q, analyse(q, expander, lang).text))
    texts = [r[2] for r in rows]
    if not texts:
        return []
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for i, text in enumerate(texts):
        for _, _, j in process.extract(text, texts[i + 1 :], scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE, limit=None):
            a, b = rows[i], rows[i + 1 + j]
            if a[0] == b[0] or (a[0], b[0]) in seen:
                continue
            seen.add((a[0], b[0]))
            entry = kb.entries[a[0]]
            problems.append(Problem(entry.path, entry.line,
                                    f"phrasing {a[1]!r} of {a[0]} is almost the same as {b[1]!r} of {b[0]}", "warning"))
    return problems


def check_knowledge(directory: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """All errors and warnings for one knowledge folder."""
    kb, problems = load_knowledge(directory)
    problems += near_duplicate_phrasings(kb)
    for entry in kb.entries.values():
        if len(entry.vi.answer) > 1000:
            problems.append(Problem(entry.path, entry.line, f"entry {entry.id}: answer over 1,000 characters; keep it short", "warning"))
        if not entry.related:
            problems.append(Problem(entry.path, entry.line, f"entry {entry.id}: no related entries", "info"))
    return kb, problems
