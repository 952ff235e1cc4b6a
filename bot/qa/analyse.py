"""Turn a text into the features the index and the matcher compare.

Steps: normalise (NFC, lower case, fold diacritics), expand chat shorthand and synonyms to
one canonical spelling, tag question words, and classify the kind of question asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.qa.knowledge import Synonyms
from bot.qa.normalize import NormalText, content_mask, fold, normalise, tokens

# The kind of fact a question asks for; a matching kind adds a little to the score.
QUESTION_KINDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "when": (("nam", "nao"), ("khi", "nao"), ("ngay", "nao"), ("bao", "gio"), ("luc", "nao"),
             ("thang", "nao"), ("when",), ("what", "year"), ("which", "year"), ("what", "date")),
    "count": (("bao", "nhieu"), ("may",), ("how", "many"), ("how", "much"), ("how", "old")),
    "where": (("o", "dau"), ("dieu", "nao"), ("chuong", "nao"), ("where",), ("which", "article")),
    "who": (("la", "ai"), ("ai",), ("who",), ("whom",)),
    "how": (("nhu", "the", "nao"), ("the", "nao"), ("lam", "sao"), ("ra", "sao"), ("how",)),
    "what": (("la", "gi"), ("gi",), ("what",)),
}


@dataclass(frozen=True)
class Analysed:
    """A text ready for matching."""

    norm: NormalText
    words: tuple[str, ...]          # folded, canonical tokens (all of them)
    content: tuple[str, ...]        # the topic-carrying tokens, in order
    bigrams: frozenset[str]
    kind: str | None

    @property
    def text(self) -> str:
        return " ".join(self.words)


class Expander:
    """Rewrites folded token sequences to canonical spellings (longest phrase first)."""

    def __init__(self, synonyms: Synonyms) -> None:
        self.shorthand: dict[str, tuple[str, ...]] = {}
        # first word -> [(phrase, canonical)], longest phrase first
        self.phrases: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for short, full in synonyms.shorthand:
            key = tuple(tokens(fold(short)))
            if len(key) == 1:
                self.shorthand[key[0]] = tuple(tokens(fold(full)))
        for group in synonyms.groups:
            canonical = tuple(tokens(fold(group[0])))
            for variant in group:
                key = tuple(tokens(fold(variant)))
                if key and key != canonical:
                    self.phrases.setdefault(key[0], []).append((key, canonical))
        for options in self.phrases.values():
            options.sort(key=lambda pair: len(pair[0]), reverse=True)

    def expand(self, words: tuple[str, ...], shorthand: bool = True) -> tuple[str, ...]:
        if shorthand:
            words = tuple(w for tok in words for w in self.shorthand.get(tok, (tok,)))
        out: list[str] = []
        i = 0
        while i < len(words):
            for phrase, canonical in self.phrases.get(words[i], ()):
                if words[i : i + len(phrase)] == phrase:
                    out.extend(canonical)
                    i += len(phrase)
                    break
            else:
                out.append(words[i])
                i += 1
        return tuple(out)


_KIND_RES = {
    kind: re.compile(r"(?:^| )(?:" + "|".join(re.escape(" ".join(p)) for p in patterns) + r")(?: |$)")
    for kind, patterns in QUESTION_KINDS.items()
}


def question_kind(words: tuple[str, ...]) -> str | None:
    """'when', 'count', 'where', 'who', 'how' or 'what', by the first pattern found."""
    text = " ".join(words)
    for kind, pattern in _KIND_RES.items():
        if pattern.search(text):
            return kind
    return None


def english_stem(word: str) -> str:
    """A light English stemmer: rights -> right, counts -> count, ratified -> ratifi."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            return word[: len(word) - len(suffix)] + keep
    return word


def analyse(text: str, expander: Expander, lang: str = "vi") -> Analysed:
    """Normalise and expand one text (chat shorthand only for Vietnamese, stems only for English)."""
    norm = normalise(text)
    words = expander.expand(norm.folded, shorthand=lang == "vi")
    if lang == "en":
        words = tuple(english_stem(w) for w in words)
    mask = content_mask(words, lang)
    content = tuple(w for w, keep in zip(words, mask, strict=True) if keep)
    bigrams = frozenset(f"{a} {b}" for a, b in zip(content, content[1:], strict=False))
    return Analysed(norm=norm, words=words, content=content, bigrams=bigrams, kind=question_kind(words))
