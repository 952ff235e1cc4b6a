"""Regression: the matcher on the shared dev set stays at or above the bar (>= 0.95 / >= 0.95)."""

from __future__ import annotations

import pytest
import yaml

from bot.cli import match_json
from bot.qa.grading import passes
from bot.qa.store import KnowledgeStore

from .conftest import ROOT, SHARED

DEV_SET = SHARED / "eval" / "qa-dev.yaml"


@pytest.mark.skipif(not DEV_SET.is_file(), reason=f"{DEV_SET} not found (it lives beside the project)")
def test_dev_set_thresholds() -> None:
    store = KnowledgeStore(ROOT / "knowledge")
    store.reload()
    matcher = store.matcher
    cases = yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))["cases"]
    answered = [c for c in cases if not c.get("abstain")]
    abstained = [c for c in cases if c.get("abstain")]
    failures = [c["q"] for c in cases if not passes(c, match_json(matcher, matcher.match(c["q"])))]
    ok_in = sum(c["q"] not in failures for c in answered) / len(answered)
    ok_out = sum(c["q"] not in failures for c in abstained) / len(abstained)
    assert ok_in >= 0.95 and ok_out >= 0.95, f"answered {ok_in:.3f}, abstained {ok_out:.3f}; failures: {failures}"
