"""The Zalo OA channel in process: the real core and database, a fake OA platform on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import App
from bot.channels.zalo_oa import ZaloOAChannel, oa_signature, verify_oa_signature
from bot.storage.models import ProcessedEvent, User, ZaloOAToken
from tests.fakes.zalo_oa import FakeZaloOA
from tests.zalo_support import count, serve

USER = "2468458835296117922"  # more digits than a float keeps



def oa_channel(app: App, oa: FakeZaloOA, **overrides: object) -> ZaloOAChannel:
    values: dict[str, object] = dict(
        zalo_oa_app_id=oa.app_id, zalo_oa_secret_key=oa.secret_key, zalo_oa_app_secret=oa.app_secret,
        zalo_oa_access_token=oa.access_token, zalo_oa_refresh_token=oa.refresh_token,
        zalo_oa_api_base_url=oa.base_url, zalo_oauth_base_url=oa.base_url,
    )
    values.update(overrides)
    return ZaloOAChannel(app, dataclasses.replace(app.settings, **values))  # type: ignore[arg-type]


def test_signature_is_sha256_of_app_id_body_timestamp_secret() -> None:
    body = b'{"event_name":"user_send_text","timestamp":"1699003881354"}'
    good = oa_signature("app", body, "1699003881354", "key")
    assert verify_oa_signature(good, app_id="app", body=body, timestamp="1699003881354", secret_key="key")
    assert verify_oa_signature("mac=" + good, app_id="app", body=body, timestamp="1699003881354", secret_key="key")
    assert not verify_oa_signature(good, app_id="app", body=body + b" ", timestamp="1699003881354", secret_key="key")
    assert not verify_oa_signature(None, app_id="app", body=body, timestamp="1699003881354", secret_key="key")


async def test_question_gets_answer_with_buttons_and_a_press_is_a_payload(app: App, oa: FakeZaloOA) -> None:
    async with serve(oa_channel(app, oa)) as url:
        assert await oa.deliver(url + "/zalo/oa", oa.event(USER, "tuyen ngon nhan quyen thong qua nam nao")) == 200
        [answer] = await oa.wait_for_sent(USER, 1)
        assert "10/12/1948" in answer.text and "📖 Nguồn:" in answer.text
        payloads = dict((p, t) for t, p in answer.buttons)
        assert "e:hr-day" in payloads and any(p.startswith("fb:") for p in payloads)
        await oa.deliver(url + "/zalo/oa", oa.event(USER, "e:hr-day"))     # the button press
        sent = await oa.wait_for_sent(USER, 2)
        assert "Ngày Quốc tế Nhân quyền là 10/12" in sent[1].text
    async with app.db.session() as session:
        user = (await session.execute(select(User).where(col(User.platform) == "zalo_oa"))).scalar_one()
    assert user.platform_user_id == USER


async def test_more_than_five_choices_are_numbered_and_typing_a_number_picks(app: App, oa: FakeZaloOA) -> None:
    async with serve(oa_channel(app, oa)) as url:
        await oa.deliver(url + "/zalo/oa", oa.event(USER, "/start"))
        [menu] = await oa.wait_for_sent(USER, 1)
        assert len(menu.buttons) == 5                                   # the main menu: 5 buttons
        await oa.deliver(url + "/zalo/oa", oa.event(USER, "/chude"))
        await oa.deliver(url + "/zalo/oa", oa.event(USER, "1"))
        sent = await oa.wait_for_sent(USER, 3)
        assert "Quyền cơ bản" in sent[1].text or sent[1].buttons
        assert sent[2].text.startswith("Chủ đề \"Quyền cơ bản\"")


async def test_bad_or_missing_signature_gets_403_and_changes_nothing(app: App, oa: FakeZaloOA) -> None:
    async with serve(oa_channel(app, oa)) as url:
        event = oa.event(USER, "tuyen ngon nhan quyen thong qua nam nao")
        assert await oa.deliver(url + "/zalo/oa", event, signature="mac=" + "0" * 64) == 403
        assert await oa.deliver(url + "/zalo/oa", event, sign=False) == 403
        forged = dict(event, app_id="someone-else")
        assert await oa.deliver(url + "/zalo/oa", forged, signature=oa.sign(b"{}", event["timestamp"])) == 403
        await asyncio.sleep(0.3)
    assert oa.sent == []
    assert await count(app, User) == 0
    assert await count(app, ProcessedEvent) == 0


async def test_a_redelivered_event_has_one_effect(app: App, oa: FakeZaloOA) -> None:
    async with serve(oa_channel(app, oa)) as url:
        event = oa.event(USER, "tuyen ngon nhan quyen thong qua nam nao", msg_id="a1b2c3")
        statuses = await asyncio.gather(*(oa.deliver(url + "/zalo/oa", event) for _ in range(3)))
        assert statuses == [200, 200, 200]
        await oa.wait_for_sent(USER, 1)
        await asyncio.sleep(0.5)
    assert len(oa.sent) == 1
    assert await count(app, ProcessedEvent, col(ProcessedEvent.channel) == "zalo_oa") == 1


async def test_expired_token_is_refreshed_once_and_the_pair_persisted(app: App, oa: FakeZaloOA) -> None:
    async with serve(oa_channel(app, oa)) as url:
        await oa.deliver(url + "/zalo/oa", oa.event(USER, "/start"))
        await oa.wait_for_sent(USER, 1)
        oa.expire_access_token()
        await oa.deliver(url + "/zalo/oa", oa.event(USER, "tuyen ngon nhan quyen thong qua nam nao"))
        sent = await oa.wait_for_sent(USER, 2)
    assert sent[1].token == "access-1" and "10/12/1948" in sent[1].text
    assert oa.refreshes == [{"refresh_token": "refresh-0", "app_id": oa.app_id, "grant_type": "refresh_token"}]
    async with app.db.session() as session:
        row = (await session.execute(select(ZaloOAToken))).scalar_one()
    assert (row.access_token, row.refresh_token, row.refreshes) == ("access-1", "refresh-1", 1)
    # A restart with the same environment uses the stored pair, not the configured (used) one.
    oa.expire_access_token()
    async with serve(oa_channel(app, oa)) as url:
        await oa.deliver(url + "/zalo/oa", oa.event(USER, "/help"))
        sent = await oa.wait_for_sent(USER, 3)
    assert sent[2].token == "access-2"
    assert [r["refresh_token"] for r in oa.refreshes] == ["refresh-0", "refresh-1"]


async def test_failed_refresh_is_loud_and_the_webhook_keeps_answering(app: App, oa: FakeZaloOA,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    async with serve(oa_channel(app, oa, zalo_oa_app_secret="wrong")) as url:
        oa.expire_access_token()
        with caplog.at_level(logging.ERROR):
            assert await oa.deliver(url + "/zalo/oa", oa.event(USER, "/start")) == 200
            await asyncio.sleep(0.5)
            assert await oa.deliver(url + "/zalo/oa", oa.event(USER, "/help")) == 200
            await asyncio.sleep(0.3)
    assert oa.sent == [] and len(oa.refreshes) == 1                     # no refresh storm
    assert "TOKEN REFRESH REFUSED" in caplog.text
    assert oa.app_secret not in caplog.text and "refresh-0" not in caplog.text


async def test_follow_is_ignored_and_a_sticker_gets_the_help(app: App, oa: FakeZaloOA) -> None:
    async with serve(oa_channel(app, oa)) as url:
        assert await oa.deliver(url + "/zalo/oa", oa.event(USER, event_name="follow")) == 200
        assert await oa.deliver(url + "/zalo/oa", oa.event(USER, event_name="user_send_sticker")) == 200
        [help_text] = await oa.wait_for_sent(USER, 1)
        await asyncio.sleep(0.3)
    assert "/luyentap" in help_text.text and len(oa.sent) == 1


async def test_admins_zalo_id_means_either_zalo_channel(app: App) -> None:
    from bot.core.dialogue import Routes, Turn
    from bot.core.messages import Inbound, Reply

    async def whoami(turn: Turn, _arg: str) -> list[Reply]:
        return [Reply("admin" if turn.is_admin else "user")]

    app.dialogue.admins = frozenset({"zalo:111", "zalo_bot:abc", "telegram:5"})
    app.dialogue.add(Routes(commands={"whoami": whoami}))

    async def role(channel: str, user_id: str) -> str:
        return (await app.dialogue.handle(Inbound(channel, user_id, user_id, text="/whoami")))[0].text

    assert await role("zalo_oa", "111") == "admin"
    assert await role("zalo_bot", "111") == "admin"
    assert await role("zalo_bot", "abc") == "admin"
    assert await role("zalo_oa", "abc") == "user"
    assert await role("telegram", "111") == "user"
    assert await role("console", "111") == "user"
