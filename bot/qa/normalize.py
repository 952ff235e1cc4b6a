"""Text normalisation for Vietnamese and English questions.

Two views of every text are kept: the accented tokens (NFC, lower case) and the folded
tokens (diacritics removed, đ -> d), because many users type without diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_QUERY_CHARS = 400

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# "10/12", "10-12", "10 tháng 12" -> one token "10t12", so 27/7 never matches 30/7 by its "7".
_DAY_MONTH_RE = re.compile(r"(?<![\d/])(\d{1,2})\s*(?:[/.-]|\s+tháng\s+|\s+thang\s+)\s*(\d{1,2})(?![\d])")
_VI_MARKS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")

# Vietnamese question words and fillers carry no topic: they are dropped from retrieval
# and coverage, but kept for the fuzzy score. Phrases are matched on folded tokens.
VI_QUESTION_PHRASES = (
    ("nhu", "the", "nao"), ("vao", "nam", "nao"), ("vao", "ngay", "nao"), ("vao", "luc", "nao"),
    ("la", "gi"), ("bao", "nhieu"), ("nam", "nao"), ("khi", "nao"), ("ngay", "nao"),
    ("luc", "nao"), ("thang", "nao"), ("o", "dau"), ("the", "nao"), ("thu", "may"),
    ("la", "ai"), ("tai", "sao"), ("vi", "sao"), ("ra", "sao"), ("cho", "biet"), ("cho", "hoi"),
    ("xin", "hoi"), ("ban", "oi"), ("bot", "oi"), ("co", "phai"), ("duoc", "khong"),
)
_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in VI_QUESTION_PHRASES:
    _PHRASES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)

VI_FILLERS = frozenset(
    ["duoc", "mn", "gi", "nao", "may", "a", "ha", "nhi", "vay", "oi", "nhe", "the", "thi", "ma", "la", "cua", "cho", "va", "cac", "nhung", "mot", "co", "toi", "minh", "hoi", "xin", "hay", "giup", "ve", "voi", "nay", "do", "day", "kia", "roi", "nua", "vs", "cai"]
)

EN_STOP_WORDS = frozenset(
    ["a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "of", "in", "on", "at", "to", "for", "from", "by", "with", "what", "when", "which", "who", "whom", "whose", "how", "why", "where", "that", "this", "these", "those", "it", "its", "there", "and", "or", "not", "no", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "i", "me", "my", "we", "our", "you", "your", "he", "she", "they", "them", "his", "her", "their", "about", "into", "than", "then", "so", "as", "has", "have", "had", "any", "tell", "please", "know", "want", "explain", "mean", "means", "meaning"]
)


@dataclass(frozen=True)
class NormalText:
    """One text in the forms the matcher needs."""

    accented: tuple[str, ...]
    folded: tuple[str, ...]
    has_marks: bool


def clean(text: str) -> str:
    """NFC, lower case, with control and zero-width characters removed."""
    text = unicodedata.normalize("NFC", text[: MAX_QUERY_CHARS * 4]).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Remove Vietnamese diacritics: 'Quyền trẻ em' -> 'quyen tre em'."""
    decomposed = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def tokens(text: str) -> list[str]:
    """Words and numbers of a cleaned text; a day/month date is one token."""
    return _WORD_RE.findall(_DAY_MONTH_RE.sub(lambda m: f"{int(m[1])}t{int(m[2])}", text))


def normalise(text: str) -> NormalText:
    """Clean, tokenise and fold one text."""
    cleaned = clean(text)[:MAX_QUERY_CHARS].replace("'s ", " ").replace("’s ", " ")
    accented = tuple(tokens(cleaned))
    folded = tuple(fold(tok) for tok in accented)
    has_marks = any(ch in _VI_MARKS for ch in cleaned)
    return NormalText(accented=accented, folded=folded, has_marks=has_marks)


def content_mask(folded: tuple[str, ...], lang: str = "vi") -> list[bool]:
    """True for tokens that carry topic, False for question words and fillers.

    Each language has its own list: "day" is content in English, "đây" a filler in Vietnamese.
    """
    if lang == "en":
        return [tok not in EN_STOP_WORDS for tok in folded]
    mask = [tok not in VI_FILLERS for tok in folded]
    for i, tok in enumerate(folded):
        for phrase in _PHRASES_BY_FIRST.get(tok, ()):
            if folded[i : i + len(phrase)] == phrase:
                for j in range(i, i + len(phrase)):
                    mask[j] = False
    return mask


def looks_english(norm: NormalText, english_vocab: frozenset[str], vietnamese_vocab: frozenset[str]) -> bool:
    """A question is English when it has no Vietnamese marks and more English words."""
    if norm.has_marks or not norm.folded:
        return False
    en = sum(1 for tok in norm.folded if tok in english_vocab or tok in EN_STOP_WORDS)
    vi = sum(1 for tok in norm.folded if tok in vietnamese_vocab or tok in VI_FILLERS)
    return en > vi
