"""The yearly report's figures (section V of the provincial plan: units report before 30/11).

Collected from the database only: the contests that ran in the year (whole or in part), their
standings as the engine computes them, and the Q&A activity. The tables here feed both the
Word document (`yearly_docx.py`) and the optional workbook.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contests.contests import find_contest
from bot.contests.ranking import PRIZES
from bot.qa.knowledge import KnowledgeBase
from bot.quiz.bank import QuizBank
from bot.quiz.units import Unit, ancestors
from bot.reports.contest_data import ContestReport, contest_report, local_day, local_time
from bot.reports.contest_tables import PRIZE_NAMES
from bot.reports.tables import Cell, Column, Table
from bot.reports.usage import ContestCount, Period, QaActivity, contest_counts, qa_activity
from bot.storage.models import utcnow

PLATFORM_NAMES = {"telegram": "Telegram", "zalo_oa": "Zalo (Official Account)", "zalo_bot": "Zalo (Bot)",
                  "console": "Thử nghiệm (terminal)"}
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "Tiếng Anh"}


@dataclass
class YearlyReport:
    year: int
    period: Period
    organiser: Unit | None
    contests: list[ContestReport] = field(default_factory=list)
    counts: list[ContestCount] = field(default_factory=list)
    qa: QaActivity = field(default_factory=QaActivity)
    generated: datetime = field(default_factory=utcnow)
    units: dict[str, Unit] = field(default_factory=dict)

    def unit_name(self, unit_id: str) -> str:
        unit = self.units.get(unit_id)
        return unit.name if unit else unit_id


def year_period(year: int, today: date) -> Period:
    """1 January to 31 December, or to today while the year is still running."""
    last = min(date(year, 12, 31), today)
    return Period(date(year, 1, 1), max(last, date(year, 1, 1)))


async def yearly_report(session: AsyncSession, *, year: int, kb: KnowledgeBase, bank: QuizBank,
                        organiser: str | None = None, now: datetime | None = None) -> YearlyReport:
    """Every contest that ran in the year (of one organiser and the units below it, when given) and Q&A activity."""
    now = now or utcnow()
    period = year_period(year, local_day(now))
    wanted = None
    if organiser is not None:
        wanted = {u for u in bank.units if organiser in ancestors(bank.units, u)} | {organiser}
    report = YearlyReport(year, period, bank.units.get(organiser) if organiser else None, generated=now,
                          units=bank.units)
    report.counts = await contest_counts(session, period.start, period.end, wanted)
    for count in report.counts:
        contest = await find_contest(session, count.code)
        if contest is not None:
            report.contests.append(await contest_report(session, contest, bank, now))
    report.qa = await qa_activity(session, kb, period.start, period.end)
    return report


# ---- tables ------------------------------------------------------------------------------------


def contests_table(report: YearlyReport) -> Table:
    columns = (Column("STT"), Column("Cuộc thi"), Column("Mã"), Column("Đơn vị tổ chức"), Column("Bắt đầu"),
               Column("Kết thúc"), Column("Trạng thái"), Column("Số người đăng ký"), Column("Số người dự thi"),
               Column("Số lượt thi"), Column("Số đơn vị có người dự thi"), Column("Điểm trung bình", "0.00"),
               Column("Số giải cá nhân"))
    rows: list[tuple[Cell, ...]] = []
    for i, (c, count) in enumerate(zip(report.contests, report.counts, strict=True), start=1):
        ranking = c.overall.ranking
        average = round(sum(r.entry.score for r in ranking) / len(ranking), 2) if ranking else None
        units = sum(1 for u in c.overall.units if u.participants)
        rows.append((i, c.contest.spec.title, c.contest.code, c.organiser_name, local_time(c.contest.spec.opens),
                     local_time(c.contest.spec.closes), "Đã kết thúc" if c.contest.status == "closed" else "Đang mở",
                     count.registered, count.participants, count.attempts, units, average, _prizes_awarded(c)))
    return Table("Các cuộc thi", columns, rows,
                 note="Người dự thi: người có ít nhất một lượt thi đã nộp (kể cả tự nộp khi hết giờ). "
                      "Điểm trung bình: trên lượt được tính của mỗi người.")


def _prizes_awarded(c: ContestReport) -> int:
    return sum(1 for rnd in c.rounds for r in rnd.standings.ranking if r.prize)


def units_table(c: ContestReport) -> Table:
    columns = (Column("Đơn vị"), Column("Số người dự thi"), Column("Số thành viên"), Column("Tỷ lệ tham gia", "0.0%"),
               Column("Điểm trung bình", "0.00"), Column("Tổng điểm thi đua", "0.##"))
    rows: list[tuple[Cell, ...]] = [(c.unit_name(u.unit_id), u.participants, u.members, u.rate, u.average, u.points)
                                    for u in c.overall.units]
    return Table(f"Đơn vị — {c.contest.code}", columns, rows)


def prizes_table(c: ContestReport) -> Table:
    """Per round and prize: the ranks that earned it, how many people, and their units (no names)."""
    columns = (Column("Vòng"), Column("Giải"), Column("Hạng"), Column("Số người"), Column("Đơn vị của người đạt giải"))
    rows: list[tuple[Cell, ...]] = []
    for rnd in c.rounds:
        by_prize: dict[str, list[int]] = defaultdict(list)
        units: dict[str, Counter[str]] = defaultdict(Counter)
        for r in rnd.standings.ranking:
            if r.prize:
                by_prize[r.prize].append(r.rank)
                units[r.prize][c.unit_name(r.entry.unit_id)] += 1
        label = f"{rnd.round_no}" + ("" if rnd.closed else " (tạm tính)")
        for prize in PRIZES:
            ranks = by_prize.get(prize)
            if not ranks:
                continue
            span = str(ranks[0]) if len(ranks) == 1 else f"{ranks[0]}–{ranks[-1]}"
            who = ", ".join(f"{name} ({n})" for name, n in units[prize].most_common())
            rows.append((label, PRIZE_NAMES[prize], span, len(ranks), who))
    return Table(f"Giải — {c.contest.code}", columns, rows,
                 note="Số giải không vượt quá giới hạn của cuộc thi (mặc định 50% số người dự thi).")


def qa_table(report: YearlyReport) -> Table:
    qa = report.qa
    rows: list[tuple[Cell, ...]] = [
        ("Số câu hỏi người dùng gửi", qa.asked, None),
        ("Trả lời được", qa.outcomes["answer"], qa.share("answer")),
        ("Gợi ý câu hỏi gần đúng", qa.outcomes["suggest"], qa.share("suggest")),
        ("Chưa trả lời được", qa.outcomes["none"], qa.share("none")),
        ("Lượt mở câu trả lời từ danh mục/gợi ý", qa.opened_from_lists, None),
        ("Đánh giá hữu ích (👍)", qa.thumbs_up, None),
        ("Đánh giá chưa hữu ích (👎)", qa.thumbs_down, None),
        ("Người dùng mới", sum(qa.new_users.values()), None),
    ]
    return Table("Hỏi đáp", (Column("Chỉ số"), Column("Số lượng"), Column("Tỷ lệ", "0.0%")), rows,
                 note="Tỷ lệ tính trên số câu hỏi người dùng gửi. Không lưu danh tính người hỏi.")


def languages_table(report: YearlyReport) -> Table:
    qa = report.qa
    rows: list[tuple[Cell, ...]] = [(LANGUAGE_NAMES.get(k, k), n, n / qa.asked if qa.asked else 0.0)
                                    for k, n in qa.languages.most_common()]
    return Table("Ngôn ngữ", (Column("Ngôn ngữ"), Column("Số câu hỏi"), Column("Tỷ lệ", "0.0%")), rows)


def platforms_table(report: YearlyReport) -> Table:
    qa = report.qa
    platforms = sorted(set(qa.platforms) | set(qa.new_users), key=lambda p: (-qa.platforms[p], p))
    rows: list[tuple[Cell, ...]] = [(PLATFORM_NAMES.get(p, p), qa.platforms[p], qa.new_users[p]) for p in platforms]
    return Table("Nền tảng", (Column("Nền tảng"), Column("Số câu hỏi"), Column("Người dùng mới")), rows)


def topics_table(report: YearlyReport) -> Table:
    rows: list[tuple[Cell, ...]] = [(i, name, n) for i, (name, n) in enumerate(report.qa.topics, start=1)]
    return Table("Chủ đề", (Column("STT"), Column("Chủ đề"), Column("Số lượt trả lời")), rows,
                 note="Lượt trả lời: câu trả lời bot đưa ra cho câu hỏi gõ vào, cộng câu trả lời mở từ danh mục.")


def organiser_tables(report: YearlyReport) -> list[tuple[str, Table]]:
    """One table per organiser unit: its contests, participants, units reached, average score."""
    by_organiser: dict[str, list[tuple[ContestReport, ContestCount]]] = defaultdict(list)
    for c, count in zip(report.contests, report.counts, strict=True):
        by_organiser[c.contest.spec.organiser].append((c, count))
    tables = []
    columns = (Column("Cuộc thi"), Column("Thời gian"), Column("Số người dự thi"), Column("Số đơn vị có người dự thi"),
               Column("Tỷ lệ tham gia chung", "0.0%"), Column("Điểm trung bình", "0.00"))
    for organiser, items in sorted(by_organiser.items(), key=lambda kv: report.unit_name(kv[0])):
        rows: list[tuple[Cell, ...]] = []
        for c, count in items:
            ranking = c.overall.ranking
            with_members = [u for u in c.overall.units if u.members]
            members = sum(u.members or 0 for u in with_members)
            rate = sum(u.participants for u in with_members) / members if members else None
            average = round(sum(r.entry.score for r in ranking) / len(ranking), 2) if ranking else None
            rows.append((f"{c.contest.spec.title} ({c.contest.code})",
                         f"{local_time(c.contest.spec.opens)} – {local_time(c.contest.spec.closes)}",
                         count.participants, sum(1 for u in c.overall.units if u.participants), rate, average))
        name = report.unit_name(organiser)
        tables.append((name, Table(f"Tổ chức — {organiser}", columns, rows,
                                   note="Tỷ lệ tham gia chung = người dự thi / tổng số thành viên của các đơn vị "
                                        "đã khai báo số thành viên.")))
    return tables


def workbook_tables(report: YearlyReport) -> list[Table]:
    """The same figures as the document, one sheet each (settings-like summary first)."""
    summary = Table("Kỳ báo cáo", (Column("Mục"), Column("Giá trị")), [
        ("Năm", report.year), ("Kỳ số liệu", report.period.text()),
        ("Đơn vị", report.organiser.name if report.organiser else "Tất cả các đơn vị tổ chức"),
        ("Lập lúc (giờ Việt Nam)", local_time(report.generated)),
        ("Nguồn", "Cơ sở dữ liệu của chatbot (không nhập tay)")])
    tables = [summary, contests_table(report), qa_table(report), languages_table(report), platforms_table(report),
              topics_table(report)]
    for c in report.contests:
        tables += [units_table(c), prizes_table(c)]
    tables += [t for _, t in organiser_tables(report)]
    return tables
