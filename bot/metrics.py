"""Prometheus metrics: the metric objects and the small hooks that feed them.

The core and the channels call the hooks below (`handling`, `qa_outcome`, `answer_recorded`,
`duplicate_dropped`, `api_error`); the web server serves `render()` at `/metrics`. This module
imports no channel and nothing of the core, so anything may import it.

Labels are small fixed vocabularies (channel names, update kinds, outcomes, error codes):
never a user id, a chat id or any text a person typed.

Each process has its own figures (Prometheus scrapes every process or container and sums);
what lives in the database (the broadcast queue) is read when `/metrics` is scraped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)      # process_resident_memory_bytes, process_cpu_seconds_total, open fds
PlatformCollector(registry=REGISTRY)

UPDATES = Counter("rightsbot_updates", "Updates received, by channel and kind (text, command, button, ...).",
                  ["channel", "kind"], registry=REGISTRY)
HANDLER_SECONDS = Histogram(
    "rightsbot_handler_seconds", "Time from an update's arrival to its replies having been sent, by channel and kind.",
    ["channel", "kind"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0))
QA_OUTCOMES = Counter("rightsbot_qa_outcomes", "Free-text questions by the matcher's verdict (answer, suggest, none).",
                      ["outcome"], registry=REGISTRY)
ANSWERS = Counter("rightsbot_answers_recorded", "Quiz answers recorded (each once), by mode (contest, practice).",
                  ["mode"], registry=REGISTRY)
DUPLICATES = Counter("rightsbot_duplicates_dropped", "Redelivered updates dropped by the event-id claim, by channel.",
                     ["channel"], registry=REGISTRY)
API_ERRORS = Counter("rightsbot_bot_api_errors", "Failed calls to a platform's API, by channel and error code "
                     "(HTTP status or platform code; 'network' for no answer).", ["channel", "code"], registry=REGISTRY)
BROADCAST_QUEUE = Gauge("rightsbot_broadcast_queue_depth", "Outbox messages not sent yet, by channel (read from the "
                        "database at scrape time: the same in every process).", ["channel"], registry=REGISTRY)
TURNS_PER_COMMIT = Histogram("rightsbot_turns_per_commit", "Chat turns committed together in one transaction "
                             "(group commit, storage/group_commit.py).", registry=REGISTRY,
                             buckets=(1, 2, 4, 8, 16, 32))
DB_POOL_IN_USE = Gauge("rightsbot_db_connections_in_use", "Database connections this process has checked out.",
                       registry=REGISTRY)

QA_VERDICTS = frozenset({"answer", "suggest", "none"})
ANSWER_MODES = ("contest", "practice")
for _label in sorted(QA_VERDICTS):       # shown as 0 from the start, so rates work from the first scrape
    QA_OUTCOMES.labels(_label)
for _label in ANSWER_MODES:
    ANSWERS.labels(_label)


@contextmanager
def handling(channel: str, kind: str) -> Iterator[None]:
    """Count one update and time its handling: `with metrics.handling("telegram", "button"): ...`."""
    UPDATES.labels(channel, kind).inc()
    start = time.perf_counter()
    try:
        yield
    finally:
        HANDLER_SECONDS.labels(channel, kind).observe(time.perf_counter() - start)


def message_kind(text: str | None) -> str:
    """`command` for a slash command, else `text` (the label of a typed message)."""
    return "command" if (text or "").lstrip().startswith("/") else "text"


def qa_outcome(outcome: str) -> None:
    """The matcher's verdict on a free-text question; small talk and empty input are not counted."""
    if outcome in QA_VERDICTS:
        QA_OUTCOMES.labels(outcome).inc()


def answer_recorded(mode: str) -> None:
    """A quiz answer was recorded (not a duplicate, not stale)."""
    ANSWERS.labels(mode if mode in ANSWER_MODES else "other").inc()


def duplicate_dropped(channel: str) -> None:
    """A redelivered update (event id already claimed) had no effect."""
    DUPLICATES.labels(channel).inc()


def turns_batched(count: int) -> None:
    """`count` chat turns were committed in one transaction."""
    TURNS_PER_COMMIT.observe(count)


def api_error(channel: str, code: int | str) -> None:
    """A platform API call failed: `code` is the HTTP status, the platform's error code, or `network`."""
    API_ERRORS.labels(channel, str(code)[:16]).inc()


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
