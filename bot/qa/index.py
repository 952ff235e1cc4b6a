"""A search index over every phrasing of every entry, one per language.

Retrieval is BM25 over entries (phrasings and tags), with a second, lighter BM25 over the
answers' words; re-ranking happens in `matcher.py`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.qa.analyse import Analysed, Expander, analyse
from bot.qa.knowledge import Entry, KnowledgeBase

BM25_K1 = 1.2
BM25_B = 0.5


@dataclass
class Phrasing:
    entry_idx: int
    analysed: Analysed
    features: frozenset[str]
    words: frozenset[str] = frozenset()
    idf_total: float = 1.0
    accented: dict[str, frozenset[str]] = field(default_factory=dict)  # folded -> accented spellings


def accent_map(a: Analysed) -> dict[str, frozenset[str]]:
    """How each folded word was spelled with diacritics in this text ({} when typed without)."""
    if not a.norm.has_marks:
        return {}
    spellings: dict[str, set[str]] = defaultdict(set)
    for folded, accented in zip(a.norm.folded, a.norm.accented, strict=True):
        spellings[folded].add(accented)
    return {k: frozenset(v) for k, v in spellings.items()}


@dataclass
class _Bm25:
    """Okapi BM25 over documents given as feature counters, with weights precomputed."""

    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    common: int = 200   # a feature in more documents than this only re-scores found candidates

    @classmethod
    def build(cls, docs: list[Counter[str]]) -> _Bm25:
        raw: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths = [sum(doc.values()) for doc in docs]
        for i, doc in enumerate(docs):
            for feat, tf in doc.items():
                raw[feat].append((i, tf))
        n = max(len(docs), 1)
        avg_len = (sum(lengths) / n) or 1.0
        bm = cls(common=max(200, n // 10))
        for feat, plist in raw.items():
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            bm.idf[feat] = idf
            bm.postings[feat] = [
                (doc, idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * lengths[doc] / avg_len)))
                for doc, tf in plist
            ]
        return bm

    def scores(self, features: list[str]) -> dict[int, float]:
        """BM25 per document; very common features only add to documents already found."""
        out: dict[int, float] = defaultdict(float)
        known = sorted((f for f in set(features) if f in self.postings), key=lambda f: len(self.postings[f]))
        for feat in known:
            plist = self.postings[feat]
            if len(plist) > self.common and out:
                for doc, weight in plist:
                    if doc in out:
                        out[doc] += weight
                continue
            for doc, weight in plist:
                out[doc] += weight
        return out


def features_of(a: Analysed) -> list[str]:
    """Content words plus content bigrams (Vietnamese words are mostly two syllables)."""
    return list(a.content) + sorted(a.bigrams)


class LanguageIndex:
    """Phrasings, answers and vocabulary of one language."""

    def __init__(self, lang: str, entries: list[Entry], expander: Expander) -> None:
        self.lang = lang
        self.expander = expander
        self.entries = entries
        self.phrasings: list[Phrasing] = []
        self.by_entry: dict[int, list[int]] = defaultdict(list)
        docs: list[Counter[str]] = [Counter() for _ in entries]
        answer_docs: list[Counter[str]] = [Counter() for _ in entries]
        self.answer_words: list[frozenset[str]] = [frozenset() for _ in entries]
        self.answer_bigrams: list[frozenset[str]] = [frozenset() for _ in entries]
        for idx, entry in enumerate(entries):
            version = entry.en if lang == "en" else entry.vi
            if version is None:
                self.answer_words[idx] = frozenset()
                continue
            texts = list(version.questions) + [" ".join(entry.tags)] * bool(entry.tags)
            for text in texts:
                a = self.analyse(text)
                if not a.content:
                    continue
                feats = features_of(a)
                self.by_entry[idx].append(len(self.phrasings))
                self.phrasings.append(Phrasing(idx, a, frozenset(feats), frozenset(a.content), accented=accent_map(a)))
                docs[idx].update(set(feats))
            answer = self.analyse(version.answer)
            answer_docs[idx].update(answer.content)
            self.answer_words[idx] = frozenset(answer.content)
            self.answer_bigrams[idx] = answer.bigrams
        self.bm25 = _Bm25.build(docs)
        self.answer_bm25 = _Bm25.build(answer_docs)
        self.vocab = frozenset(f for f in self.bm25.idf if " " not in f)
        self.answer_vocab = frozenset(self.answer_bm25.idf)
        self.known = self.vocab | self.answer_vocab
        self._vocab_list = sorted(self.vocab)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._vocab_list:
            self._by_length[len(word)].append(word)
        self.max_idf = math.log(1 + (len(entries) + 0.5) / 0.5)
        self._corrections: dict[str, str | None] = {}
        for phr in self.phrasings:
            phr.idf_total = sum(self.idf(w) for w in phr.words) or 1.0

    def analyse(self, text: str) -> Analysed:
        return analyse(text, self.expander, lang=self.lang)

    def idf(self, feature: str) -> float:
        return self.bm25.idf.get(feature, self.max_idf)

    def correct(self, token: str) -> str | None:
        """The vocabulary word one typo away from an unknown token, if there is one.

        Short words are only corrected for a doubled letter ("emm" -> "em"): one edit
        away from a 3-4 letter word is too often another real word ("xang" is not "sang").
        """
        if token in self._corrections:
            return self._corrections[token]
        best: str | None = None
        if any(ch.isdigit() for ch in token) or len(token) < 3:
            best = None
        elif len(token) < 5:
            best = self._short_fix(token)
        else:
            cutoff = 1 if len(token) < 8 else 2
            found = process.extractOne(token, self._vocab_list, scorer=Levenshtein.distance, score_cutoff=cutoff)
            if found is not None and not found[0].isdigit():
                best = found[0]
        if len(self._corrections) < 50_000:
            self._corrections[token] = best
        return best

    def _short_fix(self, token: str) -> str | None:
        """A doubled letter ("emm") or, from four letters, one missing letter ("quyn")."""
        if token[-1] == token[-2] and token[:-1] in self.vocab:
            return token[:-1]
        if len(token) == 4:
            for word in self._by_length.get(5, ()):
                if Levenshtein.distance(token, word, score_cutoff=1) <= 1:
                    return word
        return None

    def retrieve(self, features: list[str], answer_features: list[str], limit: int = 25) -> list[int]:
        """Candidate entry indexes by BM25 on phrasings, topped up from the answers."""
        main = self.bm25.scores(features)
        extra = self.answer_bm25.scores(answer_features)
        ranked = sorted(main, key=main.__getitem__, reverse=True)[:limit]
        seen = set(ranked)
        ranked += [i for i in sorted(extra, key=extra.__getitem__, reverse=True)[:5] if i not in seen]
        return ranked


def build_indexes(kb: KnowledgeBase) -> tuple[list[Entry], dict[str, LanguageIndex]]:
    """One index per language over the same entry order."""
    expander = Expander(kb.synonyms)
    entries = list(kb.entries.values())
    return entries, {lang: LanguageIndex(lang, entries, expander) for lang in ("vi", "en")}
