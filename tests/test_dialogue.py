"""The dialogue core end to end on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from bot.app import App
from bot.core.messages import Inbound, Reply
from bot.storage.models import Feedback, QuestionLog, User


def said(text: str = "", payload: str | None = None, user: str = "u1", event: str | None = None,
         lang: str | None = "vi") -> Inbound:
    return Inbound("console", user, user, text=text, payload=payload, event_id=event, language=lang)


async def ask(app: App, text: str, **kw: object) -> Reply:
    replies = await app.dialogue.handle(said(text, **kw))  # type: ignore[arg-type]
    assert len(replies) == 1
    return replies[0]


async def test_question_gets_sourced_answer_with_related_and_feedback(app: App) -> None:
    reply = await ask(app, "tuyen ngon nhan quyen thong qua nam nao")
    assert reply.kind == "answer"
    assert "10/12/1948" in reply.text
    assert "📖 Nguồn: Nghị quyết 217 A" in reply.text
    payloads = [c.payload for c in reply.choices]
    assert "e:hr-day" in payloads
    assert any(p.startswith("fb:") and p.endswith(":u") for p in payloads)


async def test_english_question_gets_english_answer(app: App) -> None:
    reply = await ask(app, "When was the Universal Declaration of Human Rights adopted?", lang="en")
    assert reply.kind == "answer"
    assert "10 December 1948" in reply.text
    assert "📖 Source:" in reply.text


async def test_english_question_without_english_version_says_so(app: App) -> None:
    reply = await app.dialogue.handle(said(payload="e:hr-day", lang="en"))
    # the user's language is Vietnamese (first contact set it from the hint), so the answer is too
    assert "10/12" in reply[0].text


async def test_review_flag_is_shown(app: App) -> None:
    reply = await ask(app, "Mấy tuổi thì được đi bầu cử?")
    assert "18 tuổi" in reply.text
    assert "rà soát" in reply.text


async def test_out_of_scope_gets_no_answer_with_topics_and_is_logged(app: App) -> None:
    reply = await ask(app, "Giá vàng hôm nay bao nhiêu?")
    assert reply.kind == "none"
    assert "111" in reply.text
    assert any(c.payload.startswith("t:") for c in reply.choices)
    async with app.db.session() as session:
        logged = (await session.execute(select(QuestionLog).where(col(QuestionLog.outcome) == "none"))).scalars().all()
    assert [row.question for row in logged] == ["giá vàng hôm nay bao nhiêu"]


async def test_typed_number_picks_a_choice(app: App) -> None:
    menu = await ask(app, "/chude")
    assert menu.choices[0].payload == "t:rights"
    topic = await ask(app, "1")
    assert [c.payload for c in topic.choices][:2] == ["e:udhr-adoption", "e:hr-day"]
    answer = await ask(app, "2")
    assert "Ngày Quốc tế Nhân quyền là 10/12" in answer.text


async def test_a_text_that_may_be_a_press_is_one_only_if_that_choice_was_shown(app: App) -> None:
    """Quick replies that arrive as text (Zalo OA): the text of a choice shown last is its press;
    the same text for a choice not shown, or without the channel's flag, is just text."""
    def may_press(text: str, user: str = "u1") -> Inbound:
        return Inbound("console", user, user, text=text, language="vi", text_may_be_press=True)

    menu = await ask(app, "/chude")
    assert menu.choices[0].payload == "t:rights"
    topic = (await app.dialogue.handle(may_press("t:rights")))[0]
    assert [c.payload for c in topic.choices][:2] == ["e:udhr-adoption", "e:hr-day"]
    assert "Ngày Quốc tế Nhân quyền là 10/12" in (await app.dialogue.handle(may_press("e:hr-day")))[0].text
    await ask(app, "/chude", user="u2")                 # u2 was shown the topics, not the entries
    not_shown = (await app.dialogue.handle(may_press("e:hr-day", user="u2")))[0]
    assert not_shown.kind == "none" and "10/12" not in not_shown.text
    unflagged = await ask(app, "t:rights", user="u2")   # shown, but a typed text from this channel
    assert unflagged.kind == "none" and "e:hr-day" not in [c.payload for c in unflagged.choices]


async def test_feedback_counts_once(app: App) -> None:
    reply = await ask(app, "tuyen ngon nhan quyen thong qua nam nao")
    up = next(c.payload for c in reply.choices if c.payload.endswith(":u"))
    first = await app.dialogue.handle(said(payload=up))
    second = await app.dialogue.handle(said(payload=up))
    assert "Cảm ơn" in first[0].text
    assert "rồi" in second[0].text
    async with app.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Feedback))).scalar_one() == 1


async def test_forged_payloads_do_nothing(app: App) -> None:
    for payload in ["fb:999999:u", "fb:abc:x", "e:no-such-entry", "zz:1", "t:nope", "", "fb:"]:
        replies = await app.dialogue.handle(said(payload=payload or "x"))
        assert len(replies) == 1 and replies[0].kind == "error"
    async with app.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Feedback))).scalar_one() == 0


async def test_duplicate_delivery_has_one_effect(app: App) -> None:
    first = await app.dialogue.handle(said("tuoi ung cu", event="42"))
    again = await app.dialogue.handle(said("tuoi ung cu", event="42"))
    assert first and "21 tuổi" in first[0].text
    assert again == []
    async with app.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(QuestionLog))).scalar_one() == 1


async def test_smalltalk_and_language_switch(app: App) -> None:
    hello = await ask(app, "xin chào")
    assert hello.kind == "smalltalk" and "rightsbot" in hello.text
    switched = await ask(app, "/lang en")
    assert switched.text == "Switched to English."
    help_reply = await ask(app, "/help")
    assert "How to use rightsbot" in help_reply.text
    async with app.db.session() as session:
        user = (await session.execute(select(User).where(col(User.platform_user_id) == "u1"))).scalar_one()
    assert user.language == "en"


async def test_huge_emoji_message_is_handled(app: App) -> None:
    reply = await ask(app, "😀" * 5000)
    assert reply.kind in ("none", "empty") or reply.text
    assert len(reply.text) < 2000


async def test_unknown_command_is_explained(app: App) -> None:
    reply = await ask(app, "/khongco")
    assert "/help" in reply.text
