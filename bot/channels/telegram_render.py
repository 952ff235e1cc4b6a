"""How a core `Reply` looks on Telegram: text pieces within the limit and an inline keyboard.

Replies go out as plain text (no `parse_mode`): nothing a user typed, and no name in a
leaderboard, can ever be read as markup, so there is nothing to escape and nothing to inject.

The keyboard is built as the Bot API's own JSON (`{"inline_keyboard": [[{"text", "callback_data"}]]}`,
https://core.telegram.org/bots/api#inlinekeyboardmarkup), not as python-telegram-bot objects:
the library would only turn those back into the same dicts for the request, and building and
converting them took about a tenth of the bot's CPU under contest load (profiled).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from bot.channels import plain_text
from bot.core.messages import Choice, Reply

MAX_TEXT = 4096          # https://core.telegram.org/bots/api#sendmessage
MAX_CALLBACK_BYTES = 64  # https://core.telegram.org/bots/api#inlinekeyboardbutton
MAX_BUTTON_LABEL = 64
SHORT_LABEL = 3          # "A".."D", "1".."9": such buttons share a row
SHORT_PER_ROW = 4


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line, sentence, then word boundaries
    (the splitter the plain-text channels use); an empty text is one "…", as Telegram refuses empty ones."""
    return plain_text.split_text(text, limit) or ["…"]


class Button(TypedDict):
    """An InlineKeyboardButton as JSON: https://core.telegram.org/bots/api#inlinekeyboardbutton"""

    text: str
    callback_data: str


class Keyboard(TypedDict):
    """An InlineKeyboardMarkup as JSON: https://core.telegram.org/bots/api#inlinekeyboardmarkup"""

    inline_keyboard: list[list[Button]]


def keyboard(choices: Sequence[Choice]) -> Keyboard | None:
    """One button per row; 👍/👎 (`fb:` payloads) share one row, as do short labels like A–D."""
    rows: list[list[Button]] = []
    feedback: list[Button] = []
    for choice in choices:
        button = _button(choice)
        if button is None:
            continue
        if choice.payload.startswith("fb:"):
            feedback.append(button)
        elif len(choice.label) <= SHORT_LABEL and rows and _is_short_row(rows[-1]):
            rows[-1].append(button)
        else:
            rows.append([button])
    if feedback:
        rows.append(feedback)
    return {"inline_keyboard": rows} if rows else None


def _is_short_row(row: list[Button]) -> bool:
    return len(row) < SHORT_PER_ROW and all(len(b["text"]) <= SHORT_LABEL for b in row)


def _button(choice: Choice) -> Button | None:
    """A callback button; a payload over Telegram's 64 bytes is dropped rather than rejected by the API."""
    if not choice.payload or len(choice.payload.encode()) > MAX_CALLBACK_BYTES:
        return None
    label = choice.label if len(choice.label) <= MAX_BUTTON_LABEL else choice.label[: MAX_BUTTON_LABEL - 1] + "…"
    return {"text": label or "·", "callback_data": choice.payload}


def reply_pieces(reply: Reply) -> list[tuple[str, Keyboard | None]]:
    """The messages one reply becomes: its text pieces, the keyboard under the last."""
    pieces = split_text(reply.text)
    markup = keyboard(reply.choices)
    return [(piece, markup if i == len(pieces) - 1 else None) for i, piece in enumerate(pieces)]


def clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters with an ellipsis (poll questions, options, explanations)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
