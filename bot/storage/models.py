"""All tables, in one module. Times are stored as timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
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


# ---------------------------------------------------------------------------------------------
# Contests and practice (issue 4). Names and phone numbers live only in `registrations`, and
# `/xoadulieu` blanks them there; every other table holds ids, scores and times.
# ---------------------------------------------------------------------------------------------


def _optional_time_column(index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=True, index=index)


class StaffRole(SQLModel, table=True):
    """A staff role granted by an admin: `channel:user_id` may run contests of one organiser unit."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("user_key", "unit_id", name="uq_staff_roles_user_unit"),)

    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=96, index=True)
    unit_id: str = Field(max_length=64)
    granted_by: str = Field(max_length=96)
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column())


class Contest(SQLModel, table=True):
    """A contest: who organises it, when it runs, and its settings (JSON, see bot/contests/spec.py)."""

    __tablename__ = "contests"
    __table_args__ = (UniqueConstraint("code", name="uq_contests_code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16)
    title: str = Field(max_length=200)
    organiser: str = Field(max_length=64, index=True)
    status: str = Field(default="open", max_length=16)          # open | closed
    settings: str = Field(default="{}", max_length=8000)
    created_by: str = Field(max_length=96)
    opens: datetime = Field(sa_column=_time_column())
    closes: datetime = Field(sa_column=_time_column())
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column())
    closed_at: datetime | None = Field(default=None, sa_column=_optional_time_column())


class ContestRound(SQLModel, table=True):
    """One ranked round of a contest (a contest without weekly rounds has round 1 only)."""

    __tablename__ = "contest_rounds"
    __table_args__ = (UniqueConstraint("contest_id", "round_no", name="uq_contest_rounds_no"),)

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contests.id")
    round_no: int
    opens: datetime = Field(sa_column=_time_column())
    closes: datetime = Field(sa_column=_time_column(index=True))
    closed_at: datetime | None = Field(default=None, sa_column=_optional_time_column())
    actual: int | None = None                                      # the answer to the prediction question


class Registration(SQLModel, table=True):
    """What a participant declared for one contest (fixed after the first attempt)."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("contest_id", "user_id", name="uq_registrations_contest_user"),)

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contests.id")
    user_id: int = Field(foreign_key="users.id", index=True)
    unit_id: str = Field(max_length=64)
    full_name: str | None = Field(default=None, max_length=120)
    birth_year: int | None = None
    class_name: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=20)
    erased: bool = False
    consented: datetime = Field(sa_column=_time_column())
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column())


class Attempt(SQLModel, table=True):
    """One practice run or contest attempt, with a snapshot of the questions it showed."""

    __tablename__ = "attempts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    mode: str = Field(max_length=16)                               # practice | contest
    contest_id: int | None = Field(default=None, foreign_key="contests.id", index=True)
    round_no: int = 0
    registration_id: int | None = Field(default=None, foreign_key="registrations.id")
    status: str = Field(default="active", max_length=16)           # active | finished | expired
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    lang: str = Field(default="vi", max_length=8)
    questions: str = Field(sa_column=Column(Text, nullable=False))  # JSON snapshot, see bot/quiz/draw.py
    n_questions: int
    current_no: int = 0                                            # answered so far = the next question's index
    score: int = 0
    prediction: int | None = None
    started: datetime = Field(sa_column=_time_column())
    deadline: datetime | None = Field(default=None, sa_column=_optional_time_column(index=True))
    finished: datetime | None = Field(default=None, sa_column=_optional_time_column())
    duration_ms: int | None = None


class AttemptAnswer(SQLModel, table=True):
    """One answer; the primary key (attempt, question) makes a second press change nothing."""

    __tablename__ = "attempt_answers"

    attempt_id: int = Field(primary_key=True, foreign_key="attempts.id")
    question_no: int = Field(primary_key=True)
    question_id: str = Field(max_length=64, index=True)
    option: int
    correct: bool
    answered: datetime = Field(sa_column=_time_column())


class RankingRow(SQLModel, table=True):
    """A participant's place in a closed round (the attempt that counts, and any prize)."""

    __tablename__ = "contest_rankings"
    __table_args__ = (UniqueConstraint("contest_id", "round_no", "registration_id", name="uq_contest_rankings_person"),)

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contests.id")
    round_no: int
    rank: int
    registration_id: int = Field(foreign_key="registrations.id")
    attempt_id: int = Field(foreign_key="attempts.id")
    unit_id: str = Field(max_length=64)
    score: int
    gap: int | None = None                                         # |prediction − actual|
    duration_ms: int
    submitted: datetime = Field(sa_column=_time_column())
    prize: str | None = Field(default=None, max_length=16)


class Broadcast(SQLModel, table=True):
    """Outbox of messages the channels send (results, reminders); (kind, ref, channel, chat) sends once."""

    __tablename__ = "broadcasts"
    __table_args__ = (UniqueConstraint("kind", "ref", "channel", "chat_id", name="uq_broadcasts_once"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)                               # e.g. round_result | reminder | time_up
    ref: str = Field(max_length=64)                                # what it is about, e.g. "12:1"
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    text: str = Field(max_length=4000)
    attempts: int = 0                                              # delivery tries so far
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column())
    sent_at: datetime | None = Field(default=None, sa_column=_optional_time_column(index=True))


class BroadcastClaim(SQLModel, table=True):
    """A sender's hold on one `broadcasts` row (any channel), so every row goes out once across
    processes and restarts; it also keeps the row's delivery state between tries (migration 0007)."""

    __tablename__ = "broadcast_claims"

    broadcast_id: int = Field(primary_key=True, foreign_key="broadcasts.id")
    chat_id: str = Field(max_length=64, index=True)
    state: str = Field(default="sending", max_length=8)              # sending | retry | sent | failed
    claimed: datetime = Field(default_factory=utcnow, sa_column=_time_column(index=True))
    parts_sent: int = 0                                              # parts of a split text delivered
    retry_at: datetime | None = Field(default=None, sa_column=_optional_time_column())   # state retry: not before


# --- Telegram channel: state the channel keeps so any process can serve any update -------------


class TelegramMessage(SQLModel, table=True):
    """Which message in a chat carries an edit key, so the next reply with that key edits it."""

    __tablename__ = "telegram_messages"

    chat_id: str = Field(primary_key=True, max_length=64)
    edit_key: str = Field(primary_key=True, max_length=64)
    message_id: int
    updated: datetime = Field(default_factory=utcnow, sa_column=_time_column())


class TelegramGroupQuiz(SQLModel, table=True):
    """A practice quiz of native quiz polls running in a group."""

    __tablename__ = "telegram_group_quizzes"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=64, index=True)
    lang: str = Field(default="vi", max_length=8)
    topic: str | None = Field(default=None, max_length=64)
    questions: str = Field(sa_column=Column(Text, nullable=False))   # draw snapshot (bot.quiz.draw)
    n_questions: int
    sent: int = 0                                                   # polls posted so far
    open_period: int
    status: str = Field(default="running", max_length=16)            # running | done
    next_at: datetime = Field(default_factory=utcnow, sa_column=_time_column(index=True))
    created: datetime = Field(default_factory=utcnow, sa_column=_time_column())


class TelegramQuizPoll(SQLModel, table=True):
    """One posted quiz poll: which quiz, which question, the right option."""

    __tablename__ = "telegram_quiz_polls"

    poll_id: str = Field(primary_key=True, max_length=64)
    quiz_id: int = Field(foreign_key="telegram_group_quizzes.id", index=True)
    question_no: int
    correct: int
    message_id: int


class TelegramQuizAnswer(SQLModel, table=True):
    """A group member's answer to one poll (scored against the poll at the end: an answer may
    arrive before the poll is stored). The display name is blanked once the leaderboard is out."""

    __tablename__ = "telegram_quiz_answers"

    poll_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)
    option: int
    display_name: str = Field(default="", max_length=64)
    answered: datetime = Field(default_factory=utcnow, sa_column=_time_column())


# ---------------------------------------------------------------------------------------------
# Zalo (issue 6). The OA's OAuth token pair: the refresh token is single-use, so the pair is
# replaced in one UPDATE (one transaction) or the bot is locked out of the OA.
# ---------------------------------------------------------------------------------------------


class ZaloOAToken(SQLModel, table=True):
    """The current access/refresh token pair of one Zalo OA app (the database wins over the env)."""

    __tablename__ = "zalo_oa_tokens"

    app_id: str = Field(primary_key=True, max_length=64)
    access_token: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token: str = Field(sa_column=Column(Text, nullable=False))
    expires: datetime | None = Field(default=None, sa_column=_optional_time_column())
    refreshes: int = 0                                              # how many refreshes so far
    updated: datetime = Field(default_factory=utcnow, sa_column=_time_column())


# ---------------------------------------------------------------------------------------------
# Reports and curation (issue 7). A reload of the knowledge and question banks is a new
# generation here; every running process checks it every few seconds and reloads.
# ---------------------------------------------------------------------------------------------


class ContentVersion(SQLModel, table=True):
    """The generation of the served content (`knowledge`): bumped by `/reload` and `rightsbot kb reload`."""

    __tablename__ = "content_versions"

    name: str = Field(primary_key=True, max_length=32)
    generation: int = 0
    requested_by: str = Field(default="", max_length=96)
    requested: datetime = Field(default_factory=utcnow, sa_column=_time_column())


# ---------------------------------------------------------------------------------------------
# Reliability (issue 9). Flood control is counted here, not in memory, so every process behind
# one webhook sees the same count for a user.
# ---------------------------------------------------------------------------------------------


class FloodCounter(SQLModel, table=True):
    """A user's message allowance (a token bucket): `tokens` left at `stamp` (epoch seconds);
    `flooded` counts the messages dropped since the allowance ran out (the first gets a notice)."""

    __tablename__ = "flood_counters"

    user_id: int = Field(primary_key=True, foreign_key="users.id")
    tokens: float
    stamp: float
    flooded: int = 0
