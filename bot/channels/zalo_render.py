"""How a core `Reply` looks on Zalo, and how a typed number reads back against the list we showed.

Zalo rejects a text over 2,000 characters (OA error -210, Bot Platform HTTP 400); it never cuts
one. So every text is split here, on paragraph boundaries first. Choices become OA buttons
(at most 5) or a list numbered across the turn's replies, the same order the core stores them in.
"""

from __future__ import annotations

from typing import Any

from bot.channels import plain_text
from bot.channels.plain_text import text_with_list
from bot.core.messages import Reply

ZALO_TEXT_LIMIT = 2000
OA_MAX_BUTTONS = 5
OA_BUTTON_TITLE_LIMIT = 100


def split_text(text: str, limit: int = ZALO_TEXT_LIMIT) -> list[str]:
    """The text as parts Zalo accepts (at most 2,000 characters), cut at the best boundary."""
    return plain_text.split_text(text, limit)


def plain_texts(reply: Reply, first: int = 1) -> list[str]:
    """The texts the Bot Platform sends for one reply (it has no buttons); the list starts at `first`."""
    return split_text(text_with_list(reply, first))


def oa_messages(reply: Reply, first: int = 1) -> list[dict[str, Any]]:
    """The OA `message` objects for one reply: buttons on the last part when there are ≤ 5 choices."""
    if not reply.choices or len(reply.choices) > OA_MAX_BUTTONS:
        return [{"text": part} for part in plain_texts(reply, first)]
    messages: list[dict[str, Any]] = [{"text": part} for part in split_text(reply.text)] or [{"text": "…"}]
    messages[-1]["attachment"] = {
        "type": "template",
        # A press of an `oa.query.hide` button comes back as a `user_send_text` whose text is
        # the payload, without showing the payload in the chat.
        "payload": {"buttons": [
            {"title": _title(c.label), "type": "oa.query.hide", "payload": c.payload} for c in reply.choices
        ]},
    }
    return messages


def typed_pick(text: str, payloads: list[str]) -> str | None:
    """The payload a typed list number picks (1 = the first choice shown in the turn), or None.

    The core maps typed numbers too, but only after a guided form or a running attempt has had
    its say; those read "2" as a search or an answer. Here the number means what our list showed.
    """
    text = text.strip()
    if text.isdecimal() and len(text) <= 3 and 1 <= int(text) <= len(payloads):
        return payloads[int(text) - 1]
    return None


def _title(label: str) -> str:
    return label if len(label) <= OA_BUTTON_TITLE_LIMIT else label[: OA_BUTTON_TITLE_LIMIT - 1] + "…"
