"""Stale and foreign buttons, and names that look like markup (issue 9).

A press on another student's attempt, an old question, a closed contest, or a tampered code does
nothing and is answered politely. Names with HTML, Markdown and formula characters reach every
message as plain text (no parse_mode anywhere) and the results workbook as inert text.
"""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from bot.app import App
from bot.core.messages import Reply
from tests.conftest import ROOT

from .contest_support import Chat, Clock, attempt_id_of, build, text_of
from .reliability_support import record, row_counts
from .test_contest_flow import create_contest_in_chat, register

OWN = {"users", "user_state", "processed_events", "flood_counters"}
TRICKY = '=HYPERLINK("http://x.vn","<b>An</b>") *Bình* _Chi_ [x](http://e.vn) `c`'


async def _counts(app: App) -> dict[str, int]:
    return {k: v for k, v in (await row_counts(app)).items() if k not in OWN}


def _polite(replies: list[Reply]) -> bool:
    return bool(replies) and replies[0].kind == "error" and len(replies[0].text) > 10 and "Traceback" not in replies[0].text


async def test_stale_and_foreign_buttons_do_nothing_and_are_answered_politely(db_url: str) -> None:
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    code = await create_contest_in_chat(chat)
    contest_id = await register(chat, "victim", code, "hoa binh", "truong-a", "Nguyễn Văn An")
    await register(chat, "thief", code, "hoa hop", "truong-b", "Trần Văn Bình")
    victim = attempt_id_of(await chat.press("victim", f"rs:{contest_id}"))
    thief = attempt_id_of(await chat.press("thief", f"rs:{contest_id}"))
    await chat.press("thief", f"a:{thief}:0:0")
    cases = 0

    before = await _counts(app)
    for payload in [f"a:{victim}:0:1", f"a:{victim}:0:0", f"rs:{contest_id}9", f"re:{contest_id}", f"pr:{victim}",
                    f"a:{thief}:0:2",              # an old question (already answered)
                    f"a:{thief}:5:1",              # a question not reached yet
                    f"a:{thief}:1:7", "a:1:2", "a:-1:0:0", f"a:{victim}:0:0:0",
                    "ct:ZZZZZZ", "rc:999:y", "ru:truong-c", "mk:ok", "pv:x", "cb:ZZZZZZ", "kp:1:x", "kg:1"]:
        replies = await chat.press("thief", payload)
        assert _polite(replies), (payload, text_of(replies))
        cases += 1
    for typed in ["/thi ZZZZZZ", "/thi " + code[:-1] + ("A" if code[-1] != "A" else "B"), "/bxh ZZZZZZ",
                  "/dongcuocthi " + code, "/ketquacuocthi " + code]:
        replies = await chat.say("thief", typed)
        assert replies and replies[0].text, typed
        cases += 1
    assert await _counts(app) == before
    assert (await chat.attempt(victim)).current_no == 0

    # The contest closes: its buttons are stale now.
    assert "Đã đóng" in text_of(await chat.say("staff1", f"/dongcuocthi {code}"))
    after_close = await _counts(app)
    for payload in [f"rs:{contest_id}", f"a:{thief}:1:0", f"ct:{code}", f"re:{contest_id}"]:
        replies = await chat.press("thief", payload)
        assert replies and replies[0].text and "Traceback" not in text_of(replies), payload
        cases += 1
    assert await _counts(app) == after_close
    await app.close()
    database = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    record(f"stale_payloads_{database}", cases=cases, state_changes=0, impolite=0)


async def test_markup_in_names_is_plain_text_everywhere(db_url: str) -> None:
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    code = await create_contest_in_chat(chat)
    contest_id = await register(chat, "an", code, "hoa binh", "truong-a", "Nguyễn Văn An")
    # The name form refuses digits; a name can still carry every markup character. (The clock
    # moves on: registration tells a fresh row from an edit by its time.)
    clock.advance(seconds=5)
    await chat.press("an", f"re:{contest_id}")
    await chat.say("an", "hoa binh")
    await chat.press("an", "ru:truong-a")
    tricky_name = TRICKY.replace("http://x.vn", "http://x").replace("http://e.vn", "http://e")
    tricky_name = re.sub(r"\d", "", tricky_name)[:120]
    ready = await chat.say("an", tricky_name)
    assert "rs:" in str([c.payload for r in ready for c in r.choices]), text_of(ready)
    attempt = attempt_id_of(await chat.press("an", f"rs:{contest_id}"))
    for no in range(10):
        await chat.press("an", f"a:{attempt}:{no}:0")
    await chat.say("an", "1")
    await chat.say("staff1", f"/dongcuocthi {code}")
    shown = [await chat.say("an", "/dulieucuatoi"), await chat.say("an", f"/bxh {code}"),
             await chat.say("staff1", f"/ketquacuocthi {code}")]
    texts = [text_of(r) for r in shown]
    assert tricky_name.split(" ")[0] in texts[0]          # shown as typed (it is the person's own data)
    # Telegram: nothing is ever sent with a parse_mode, so no name is read as markup.
    channel_code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot" / "channels").glob("*.py"))
    assert "parse_mode=" not in channel_code and "ParseMode" not in channel_code
    # The workbook: every cell that starts like a formula is inert text.
    workbooks = [f for r in shown[2] for f in r.files if f.filename.endswith(".xlsx")]
    assert workbooks, "the results came without a workbook"
    book = load_workbook(io.BytesIO(workbooks[0].data))
    risky = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert risky, "the tricky name is not in the workbook"
    assert all(c.data_type == "s" and c.quotePrefix for c in risky), [(c.coordinate, c.value) for c in risky]
    await app.close()
    record("injection", names_tested=1, formula_cells_neutralised=len(risky), parse_mode_uses=0)
