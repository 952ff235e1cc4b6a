"""What went wrong with the database, in words an admin can act on, and the alert that says so.

A message that meets a database fault gets a polite reply (the core never raises for a user's
input); the admins get an ERROR line in the log, prefixed `ADMIN ALERT`, at most once a minute
per kind of fault so a flood of users does not bury it:

| kind         | what it is                                                     |
|--------------|----------------------------------------------------------------|
| `disk_full`  | SQLite "database or disk is full", PostgreSQL 53100 disk_full  |
| `read_only`  | the database file or server refuses writes                     |
| `locked`     | SQLite still locked by another writer after the busy timeout   |
| `connection` | the server went away or refuses connections (restart, network) |
| `other`      | anything else (a bug: the traceback is not logged, it may quote user text) |
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

ALERT_EVERY = 60.0
_last_alert: dict[str, float] = {}
_suppressed: dict[str, int] = {}

_CONNECTION_WORDS = ("connection", "closed", "terminat", "shutting down", "starting up", "not yet accepting",
                     "refused", "reset by peer", "broken pipe", "cannot connect", "server closed")


def db_fault(exc: BaseException) -> str:
    """The kind of a database failure (see the table above)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "connection"
    orig = getattr(exc, "orig", None) or exc
    code = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    text = f"{type(orig).__name__} {orig}".lower()
    if "disk is full" in text or code == "53100" or "no space left" in text:
        return "disk_full"
    if "readonly" in text or "read-only" in text or code == "25006":
        return "read_only"
    if "database is locked" in text or "database table is locked" in text:
        return "locked"
    if isinstance(orig, OSError | ConnectionError) or code.startswith(("08", "57P")) \
            or any(word in text for word in _CONNECTION_WORDS):
        return "connection"
    return "other"


def alert_admins(kind: str, exc: BaseException, doing: str) -> None:
    """Log one `ADMIN ALERT` line for this kind of fault (rate-limited); only exception types, never
    messages: a database error's message quotes the statement's parameters (names, message text)."""
    now = time.monotonic()
    if now - _last_alert.get(kind, -ALERT_EVERY) < ALERT_EVERY:
        _suppressed[kind] = _suppressed.get(kind, 0) + 1
        return
    _last_alert[kind] = now
    more = _suppressed.pop(kind, 0)
    orig = getattr(exc, "orig", None)
    log.error("ADMIN ALERT: database %s while %s (%s%s); users are asked to try again%s", kind, doing,
              type(exc).__name__, f" from {type(orig).__name__}" if orig is not None else "",
              f"; {more} more since the last alert" if more else "")
