"""The Telegram channel's pure parts: splitting, keyboards, deep links, webhook secrets, the proxy."""

from __future__ import annotations

import pytest

from bot.channels.telegram import deep_link_text, webhook_path
from bot.channels.telegram_group_quiz import leaderboard_text
from bot.channels.telegram_render import MAX_TEXT, keyboard, split_text
from bot.channels.webserver import parse_listen, verify_secret
from bot.core.messages import Choice


def test_long_text_splits_on_paragraphs_within_the_limit() -> None:
    paragraphs = [f"Đoạn {i}. " + "quyền con người " * 40 for i in range(20)]
    pieces = split_text("\n\n".join(paragraphs))
    assert len(pieces) > 1 and all(len(p) <= MAX_TEXT for p in pieces)
    assert all(p.startswith("Đoạn ") for p in pieces), "every piece starts at a paragraph"
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]


def test_split_is_the_plain_text_splitter_with_telegrams_limit() -> None:
    """One splitter for every channel: a paragraph over 4,096 is cut after a sentence, never
    mid-word; Telegram refuses an empty message, so an empty text is one "…"."""
    paragraph = "Trẻ em có quyền được bảo vệ. " * 200                   # one 5,800-character paragraph
    pieces = split_text(paragraph)
    assert len(pieces) == 2 and all(len(p) <= MAX_TEXT for p in pieces)
    assert pieces[0].endswith("bảo vệ.") and pieces[1].startswith("Trẻ em")
    assert split_text("  \n ") == ["…"]


def test_keyboard_rows_feedback_together_and_long_payloads_dropped() -> None:
    markup = keyboard([Choice("Quyền trẻ em", "e:crc"), Choice("A", "a:1:0:0"), Choice("B", "a:1:0:1"),
                       Choice("👍", "fb:7:u"), Choice("👎", "fb:7:d"), Choice("quá dài", "x" * 65)])
    assert markup is not None
    rows = [[b["callback_data"] for b in row] for row in markup["inline_keyboard"]]
    assert rows == [["e:crc"], ["a:1:0:0", "a:1:0:1"], ["fb:7:u", "fb:7:d"]]
    assert keyboard([]) is None


def test_deep_link_becomes_the_join_command() -> None:
    assert deep_link_text("/start c_qcn24a") == "/thi QCN24A"
    assert deep_link_text("/start@rightsbot_test_bot c_AB12") == "/thi AB12"
    assert deep_link_text("/start") == "/start"
    assert deep_link_text("/start c_<script>") == "/start c_<script>"


def test_webhook_secret_and_paths() -> None:
    assert verify_secret("s3cret", "s3cret")
    assert not verify_secret("s3cre", "s3cret") and not verify_secret(None, "s3cret") and not verify_secret("x", None)
    assert webhook_path("https://bot.example.vn/tg/hook/") == "/tg/hook"
    assert webhook_path("https://bot.example.vn") == "/telegram"
    assert parse_listen("0.0.0.0:8080") == ("0.0.0.0", 8080) and parse_listen(":9000") == ("0.0.0.0", 9000)


def test_leaderboard_is_plain_text_names_as_typed() -> None:
    text = leaderboard_text([("<b>An</b>", 3), ("Bình & Chi", 2), ("Dũng", 1), ("Em", 0)], 3, "vi")
    assert text.splitlines() == ["🏆 Kết quả đố vui (3 câu)", "🥇 <b>An</b> — 3/3", "🥈 Bình & Chi — 2/3",
                                 "🥉 Dũng — 1/3", "4. Em — 0/3"]


def test_outgoing_requests_take_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY applies, NO_PROXY hosts go direct (looked up once per host, not per request)."""
    from bot.channels import http_proxy

    http_proxy._for_origin.cache_clear()
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    try:
        through = http_proxy.env_proxy("https://api.telegram.org/bot123:abc/sendMessage")
        assert str(through["proxy"]) == "http://proxy.example:3128"
        assert through["proxy_auth"] is not None and through["proxy_auth"].login == "user"
        assert http_proxy.env_proxy("http://127.0.0.1:8081/bot1/getMe") == {"proxy": None, "proxy_auth": None}
    finally:
        http_proxy._for_origin.cache_clear()
