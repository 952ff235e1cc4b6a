"""Replies as plain text, for channels without buttons (terminal, Zalo): split long texts on
paragraph boundaries, and show choices as a list answered by typing a number or letter.

`split_text` is every channel's splitter (Telegram's too, with its own limit)."""

from __future__ import annotations

import re

from bot.core.messages import Choice, Reply

# Where a too-long text may be cut, best first: paragraphs, lines, sentences, words.
_CUT_AFTER = ("\n\n", "\n", ". ", " ")
_LETTERED = re.compile(r"^[A-Ha-h][.)]\s")

def split_text(text: str, limit: int) -> list[str]:
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
    """The reply's text followed by its choices as a typed-answer list (no buttons), and, when it
    carries files these channels cannot upload, the core's note on where to get them."""
    text = f"{reply.text}\n\n{files_note(reply)}" if reply.files else reply.text
    if not reply.choices or _options_in_text(reply):
        return text
    return f"{text}\n\n{choice_list(reply.choices, first)}"


def files_note(reply: Reply) -> str:
    """Where to get a reply's files (the core words it in the user's language in `extra`)."""
    names = ", ".join(f.filename for f in reply.files)
    return reply.extra.get("files_note") or f"📎 {names}: Telegram / rightsbot"


def _options_in_text(reply: Reply) -> bool:
    """A quiz question already lists its lettered options ("A. …" lines) in its text: don't list them twice."""
    lines = {line.strip()[:2] for line in reply.text.splitlines()}
    return all(_LETTERED.match(c.label) and c.label[:2] in lines for c in reply.choices)
