"""Fuzzing the dialogue (issue 9): random text, random Unicode (right-to-left marks, zero-width
characters, combining marks, emoji, NUL, unpaired surrogates), 10,000-character messages, and
random or forged button payloads, through the real Dialogue on a real database with a contest
running and another student's attempt in progress.

Each case checks: nothing raises; every reply fits each platform once split by its channel's
renderer (Telegram 4,096 characters and 64-byte buttons, Zalo 2,000); and a forged payload (one
that names an attempt, contest, form step or report the sender was never offered) changes no table
except the sender's own user, dialogue state, event id and flood allowance.

The number of cases is FUZZ_CASES (300; 3,000 with RELIABILITY_FULL=1).
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.channels import telegram_render, zalo_render
from bot.core.messages import Inbound, Reply

from .contest_support import Chat, Clock, attempt_id_of, build
from .reliability_support import FULL, record, row_counts
from .test_contest_flow import create_contest_in_chat, register

FUZZ_CASES = int(os.environ.get("FUZZ_CASES") or (3000 if FULL else 300))
OWN_TABLES = {"users", "user_state", "processed_events", "flood_counters"}
# Payload prefixes that name something (an attempt, a contest, a form step, a report, an erasure):
# pressing one you were never shown must change nothing.
FORGEABLE = ("a", "rs", "rc", "ru", "rp", "re", "pr", "pv", "mk", "cb", "kg", "kp", "cr")

SPECIAL = ["\u202e", "\u202b", "\u200f", "\u200b", "\u200c", "\u200d", "\ufeff", "\u0301", "\u0323", "\u0300",
           "\x00", "\ud800", "\udfff", "👍", "🏳️‍🌈", "👩🏽‍⚖️", "ﷺ", "עברית", "العربية", "Tiếng Việt", "/", "@", "*", "_",
           "<b>", "</b>", "`", "[x](http://e.vn)", "\n", "\t", " ", "a:", ":", "0", "9", "-1", "99999999999999999999"]

texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from([c for c in SPECIAL if len(c) == 1]) | st.characters(), max_size=40),
    st.lists(st.sampled_from(SPECIAL), max_size=30).map("".join),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "đ", "👍", "\u200b", "ư\u0301", "x "]), st.integers(2000, 10_000)),
    st.sampled_from(["/start", "/help", "/thi", "/thi ZZZZZZ", "/ketqua", "/bxh", "/dongcuocthi", "/capquyen x y",
                     "/xoadulieu", "/taocuocthi", "/baocao", "/congbo", "/reload", "1", "2", "A", "câu b", "/lang en"]),
)


def forged_payloads(victim_attempt: int, contest_id: int) -> st.SearchStrategy[str]:
    refs = st.one_of(st.just(str(victim_attempt)), st.just(str(contest_id)), st.integers(-5, 10**12).map(str),
                     st.text(max_size=12))
    rest = st.one_of(
        st.builds(lambda r, q, o: f"{r}:{q}:{o}", refs, st.integers(-2, 12), st.integers(-2, 6)),
        st.builds(lambda r, a: f"{r}:{a}", refs, st.sampled_from(["y", "n", "ok", "x"])),
        refs, st.sampled_from(["y", "ok", "cancel", "truong-a", "doan", "10", "best", "all"]),
        st.text(max_size=70),
    )
    return st.builds(lambda p, r: f"{p}:{r}", st.sampled_from(FORGEABLE), rest)


def any_payloads() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=80), st.builds(lambda p, r: f"{p}:{r}", st.sampled_from(
        ["e", "t", "tp", "m", "lang", "pm", "ct", "no", "fb", "zz", ""]), st.text(max_size=40)))


def check_fits(replies: list[Reply]) -> None:
    """Every reply, as each channel renders it, is within that platform's limits."""
    for reply in replies:
        for text, markup in telegram_render.reply_pieces(reply):
            assert 0 < len(text) <= telegram_render.MAX_TEXT
            for row in (markup["inline_keyboard"] if markup else ()):
                for button in row:
                    assert len(button["callback_data"].encode()) <= 64
        for part in zalo_render.plain_texts(reply):
            assert 0 < len(part) <= zalo_render.ZALO_TEXT_LIMIT
        for message in zalo_render.oa_messages(reply):
            assert 0 < len(message["text"]) <= zalo_render.ZALO_TEXT_LIMIT


class _Bugs(logging.Handler):
    """The dialogue's safety net logs "BUG: …" when a handler raised; a fuzz case must never get there."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


class Fuzzer:
    """One event loop and one app for all the cases of a test (hypothesis calls a plain function)."""

    def __init__(self, db_url: str) -> None:
        self.bugs = _Bugs()
        logging.getLogger("bot.core.dialogue").addHandler(self.bugs)
        self.loop = asyncio.new_event_loop()
        self.app: App = self.loop.run_until_complete(self._setup(db_url))
        self.n = 0

    async def _setup(self, db_url: str) -> App:
        app = await build(db_url, Clock())
        chat = Chat(app)
        code = await create_contest_in_chat(chat)
        self.contest_id = await register(chat, "victim", code, "hoa binh", "truong-a", "Nguyễn Văn Nạn Nhân")
        self.victim_attempt = attempt_id_of(await chat.press("victim", f"rs:{self.contest_id}"))
        return app

    def send(self, user: str, text: str = "", payload: str | None = None, channel: str = "telegram") -> list[Reply]:
        self.n += 1
        inbound = Inbound(channel, user, user, text=text, payload=payload, event_id=f"fz{self.n}", language="vi")
        replies = self.loop.run_until_complete(self.app.dialogue.handle(inbound))
        assert not self.bugs.seen, (text, payload, self.bugs.seen[0])
        return replies

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.loop.run_until_complete(row_counts(self.app)).items() if k not in OWN_TABLES}

    def close(self) -> None:
        logging.getLogger("bot.core.dialogue").removeHandler(self.bugs)
        self.loop.run_until_complete(self.app.close())
        self.loop.close()


FUZZ = settings(max_examples=FUZZ_CASES, deadline=None, derandomize=not FULL,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def test_random_text_never_breaks_the_dialogue(tmp_path: Path) -> None:
    fuzzer = Fuzzer(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}")
    users = st.sampled_from(["1001", "1002", "victim-like", "\u202e1003"])

    @FUZZ
    @given(user=users, text=texts, channel=st.sampled_from(["telegram", "zalo_oa", "zalo_bot"]))
    def case(user: str, text: str, channel: str) -> None:
        check_fits(fuzzer.send(user, text=text, channel=channel))

    try:
        case()
        cases = fuzzer.n
    finally:
        fuzzer.close()
    record("fuzz_text", cases=cases, exceptions=0, replies_over_limit=0)


def test_forged_payloads_change_nothing(db_url: str) -> None:
    fuzzer = Fuzzer(db_url)
    before = fuzzer.counts()
    strategy = forged_payloads(fuzzer.victim_attempt, fuzzer.contest_id)

    @FUZZ
    @given(payload=strategy, user=st.sampled_from(["2001", "2002"]))
    def case(payload: str, user: str) -> None:
        replies = fuzzer.send(user, payload=payload)
        check_fits(replies)
        assert all(r.kind == "error" or not r.choices or r.text for r in replies)
        assert fuzzer.counts() == before, payload

    @settings(max_examples=max(50, FUZZ_CASES // 3), deadline=None, derandomize=not FULL,
              suppress_health_check=[HealthCheck.too_slow])
    @given(payload=any_payloads())
    def any_case(payload: str) -> None:
        check_fits(fuzzer.send("2003", payload=payload))

    try:
        case()
        forged = fuzzer.n
        any_case()
        view = fuzzer.loop.run_until_complete(Chat(fuzzer.app).attempt(fuzzer.victim_attempt))
        assert view.current_no == 0 and view.status == "active", "a forged press moved the victim's attempt"
        cases = fuzzer.n
    finally:
        fuzzer.close()
    database = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    record(f"fuzz_payloads_{database}", forged_cases=forged, random_cases=cases - forged, exceptions=0,
           state_changes=0)
