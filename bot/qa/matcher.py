"""Match a user's question to a knowledge entry: answer, "did you mean", or no answer.

Retrieval (BM25, `index.py`) finds candidates; each candidate's phrasings are re-ranked by a
blend of IDF-weighted word coverage in both directions, shared two-word phrases, a rapidfuzz
score on the folded text, the entry's answer words and the kind of question asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.qa.analyse import Analysed, Expander, analyse
from bot.qa.index import LanguageIndex, Phrasing, accent_map, build_indexes, features_of
from bot.qa.knowledge import Entry, KnowledgeBase, SmallTalk
from bot.qa.normalize import fold, looks_english, normalise

ANSWER_AT = 58.0        # a best score at or above this answers
SUGGEST_AT = 36.0       # between SUGGEST_AT and ANSWER_AT: "did you mean"
CLEAR_LEAD = 1.0        # a close runner-up below this lead turns an answer into a suggestion
SURE_SCORE = 70.0       # above this, a close runner-up does not matter
MIN_COVERAGE = 0.55     # share of the question's topic words an answer must account for
MIN_SUGGEST_COVERAGE = 0.45  # below this the question is about something we don't cover
# How much each signal counts in a phrasing's score (they add up to 1).
WEIGHTS = {
    "coverage": 0.36,        # IDF share of the question's topic words found in the phrasing
    "precision": 0.13,       # IDF share of the phrasing's topic words found in the question
    "bigrams": 0.12,         # shared two-word phrases (most Vietnamese words have two syllables)
    "fuzzy": 0.12,           # rapidfuzz token_sort_ratio on the folded text
    "answer": 0.10,          # topic words found in the phrasing or the entry's answer
    "answer_bigrams": 0.07,  # two-word phrases found in the answer ("điều 20")
    "kind": 0.04,            # same kind of question (when / how many / which article…)
    "accent": 0.06,          # same diacritics on shared words, when both were typed with them
}
CLASH_CREDIT = 0.4       # a word typed with other diacritics ("trượng" for "trường") counts this much
RESCORED_PHRASINGS = 4  # per candidate entry, only the phrasings closest in topic words get the full score
MIN_INFORMATION = 1.5   # total IDF of the known topic words below which a question is too vague
SINGLE_WORD_IDF = 2.5   # a one-word question must be at least this rare ("luật" is not; "CEDAW" is)


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float


@dataclass(frozen=True)
class Match:
    """The matcher's verdict on one question."""

    outcome: str                     # answer | suggest | none | smalltalk | empty
    lang: str
    entry: Entry | None = None
    score: float = 0.0
    suggestions: tuple[Entry, ...] = ()
    smalltalk: SmallTalk | None = None
    normalised: str = ""
    candidates: tuple[Candidate, ...] = field(default=(), repr=False)


class Matcher:
    """The Q&A engine over one loaded knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.entries, self.indexes = build_indexes(kb)
        self._expander = Expander(kb.synonyms)
        # Phrasings, not answers (Vietnamese answers quote English names); shared words count for neither.
        vi_words, en_words = self.indexes["vi"].vocab, self.indexes["en"].vocab
        self._vi_vocab = vi_words - en_words
        self._en_vocab = en_words - vi_words
        self._smalltalk = [
            (fold(" ".join(normalise(p).accented)), item) for item in kb.smalltalk for p in item.patterns
        ]

    def detect_language(self, text: str) -> str:
        return "en" if looks_english(normalise(text), self._en_vocab, self._vi_vocab) else "vi"

    def match(self, text: str, lang: str | None = None) -> Match:
        """Answer, suggest or abstain for one question."""
        lang = lang or self.detect_language(text)
        index = self.indexes[lang]
        query = index.analyse(text)
        if not query.words:
            return Match("empty", lang)
        small = self._match_smalltalk(query)
        if small is not None:
            return Match("smalltalk", lang, smalltalk=small, normalised=query.text)
        candidates, information = self._rank(index, query)
        if lang == "en" and (not candidates or candidates[0].score < ANSWER_AT):
            # English speakers may use a term only the Vietnamese phrasings have (a law name).
            vi_candidates, vi_information = self._rank(self.indexes["vi"], self.indexes["vi"].analyse(text))
            if vi_candidates and (not candidates or vi_candidates[0].score > candidates[0].score):
                candidates, information = vi_candidates, vi_information
        return self._verdict(candidates, information, lang, query.text)

    def _match_smalltalk(self, query: Analysed) -> SmallTalk | None:
        if len(query.words) > 6:
            return None
        said = " ".join(query.norm.folded)
        for pattern, item in self._smalltalk:
            if said == pattern or (len(said) > 3 and fuzz.ratio(said, pattern) >= 90):
                return item
        return None

    def _rank(self, index: LanguageIndex, query: Analysed) -> tuple[list[Candidate], float]:
        """Candidates best first, and how much the question says (IDF of its known topic words)."""
        content, credit = self._resolve_words(index, query)
        if not content:
            return [], 0.0
        bigrams = {f"{a} {b}" for a, b in zip(content, content[1:], strict=False)}
        features = list(dict.fromkeys(content)) + sorted(bigrams)
        weights = {w: index.idf(w) * credit.get(w, 1.0) for w in dict.fromkeys(content)}
        total = sum(weights.values()) or 1.0
        information = _information([w for word, w in weights.items() if word in index.known])
        query_text = " ".join(query.words)
        accented = accent_map(query)
        ranked: list[Candidate] = []
        for idx in index.retrieve(features, list(content)):
            answer_words = index.answer_words[idx]
            answer_bigrams = index.answer_bigrams[idx]
            best = 0.0
            best_cov = 0.0
            for phr in self._closest_phrasings(index, idx, weights):
                score, cov = self._score(index, phr, weights, total, bigrams, query, query_text, accented,
                                         answer_words, answer_bigrams)
                if score > best:
                    best, best_cov = score, cov
            if best > 0:
                ranked.append(Candidate(index.entries[idx], best, best_cov))
        ranked.sort(key=lambda c: c.score, reverse=True)
        return ranked, information

    @staticmethod
    def _closest_phrasings(index: LanguageIndex, idx: int, weights: dict[str, float]) -> list[Phrasing]:
        """The entry's phrasings sharing the most topic weight with the question (fully scored next)."""
        phrasings = [index.phrasings[p] for p in index.by_entry.get(idx, [])]
        if len(phrasings) <= RESCORED_PHRASINGS:
            return phrasings
        shared = [sum(w for word, w in weights.items() if word in phr.words) for phr in phrasings]
        order = sorted(range(len(phrasings)), key=shared.__getitem__, reverse=True)
        return [phrasings[i] for i in order[:RESCORED_PHRASINGS]]

    def _resolve_words(self, index: LanguageIndex, query: Analysed) -> tuple[list[str], dict[str, float]]:
        """Content words, with typos corrected to known words at reduced credit."""
        content: list[str] = []
        credit: dict[str, float] = {}
        for word in query.content:
            if word in index.known:
                content.append(word)
                continue
            fixed = index.correct(word)
            if fixed is not None:
                content.append(fixed)
                credit[fixed] = 0.7
            else:
                content.append(word)
        return content, credit

    @staticmethod
    def _score(
        index: LanguageIndex,
        phr: Phrasing,
        weights: dict[str, float],
        total: float,
        bigrams: set[str],
        query: Analysed,
        query_text: str,
        accented: dict[str, frozenset[str]],
        answer_words: frozenset[str],
        answer_bigrams: frozenset[str],
    ) -> tuple[float, float]:
        p_words = phr.words
        clash = _spelling_clashes(accented, phr.accented)
        matched = sum(w * (CLASH_CREDIT if word in clash else 1.0) for word, w in weights.items() if word in p_words)
        coverage = matched / total
        from_answer = sum(w for word, w in weights.items() if word in p_words or word in answer_words) / total
        precision = sum(index.idf(w) for w in p_words if w in weights) / phr.idf_total
        bigram_share = len(bigrams & phr.analysed.bigrams) / len(bigrams) if bigrams else coverage
        answer_bigram_share = len(bigrams & answer_bigrams) / len(bigrams) if bigrams else from_answer
        fuzzy = fuzz.token_sort_ratio(query_text, phr.analysed.text) / 100.0
        same_kind = 1.0 if query.kind and query.kind == phr.analysed.kind else 0.0
        accent = _accent_agreement(accented, phr.accented)
        score = (
            WEIGHTS["coverage"] * coverage
            + WEIGHTS["precision"] * precision
            + WEIGHTS["bigrams"] * bigram_share
            + WEIGHTS["fuzzy"] * fuzzy
            + WEIGHTS["answer"] * from_answer
            + WEIGHTS["answer_bigrams"] * answer_bigram_share
            + WEIGHTS["kind"] * same_kind
            + WEIGHTS["accent"] * accent
        )
        return min(100.0, 100.0 * score), max(coverage, from_answer)

    @staticmethod
    def _verdict(candidates: list[Candidate], information: float, lang: str, normalised: str) -> Match:
        unique: list[Candidate] = []
        for cand in candidates:
            if all(cand.entry.id != u.entry.id for u in unique):
                unique.append(cand)
        top = unique[:5]
        if not top or top[0].score < SUGGEST_AT or top[0].coverage < MIN_SUGGEST_COVERAGE:
            return Match("none", lang, normalised=normalised, candidates=tuple(top))
        best = top[0]
        lead = best.score - (top[1].score if len(top) > 1 else 0.0)
        confident = best.score >= ANSWER_AT and best.coverage >= MIN_COVERAGE and information >= MIN_INFORMATION
        if confident and (lead >= CLEAR_LEAD or best.score >= SURE_SCORE):
            return Match("answer", lang, entry=best.entry, score=best.score,
                         suggestions=tuple(c.entry for c in top[1:4]), normalised=normalised, candidates=tuple(top))
        return Match("suggest", lang, entry=None, score=best.score,
                     suggestions=tuple(c.entry for c in top[:3]), normalised=normalised, candidates=tuple(top))


def _information(known_weights: list[float]) -> float:
    """How much a question says: the IDF of its known topic words; one common word says too little."""
    if len(known_weights) == 1 and known_weights[0] < SINGLE_WORD_IDF:
        return 0.0
    return sum(known_weights)


def _spelling_clashes(query: dict[str, frozenset[str]], phrasing: dict[str, frozenset[str]]) -> frozenset[str]:
    """Folded words both texts contain but spell with different diacritics (thành ≠ thanh)."""
    if not query or not phrasing:
        return frozenset()
    return frozenset(w for w, spelled in query.items() if w in phrasing and not spelled & phrasing[w])


def _accent_agreement(query: dict[str, frozenset[str]], phrasing: dict[str, frozenset[str]]) -> float:
    """Share of shared words spelled with the same diacritics ("thành niên" is not "thanh niên").

    Neutral (0.5) unless both texts were typed with diacritics.
    """
    if not query or not phrasing:
        return 0.5
    shared = [w for w in query if w in phrasing]
    if not shared:
        return 0.5
    return sum(bool(query[w] & phrasing[w]) for w in shared) / len(shared)


def build_matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


__all__ = ["Match", "Matcher", "Candidate", "build_matcher", "features_of", "analyse"]
