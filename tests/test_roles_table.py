"""Walks docs/roles.md through Dialogue.handle (issue 9): every command as every role, and the
participant's own buttons pressed by everyone else. The document is the specification: a command
or payload prefix the dialogue knows but the tables do not list fails the test."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from bot.core.quiz_texts import qt
from bot.core.report_texts import rt
from bot.storage.models import StaffRole
from tests.conftest import ROOT

from .contest_support import Chat, Clock, attempt_id_of, build, text_of
from .reliability_support import record, row_counts
from .test_contest_flow import create_contest_in_chat, register

DOC = ROOT / "docs" / "roles.md"
ROLES = ("admin", "staff X", "staff Y", "participant", "stranger")
USERS = {"admin": "admin", "staff X": "staff1", "staff Y": "staffy", "participant": "pupil", "stranger": "nobody"}
REFUSALS = (qt("staff_only", "vi"), rt("admins_only", "vi"))
OWN_TABLES = {"users", "user_state", "processed_events", "flood_counters", "question_log", "feedback",
              "telegram_messages"}


def _table(heading: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8").split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|") and not line.startswith("|---")]
    return rows[1:]


def _commands(cell: str) -> list[str]:
    return re.findall(r"`/(\w+)", cell)


async def test_the_roles_table_covers_every_command_and_prefix(db_url: str) -> None:
    app = await build(db_url, Clock())
    documented = {c for row in _table("## Commands") for c in _commands(row[0])}
    prefixes = {p for row in _table("## Buttons") for p in re.findall(r"`(\w+):`", row[0])}
    await app.close()
    assert set(app.dialogue.routes.commands) - documented == set(), "commands missing from docs/roles.md"
    assert set(app.dialogue.routes.payloads) - prefixes == set(), "payload prefixes missing from docs/roles.md"


async def test_walk_the_roles_table(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    app = await build(db_url, Clock())
    chat = Chat(app)
    code = await create_contest_in_chat(chat)                  # staff1 (staff X) runs doan
    await chat.say("admin", "/capquyen console:staffy sogd")
    contest_id = await register(chat, "pupil", code, "hoa binh", "truong-a", "Nguyễn Văn An")
    attempt = attempt_id_of(await chat.press("pupil", f"rs:{contest_id}"))
    walked = 0
    # Refusals first, so that an allowed `/dongcuocthi` does not change what the later rows see.
    order = ("stranger", "participant", "staff Y", "staff X", "admin")
    for row in _table("## Commands"):
        sent = row[1].strip("`").format(code=code)
        cells = dict(zip(ROLES, row[2:], strict=True))
        for role in order:
            user = USERS[role]
            await chat.press(user, "mk:cancel")                # leave any form a previous row opened
            before = {k: v for k, v in (await row_counts(app)).items() if k not in OWN_TABLES}
            reply = text_of(await chat.say(user, sent))
            refused = any(r in reply for r in REFUSALS)
            assert refused == (cells[role] == "✗"), (sent, role, reply[:200])
            if refused:
                after = {k: v for k, v in (await row_counts(app)).items() if k not in OWN_TABLES}
                assert after == before, (sent, role)
            walked += 1
    # The participant's own buttons, pressed by everyone else: nothing happens.
    own = [f"a:{attempt}:0:1", f"rs:{contest_id}", f"re:{contest_id}", f"rc:{contest_id}:y", "ru:truong-a",
           "pv:y", f"pr:{attempt}"]
    for role in ("stranger", "staff Y", "staff X", "admin"):
        before = {k: v for k, v in (await row_counts(app)).items() if k not in OWN_TABLES}
        for payload in own:
            replies = await chat.press(USERS[role], payload)
            assert replies and replies[0].kind == "error", (role, payload, text_of(replies))
            walked += 1
        assert {k: v for k, v in (await row_counts(app)).items() if k not in OWN_TABLES} == before, role
    assert (await chat.attempt(attempt)).current_no == 0
    # Admin rights: only from ADMINS. Staff cannot grant, nobody can grant admin, every grant is logged.
    async with app.db.session() as session:
        roles = {(r.user_key, r.unit_id, r.granted_by) for r in (await session.execute(select(StaffRole))).scalars()}
    assert all(granted_by == "console:admin" for *_, granted_by in roles)
    assert ("console:newbie", "truong-a", "console:admin") in roles
    grants = [r.getMessage() for r in caplog.records if r.getMessage().startswith("staff role ")]
    assert len(grants) >= len(roles) and all("by console:admin" in g for g in grants)
    staff_grant = text_of(await chat.say("staff1", "/capquyen console:staff1 doan"))
    newbie_report = text_of(await chat.say("newbie", "/baocao"))
    assert any(r in staff_grant for r in REFUSALS) and any(r in newbie_report for r in REFUSALS)
    await app.close()
    database = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    record(f"roles_{database}", cells_walked=walked, commands=len(_table("## Commands")), roles=len(ROLES),
           wrong_cells=0)
