"""Announcing a closed contest's results: each participant gets their own rank and score.

The messages go into the `broadcasts` outbox under the key (announce, contest id, channel,
chat), so announcing again, after a crash half-way or a restart, queues only what is missing
and nobody gets it twice. The channels drain the outbox at their own pace (Telegram ≤ 30
messages/s); progress is read back from the same rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.contests.contests import ContestInfo
from bot.contests.results import standings
from bot.quiz.units import Unit
from bot.storage.broadcasts import Outgoing, enqueue_broadcast
from bot.storage.models import Attempt, Broadcast

ANNOUNCE_KIND = "announce"
BATCH = 500

TEXTS = {
    "vi": "📣 Kết quả chung cuộc \"{title}\" ({code}): bạn xếp hạng {rank}/{total}, đạt {score}/{n} câu đúng.{prize}",
    "en": "📣 Final results of \"{title}\" ({code}): you ranked {rank} of {total}, with {score}/{n} correct.{prize}",
}
PRIZE_TEXTS = {
    "vi": {"first": "giải Nhất", "second": "giải Nhì", "third": "giải Ba", "consolation": "giải Khuyến khích"},
    "en": {"first": "first prize", "second": "second prize", "third": "third prize", "consolation": "a consolation prize"},
}
PRIZE_LINE = {"vi": " Chúc mừng bạn đạt {prize}!", "en": " Congratulations on {prize}!"}


@dataclass(frozen=True)
class AnnounceProgress:
    """How far an announcement has gone, per channel: queued, sent, and tried without success yet."""

    queued: int = 0
    sent: int = 0
    retrying: int = 0
    by_channel: dict[str, tuple[int, int]] = field(default_factory=dict)   # channel → (queued, sent)

    @property
    def waiting(self) -> int:
        return self.queued - self.sent


def announce_ref(contest: ContestInfo) -> str:
    return str(contest.id)


async def announce_results(session: AsyncSession, contest: ContestInfo, units: dict[str, Unit],
                           now: datetime) -> int:
    """Queue every ranked participant's message (to the chat of their latest attempt); returns rows added.

    Safe to call again: rows already queued are skipped by the outbox's unique key."""
    result = await standings(session, contest, units, None)
    ranked = {r.entry.registration_id: r for r in result.ranking}
    if not ranked:
        return 0
    chats = await _latest_chats(session, contest.id)
    messages = []
    for registration_id, r in ranked.items():
        if registration_id not in chats:
            continue
        channel, chat_id, lang = chats[registration_id]
        lang = lang if lang in TEXTS else "vi"
        prize = PRIZE_LINE[lang].format(prize=PRIZE_TEXTS[lang][r.prize]) if r.prize else ""
        text = TEXTS[lang].format(title=contest.spec.title, code=contest.code, rank=r.rank, total=len(result.ranking),
                                  score=r.entry.score, n=r.entry.n_questions, prize=prize)
        messages.append(Outgoing(ANNOUNCE_KIND, announce_ref(contest), channel, chat_id, text))
    added = 0
    for start in range(0, len(messages), BATCH):
        added += await enqueue_broadcast(session, messages[start:start + BATCH], now)
    return added


async def _latest_chats(session: AsyncSession, contest_id: int) -> dict[int, tuple[str, str, str]]:
    """registration → (channel, chat, language) of the person's latest attempt in this contest."""
    rows = await session.execute(
        select(col(Attempt.registration_id), col(Attempt.channel), col(Attempt.chat_id), col(Attempt.lang))
        .where(col(Attempt.contest_id) == contest_id, col(Attempt.registration_id).is_not(None))
        .order_by(col(Attempt.id)))
    return {int(reg or 0): (str(channel), str(chat), str(lang)) for reg, channel, chat, lang in rows}


async def announce_progress(session: AsyncSession, contest: ContestInfo) -> AnnounceProgress:
    """Queued and sent counts of a contest's announcement, read from the outbox."""
    unsent = col(Broadcast.sent_at).is_(None)    # no bound parameters: PostgreSQL matches it in GROUP BY
    rows = await session.execute(
        select(col(Broadcast.channel), unsent, col(Broadcast.attempts), func.count())
        .where(col(Broadcast.kind) == ANNOUNCE_KIND, col(Broadcast.ref) == announce_ref(contest))
        .group_by(col(Broadcast.channel), unsent, col(Broadcast.attempts)))
    queued, sent = Counter[str](), Counter[str]()
    retrying = 0
    for channel, is_unsent, tries, n in rows:
        queued[channel] += n
        if not is_unsent:
            sent[channel] += n
        elif tries:
            retrying += n
    return AnnounceProgress(sum(queued.values()), sum(sent.values()), retrying,
                            {ch: (queued[ch], sent[ch]) for ch in sorted(queued)})
