"""The grading rule of the shared eval sets (`../shared/eval/grade.py`), unchanged."""

from __future__ import annotations

import re
import unicodedata
from typing import Any


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), one spelling for dates, ranges and ordinals."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("Đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = re.sub(r"\s*[-\u2013\u2014]\s*", "-", text)
    text = re.sub(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)", r"\1/\2/\3", text)
    text = re.sub(r"(?<![\d/])(\d{1,2})[-/](\d{1,2})(?![\d/])", r"\1/\2", text)
    text = re.sub(r"(?<![\d])0(\d)(?=/)", r"\1", text)
    text = re.sub(r"(?<=/)0(\d)(?!\d)", r"\1", text)
    text = re.sub(r"(?<!\d)0(\d) thang", r"\1 thang", text)
    text = re.sub(r"thang 0(\d)(?!\d)", r"thang \1", text)
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    return re.sub(r"\s+", " ", text)


def contains(answer: str, needle: str) -> bool:
    pattern = r"(?<![0-9a-z])" + re.escape(fold(needle)) + r"(?![0-9a-z])"
    return re.search(pattern, fold(answer)) is not None


def passes(case: dict[str, Any], reply: dict[str, Any]) -> bool:
    matched = bool(reply.get("matched"))
    answer = reply.get("answer") or ""
    if case.get("abstain"):
        return not matched
    if not matched:
        return False
    if "expect_all" in case:
        return all(contains(answer, e) for e in case["expect_all"])
    return any(contains(answer, e) for e in case["expect"])
