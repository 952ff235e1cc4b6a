"""Privacy (issue 9): personal fields of contests closed more than RETENTION_DAYS ago are purged by
the scheduler tick, exactly once; the logs of a whole contest run (every logger at DEBUG) hold no
name, phone number or message text; secrets are never logged nor echoed in errors."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.contests.scheduler import tick
from bot.storage.models import Registration
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA
from tests.telegram_harness import ROOT
from tests.zalo_support import free_port, zalo_env

from .contest_support import Chat, Clock, attempt_id_of, build, payloads, text_of
from .reliability_support import record

PEOPLE = {"alice": ("Hoàng Thị Bích Ngọc", "2009", "10A1", "0912345678"),
          "bob": ("Vương Đình Khải", "2008", "11B2", "+84987654321")}
QUESTION = "quyen rieng tu cua hoc sinh zqxv duoc bao ve the nao"


async def _contest_with_every_field(chat: Chat) -> str:
    """The admin grants a role; the staff member creates a contest asking name, birth year, class, phone."""
    await chat.say("admin", "/capquyen console:staff1 doan")
    await chat.say("staff1", "/taocuocthi")
    for typed in ["Cuộc thi riêng tư", "doan", "01/12/2026 08:00", "01/12/2026 20:00"]:
        await chat.say("staff1", typed)
    for button in ["mk:10", "mk:10", "mk:1", "mk:best", "mk:3", "mk:off", "mk:none", "mk:all", "mk:ok"]:
        done = await chat.press("staff1", button)
    match = re.search(r"Mã tham gia: ([A-Z0-9]+)", text_of(done))
    assert match, text_of(done)
    return match.group(1)


async def _register_everything(chat: Chat, user: str, code: str) -> int:
    name, birth, cls, phone = PEOPLE[user]
    joined = await chat.say(user, f"/thi {code}")
    await chat.press(user, next(p for p in payloads(joined) if p.endswith(":y")))
    await chat.say(user, "hoa binh")
    await chat.press(user, "ru:truong-a")
    for answer in (name, birth, cls, phone):
        ready = await chat.say(user, answer)
    start = next(p for p in payloads(ready) if p.startswith("rs:"))
    return int(start.split(":")[1])


async def test_logs_of_a_full_contest_run_hold_no_personal_data(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    code = await _contest_with_every_field(chat)
    for user in PEOPLE:
        contest_id = await _register_everything(chat, user, code)
        attempt = attempt_id_of(await chat.press(user, f"rs:{contest_id}"))
        for no in range(10):
            await chat.press(user, f"a:{attempt}:{no}:{no % 4}")
        await chat.say(user, QUESTION)
        await chat.say(user, "/dulieucuatoi")
    await chat.say("staff1", f"/dongcuocthi {code}")
    await chat.say("staff1", f"/ketquacuocthi {code}")
    await chat.say("alice", f"/bxh {code}")
    await chat.say("bob", "/xoadulieu")
    await chat.press("bob", "pv:y")
    await app.close()
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert len(caplog.records) > 5
    leaks = [v for person in PEOPLE.values() for v in person if len(v) > 4 and v in logged] + \
            [QUESTION] * (QUESTION in logged)
    assert leaks == [], leaks
    record("privacy_logs_in_process", records=len(caplog.records), leaks=0)


async def test_retention_purges_personal_fields_once(db_url: str) -> None:
    clock = Clock()
    app = await build(db_url, clock)
    chat = Chat(app)
    code = await _contest_with_every_field(chat)
    for user in PEOPLE:
        await _register_everything(chat, user, code)
    await chat.say("staff1", f"/dongcuocthi {code}")
    units = app.quizzes.units
    clock.advance(days=364)
    assert (await tick(app.db, units, clock(), retention_days=365)).personal_data_purged == 0
    clock.advance(days=2)
    assert (await tick(app.db, units, clock(), retention_days=365)).personal_data_purged == 2
    assert (await tick(app.db, units, clock(), retention_days=365)).personal_data_purged == 0
    async with app.db.session() as session:
        rows = (await session.execute(select(Registration))).scalars().all()
    assert all(r.erased and r.full_name is None and r.phone is None and r.birth_year is None and r.class_name is None
               and r.unit_id == "truong-a" for r in rows)
    await app.close()
    assert Settings(database_url=db_url, knowledge_dir=Path(), quizzes_dir=Path()).retention_days == 365
    record("retention", purged=2, purged_again=0, kept_before_n_days=True)


SECRETS = {"TELEGRAM_BOT_TOKEN": "424242:TGsecretTokenValue-QzX", "TELEGRAM_WEBHOOK_SECRET": "tg-hook-secret-QzX",
           "ZALO_OA_SECRET_KEY": "oa-secret-key-QzX", "ZALO_OA_APP_SECRET": "oa-app-secret-QzX",
           "ZALO_OA_ACCESS_TOKEN": "oa-access-QzX", "ZALO_OA_REFRESH_TOKEN": "oa-refresh-QzX",
           "ZALO_BOT_TOKEN": "777:zalo-bot-token-QzX"}


async def test_secrets_and_personal_data_never_reach_the_output(tmp_path: Path) -> None:
    """`python -m bot run` at LOG_LEVEL=DEBUG with distinctive secrets; everything goes wrong that
    can: bad signatures, refused tokens, failing sends. Not one secret, name or message in the output."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'secrets.db'}"
    async with FakeZaloOA(secret_key=SECRETS["ZALO_OA_SECRET_KEY"], app_secret="not-the-app-secret") as oa, \
            FakeZaloBot(token="777:some-other-token") as zb, FakeTelegramAPI(token="1:other") as tg:
        port = free_port()
        env = zalo_env(url, port, oa=oa, zb=zb, LOG_LEVEL="DEBUG")
        env.update(SECRETS)
        env.update({"TELEGRAM_API_BASE_URL": tg.base_url, "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
                    "ZALO_OA_ACCESS_TOKEN": SECRETS["ZALO_OA_ACCESS_TOKEN"]})
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=str(ROOT),
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    text = out.decode(errors="replace")
    assert process.returncode != 0 and "TELEGRAM_BOT_TOKEN" in text   # the refused token stops the run, named
    leaked = [k for k, v in SECRETS.items() if v in text or v.split(":")[-1] in text]
    assert leaked == [], leaked

    # A running bot: OA events with bad signatures, a token the OA refuses, a message with a name.
    async with FakeZaloOA(secret_key=SECRETS["ZALO_OA_SECRET_KEY"]) as oa, FakeZaloBot() as zb:
        port = free_port()
        env = zalo_env(url, port, oa=oa, zb=zb, LOG_LEVEL="DEBUG")
        env.update({k: v for k, v in SECRETS.items() if k.startswith("ZALO_OA")})
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=str(ROOT),
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        import aiohttp

        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        hook = f"http://127.0.0.1:{port}/zalo/oa"
        user = "2468458835296117922"
        assert await oa.deliver(hook, oa.event(user, QUESTION), signature="mac=" + "0" * 64) == 403
        assert await oa.deliver(hook, oa.event(user, PEOPLE["alice"][0])) == 200     # access token refused (-216)
        zb.push(zb.update("6ede9afa66b88fe6d6a9", PEOPLE["bob"][0] + " " + PEOPLE["bob"][3]))
        await asyncio.sleep(2.0)
        process.terminate()
        out, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    text = out.decode(errors="replace")
    assert "refresh" in text.lower()                          # the OA token trouble was logged…
    leaked = [k for k, v in SECRETS.items() if k.startswith("ZALO_OA") and v in text]
    assert leaked == [], leaked                               # …without any secret
    for value in (QUESTION, PEOPLE["alice"][0], PEOPLE["bob"][0], PEOPLE["bob"][3], zb.token):
        assert value not in text, value
    record("secrets_in_output", secrets_tested=len(SECRETS), log_level="DEBUG", leaks=0)
