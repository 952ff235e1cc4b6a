"""Zalo rendering: texts cut under 2,000 characters on paragraph boundaries, buttons or a list."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.zalo_render import ZALO_TEXT_LIMIT, oa_messages, plain_texts, split_text
from bot.core.messages import Choice, Reply


def test_short_text_is_one_part() -> None:
    assert split_text("Xin chào") == ["Xin chào"]
    assert split_text("  \n ") == []


def test_long_text_is_cut_between_paragraphs() -> None:
    first, second = "a" * 1500, "b" * 1000
    assert split_text(f"{first}\n\n{second}") == [first, second]


def test_paragraph_over_the_limit_is_cut_between_sentences_then_words() -> None:
    sentence = "Trẻ em có quyền được bảo vệ. " * 100          # one 2,900-character paragraph
    parts = split_text(sentence)
    assert len(parts) == 2 and all(len(p) <= ZALO_TEXT_LIMIT for p in parts)
    assert parts[0].endswith("bảo vệ.")
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab .\nđ", min_size=0, max_size=700), min_size=1, max_size=12),
       st.integers(min_value=20, max_value=2000))
def test_parts_fit_and_keep_every_character(paragraphs: list[str], limit: int) -> None:
    text = "\n\n".join(paragraphs)
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit and p == p.strip() for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_up_to_five_choices_become_oa_buttons_on_the_last_part() -> None:
    reply = Reply("x" * 2500, (Choice("👍", "fb:1:u"), Choice("👎", "fb:1:d")))
    messages = oa_messages(reply)
    assert len(messages) == 2 and "attachment" not in messages[0]
    assert messages[1]["attachment"] == {"type": "template", "payload": {"buttons": [
        {"title": "👍", "type": "oa.query.hide", "payload": "fb:1:u"},
        {"title": "👎", "type": "oa.query.hide", "payload": "fb:1:d"},
    ]}}


def test_six_choices_become_a_numbered_list() -> None:
    reply = Reply("Chọn chủ đề:", tuple(Choice(f"Chủ đề {i}", f"t:{i}") for i in range(1, 7)))
    [message] = oa_messages(reply)
    assert "attachment" not in message
    assert message["text"].endswith("5. Chủ đề 5\n6. Chủ đề 6")


def test_lettered_options_are_listed_as_they_are() -> None:
    reply = Reply("Câu 1: …", (Choice("A. Có", "a:1:A"), Choice("B. Không", "a:1:B")))
    assert plain_texts(reply) == ["Câu 1: …\n\nA. Có\nB. Không"]


def test_a_question_that_lists_its_options_is_not_listed_twice() -> None:
    reply = Reply("Câu 1/10\n\nTuổi bầu cử?\n\nA. 16\nB. 18", (Choice("A. 16", "a:1:0:0"), Choice("B. 18", "a:1:0:1")))
    assert plain_texts(reply) == [reply.text]


def test_lists_are_numbered_across_the_turn_and_a_typed_number_reads_back() -> None:
    from bot.channels.zalo_render import typed_pick

    assert plain_texts(Reply("Chọn:", (Choice("Có", "x:1"), Choice("Không", "x:2"))), first=4) == ["Chọn:\n\n4. Có\n5. Không"]
    stored = ["t:a", "t:b", "x:1", "x:2"]
    assert typed_pick(" 4 ", stored) == "x:2"
    assert typed_pick("0", stored) is None and typed_pick("5", stored) is None and typed_pick("câu 1", stored) is None

