"""The first step of a chat turn (storage/turn_start.py): the event claim and the user's rows, one
statement on PostgreSQL, two on SQLite, with the same outcome on both."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import ProcessedEvent, User
from bot.storage.turn_start import begin_turn
from bot.storage.users import save_step


async def test_a_new_user_is_created_a_redelivery_is_refused_and_state_is_read(db: Database) -> None:
    async with db.writer() as session:
        begun = await begin_turn(session, channel="telegram", event_id="100", user_id="7", language="en")
        assert begun is not None
        person, state = begun
        assert (person.platform, person.platform_user_id, person.language) == ("telegram", "7", "en")
        assert state.user_id == person.id and state.step is None
        await save_step(session, user_id=person.id, step="quiz", data={"a": 3})
        await session.commit()
    async with db.writer() as session:
        assert await begin_turn(session, channel="telegram", event_id="100", user_id="7", language="vi") is None
        again = await begin_turn(session, channel="telegram", event_id="101", user_id="7", language="vi")
        assert again is not None
        assert again[0].id == person.id and again[0].language == "en"          # the stored language
        assert (again[1].step, again[1].data) == ("quiz", '{"a": 3}')
        # No event id (the terminal chat): nothing is claimed, the user is read all the same.
        plain = await begin_turn(session, channel="telegram", event_id=None, user_id="7", language="vi")
        assert plain is not None and plain[0].id == person.id
        await session.commit()
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one() == 2
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 1


async def test_a_claim_rolls_back_with_its_turn(db: Database) -> None:
    async with db.writer() as session:
        assert await begin_turn(session, channel="zalo_oa", event_id="e1", user_id="u", language="vi") is not None
        await session.rollback()
    async with db.writer() as session:   # the turn did not commit: the same event is new again
        assert await begin_turn(session, channel="zalo_oa", event_id="e1", user_id="u", language="vi") is not None
        await session.commit()
