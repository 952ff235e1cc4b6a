"""What may reach the log: our own messages at LOG_LEVEL, and libraries only from WARNING up.

Some libraries log what users sent at DEBUG or INFO: SQLAlchemy's engine logs every statement
with its parameters (names, phone numbers, message text), aiosqlite logs each call with its
arguments, python-telegram-bot logs whole updates and API results, and httpx logs request URLs,
which carry the bot token. Even LOG_LEVEL=DEBUG must not put a minor's name in a log file, so
these loggers are pinned at WARNING whatever the root level is.
"""

from __future__ import annotations

import logging

# Loggers that carry message content, SQL parameters or URLs with tokens below WARNING.
CHATTY_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "telegram", "httpx", "httpcore",
                  "hpack", "aiohttp.access", "aiohttp.client")


def quiet_chatty_loggers() -> None:
    """Pin the loggers above at WARNING (or higher, when one is already set higher)."""
    for name in CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
