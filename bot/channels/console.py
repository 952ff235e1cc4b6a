"""The terminal chat: the same dialogue as Telegram and Zalo, with numbered choices."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.channels.plain_text import text_with_list
from bot.core.dialogue import Dialogue
from bot.core.messages import Inbound, Reply

PROMPT = "> "


def render(reply: Reply) -> str:
    """Text, then the choices as a list (type the number, or the letter of a quiz option)."""
    return text_with_list(reply)


async def run_console(dialogue: Dialogue, lang: str = "vi", stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
    """Chat until EOF or /quit."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    user = "local"
    await dialogue.handle(Inbound("console", user, user, text=f"/lang {lang}", language=lang))
    for reply in await dialogue.handle(Inbound("console", user, user, text="/start", language=lang)):
        stdout.write(render(reply) + "\n\n")
    while True:
        if interactive:
            stdout.write(PROMPT)
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit", "/thoat"):
            break
        for reply in await dialogue.handle(Inbound("console", user, user, text=text, language=lang)):
            stdout.write(render(reply) + "\n\n")
    stdout.flush()
