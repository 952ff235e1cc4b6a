"""How a core `Reply` looks on Zalo, and how a typed number reads back against the list we showed.

Zalo rejects a text over 2,000 characters (OA error -210, Bot Platform HTTP 400); it never cuts
one. So every text is split here, on paragraph boundaries first. Choices become OA buttons
(at most 5) or a list numbered across the turn's replies, the same order the core stores them in.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.messages import Choice, Reply

ZALO_TEXT_LIMIT = 2000
OA_MAX_BUTTONS = 5
OA_BUTTON_TITLE_LIMIT = 100
# Where a too-long text may be cut, best first: paragraphs, lines, sentences, words.
_CUT_AFTER = ("\n\n", "\n", ". ", " ")
_LETTERED = re.compile(r"^[A-Ha-h][.)]\s")


def split_text(text: str, limit: int = ZALO_TEXT_LIMIT) -> list[str]:
    """The text as parts of at most `limit` characters, each cut at the best boundary available."""
    text = text.strip()
    if not text:
        return []
    return [part for part in (p.strip() for p in _pack(text, limit, 0)) if part]


def _pack(text: str, limit: int, level: int) -> list[str]:
    """Greedily fill parts with pieces cut after `_CUT_AFTER[level]`; pieces too long go a level down."""
    if len(text) <= limit:
        return [text]
    if level == len(_CUT_AFTER):
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    sep = _CUT_AFTER[level]
    pieces = text.split(sep)
    pieces = [p + sep for p in pieces[:-1]] + pieces[-1:]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if len(current) + len(piece.rstrip()) <= limit:
            current += piece
            continue
        if current:
            parts.append(current)
        current = piece
        if len(piece.rstrip()) > limit:
            *done, current = _pack(piece, limit, level + 1)
            parts.extend(done)
    if current:
        parts.append(current)
    return parts


def choice_list(choices: tuple[Choice, ...], first: int = 1) -> str:
    """Choices as lines to answer by typing: numbered from `first`, or as-is when lettered (A. B. C.)."""
    if all(_LETTERED.match(c.label) for c in choices):
        return "\n".join(c.label for c in choices)
    return "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, start=first))


def text_with_list(reply: Reply, first: int = 1) -> str:
    """The reply's text followed by its choices as a typed-answer list (no buttons)."""
    if not reply.choices or _options_in_text(reply):
        return reply.text
    return f"{reply.text}\n\n{choice_list(reply.choices, first)}"


def _options_in_text(reply: Reply) -> bool:
    """A quiz question already lists its lettered options ("A. …" lines) in its text: don't list them twice."""
    lines = {line.strip()[:2] for line in reply.text.splitlines()}
    return all(_LETTERED.match(c.label) and c.label[:2] in lines for c in reply.choices)


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
    if text.isdigit() and len(text) <= 3 and 1 <= int(text) <= len(payloads):
        return payloads[int(text) - 1]
    return None


def _title(label: str) -> str:
    return label if len(label) <= OA_BUTTON_TITLE_LIMIT else label[: OA_BUTTON_TITLE_LIMIT - 1] + "…"
