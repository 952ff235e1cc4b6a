"""All tables, in one module. Times are stored as timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _time_column(index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False, index=index)


class User(SQLModel, table=True):
    """A person on one platform. No names or phone numbers live here."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_users_platform_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=64)
    language: str = Field(default="vi", max_length=8)
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column())


class QuestionLog(SQLModel, table=True):
    """A question asked, normalised, with what the matcher did. No user id is stored."""

    __tablename__ = "question_log"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(max_length=400)
    lang: str = Field(max_length=8)
    platform: str = Field(max_length=16)
    outcome: str = Field(max_length=16)
    entry_id: str | None = Field(default=None, max_length=64)
    score: float = 0.0
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column(index=True))


class Feedback(SQLModel, table=True):
    """A 👍/👎 on one logged answer; a second press changes the rating, never adds a row."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("log_id", name="uq_feedback_log"),)

    id: int | None = Field(default=None, primary_key=True)
    log_id: int = Field(foreign_key="question_log.id")
    entry_id: str | None = Field(default=None, max_length=64)
    rating: int
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column())


class ProcessedEvent(SQLModel, table=True):
    """Platform event ids already handled: a redelivered update has no second effect."""

    __tablename__ = "processed_events"

    channel: str = Field(primary_key=True, max_length=16)
    event_id: str = Field(primary_key=True, max_length=96)
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column(index=True))


class UserState(SQLModel, table=True):
    """Per-user dialogue state that must survive restarts and be shared by processes."""

    __tablename__ = "user_state"

    user_id: int = Field(primary_key=True, foreign_key="users.id")
    choices: str = Field(default="[]", max_length=4000)   # JSON list of payloads, for typed numbers
    step: str | None = Field(default=None, max_length=64)
    data: str = Field(default="{}", max_length=8000)
    updated: datetime = Field(default_factory=utcnow, sa_column=_time_column())
