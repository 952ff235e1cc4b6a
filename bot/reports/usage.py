"""Usage figures from the question log, the users table and the contests: counts only.

No user id, name or question text leaves this module (`rightsbot stats`, the yearly report).
What counts as what:
- a question asked: a typed question the matcher judged (`answer`, `suggest` or `none`); small
  talk and empty messages are not logged;
- answered: the bot gave an answer; suggested: it offered close questions ("did you mean");
  unanswered: it had none;
- an answer opened from a list (topic browsing, a suggestion picked) is counted apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.spec import LOCAL
from bot.qa.knowledge import KnowledgeBase
from bot.storage.models import Attempt, Contest, Feedback, QuestionLog, Registration, User

ASKED = ("answer", "suggest", "none")
REMOVED_ENTRY = "(mục đã gỡ khỏi cơ sở tri thức)"


@dataclass(frozen=True)
class Period:
    """From the start of one local day to the end of another (Vietnam time), as UTC bounds."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0, 0), LOCAL).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0, 0), LOCAL).astimezone(UTC)

    def text(self) -> str:
        return f"{self.first:%d/%m/%Y} – {self.last:%d/%m/%Y}"


@dataclass
class QaActivity:
    """What people asked and what the bot did with it, over a period."""

    asked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    topics: list[tuple[str, int]] = field(default_factory=list)       # topic name, answers shown
    entries: list[tuple[str, str, int]] = field(default_factory=list)  # entry id, title, answers shown
    opened_from_lists: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    months: list[tuple[str, int, int, int]] = field(default_factory=list)   # "mm/yyyy", answered, suggested, none
    new_users: Counter[str] = field(default_factory=Counter)                # per platform

    def share(self, outcome: str) -> float:
        return self.outcomes[outcome] / self.asked if self.asked else 0.0


@dataclass(frozen=True)
class ContestCount:
    code: str
    title: str
    organiser: str
    status: str
    opens: datetime
    closes: datetime
    registered: int
    participants: int                   # people with a submitted attempt
    attempts: int


def _between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    where: list[Any] = []
    if since is not None:
        where.append(column >= since)
    if until is not None:
        where.append(column < until)
    return where


async def qa_activity(session: AsyncSession, kb: KnowledgeBase, since: datetime | None = None,
                      until: datetime | None = None, top: int = 10) -> QaActivity:
    """Questions asked, shares answered/suggested/unanswered, languages, platforms, top topics and entries."""
    activity = QaActivity()
    when = _between(col(QuestionLog.created), since, until)
    rows = await session.execute(select(col(QuestionLog.outcome), col(QuestionLog.lang), col(QuestionLog.platform),
                                        func.count())
                                 .where(*when).group_by(col(QuestionLog.outcome), col(QuestionLog.lang),
                                                        col(QuestionLog.platform)))
    for outcome, lang, platform, n in rows:
        if outcome in ASKED:
            activity.outcomes[outcome] += n
            activity.languages[lang] += n
            activity.platforms[platform] += n
        elif outcome == "chosen":
            activity.opened_from_lists += n
    activity.asked = sum(activity.outcomes.values())
    shown = await session.execute(select(col(QuestionLog.entry_id), func.count())
                                  .where(*when, col(QuestionLog.outcome).in_(("answer", "chosen")),
                                         col(QuestionLog.entry_id).is_not(None))
                                  .group_by(col(QuestionLog.entry_id)))
    per_entry = Counter({str(e): int(n) for e, n in shown})
    per_topic = Counter[str]()
    for entry_id, n in per_entry.items():
        entry = kb.entries.get(entry_id)
        topic = kb.topics.get(entry.topic) if entry else None
        per_topic[topic.vi if topic else (entry.topic if entry else REMOVED_ENTRY)] += n
    activity.topics = per_topic.most_common(top)
    activity.entries = [(e, kb.entries[e].title("vi") if e in kb.entries else REMOVED_ENTRY, n)
                        for e, n in sorted(per_entry.items(), key=lambda item: (-item[1], item[0]))[:top]]
    votes = await session.execute(select(col(Feedback.rating), func.count())
                                  .where(*_between(col(Feedback.created), since, until)).group_by(col(Feedback.rating)))
    for rating, n in votes:
        if rating > 0:
            activity.thumbs_up += n
        else:
            activity.thumbs_down += n
    activity.months = await _months(session, since, until)
    users = await session.execute(select(col(User.platform), func.count())
                                  .where(*_between(col(User.created), since, until)).group_by(col(User.platform)))
    activity.new_users = Counter({str(p): int(n) for p, n in users})
    return activity


async def _months(session: AsyncSession, since: datetime | None, until: datetime | None) -> list[tuple[str, int, int, int]]:
    # Grouped here, not in SQL: month functions differ between SQLite and PostgreSQL, and the
    # month is Vietnam's, not UTC's.
    rows = await session.execute(select(col(QuestionLog.created), col(QuestionLog.outcome))
                                 .where(*_between(col(QuestionLog.created), since, until),
                                        col(QuestionLog.outcome).in_(ASKED)))
    counts: dict[tuple[int, int], Counter[str]] = {}
    for created, outcome in rows:
        moment = created if created.tzinfo else created.replace(tzinfo=UTC)
        local = moment.astimezone(LOCAL)
        counts.setdefault((local.year, local.month), Counter())[outcome] += 1
    return [(f"{m:02d}/{y}", c["answer"], c["suggest"], c["none"]) for (y, m), c in sorted(counts.items())]


async def contest_counts(session: AsyncSession, since: datetime | None = None, until: datetime | None = None,
                         organisers: set[str] | None = None) -> list[ContestCount]:
    """Contests running in the period (overlapping it), with registered people, participants and attempts."""
    query = select(Contest).order_by(col(Contest.opens), col(Contest.id))
    if until is not None:
        query = query.where(col(Contest.opens) < until)
    if since is not None:
        query = query.where(col(Contest.closes) >= since)
    result = []
    for contest in (await session.execute(query)).scalars():
        if organisers is not None and contest.organiser not in organisers:
            continue
        registered = (await session.execute(select(func.count()).select_from(Registration)
                                            .where(col(Registration.contest_id) == contest.id))).scalar_one()
        submitted = (await session.execute(
            select(func.count(), func.count(func.distinct(col(Attempt.registration_id))))
            .where(col(Attempt.contest_id) == contest.id, col(Attempt.status).in_(("finished", "expired"))))).one()
        result.append(ContestCount(contest.code, contest.title, contest.organiser, contest.status,
                                   _aware(contest.opens), _aware(contest.closes), int(registered),
                                   int(submitted[1]), int(submitted[0])))
    return result


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stats_text(activity: QaActivity, contests: list[ContestCount], since: datetime | None) -> str:
    """`rightsbot stats`: counts and shares only, no personal data."""
    lines = [f"Usage since {since.astimezone(LOCAL):%d/%m/%Y}" if since else "Usage (all time)", ""]
    lines.append(f"questions asked: {activity.asked}")
    for outcome, label in (("answer", "answered"), ("suggest", "suggested"), ("none", "unanswered")):
        lines.append(f"  {label:<11} {activity.outcomes[outcome]:>7}  {activity.share(outcome):6.1%}")
    lines.append(f"answers opened from lists: {activity.opened_from_lists}")
    lines.append(f"feedback: 👍 {activity.thumbs_up}  👎 {activity.thumbs_down}")
    lines += ["", "per platform (questions · new users):"]
    for platform in sorted(set(activity.platforms) | set(activity.new_users)):
        lines.append(f"  {platform:<10} {activity.platforms[platform]:>7} · {activity.new_users[platform]}")
    lines += ["", "per language:"]
    lines += [f"  {lang:<10} {n:>7}" for lang, n in activity.languages.most_common()]
    lines += ["", "top entries (answers shown):"]
    lines += [f"  {n:>6}  {entry_id}  {title[:60]}" for entry_id, title, n in activity.entries]
    lines += ["", "contests (registered · took part · attempts):"]
    lines += [f"  {c.code:<8} {c.status:<6} {c.registered:>5} · {c.participants:>5} · {c.attempts:>5}  {c.title[:50]}"
              for c in contests] or ["  none"]
    return "\n".join(lines)
