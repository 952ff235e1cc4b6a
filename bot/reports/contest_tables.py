"""A contest's result tables with Vietnamese headers, as a prize committee reads them.

The same tables feed the XLSX workbook (one sheet each, settings first) and the CSV exports.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.contests.contests import as_utc
from bot.contests.ranking import PRIZES, Ranked, UnitResult
from bot.contests.results import Standings
from bot.contests.spec import LOCAL, ContestSpec
from bot.reports.contest_data import ContestReport, Participant, duration_text, local_time
from bot.reports.tables import Cell, Column, Table

PRIZE_NAMES = {"first": "Giải nhất", "second": "Giải nhì", "third": "Giải ba", "consolation": "Giải khuyến khích"}
FIELD_NAMES = {"name": "Họ và tên", "birth_year": "Năm sinh", "class": "Lớp", "phone": "Số điện thoại"}
PREDICTION_NAMES = {"participants": "Dự đoán số người dự thi", "full_scores": "Dự đoán số bài đạt điểm tối đa",
                    "off": "Không có"}
ERASED = "(đã xoá theo yêu cầu)"
RANKING_ORDER = ("Điểm (cao trước) → chênh lệch dự đoán (nhỏ trước) → thời gian làm bài (ngắn trước) "
                 "→ thời điểm nộp bài (sớm trước)")
WHEN = "dd/mm/yyyy hh:mm"

RANKING_COLUMNS = (
    Column("Hạng"), Column("Mã đăng ký"), Column("Họ và tên"), Column("Đơn vị"), Column("Mã đơn vị"),
    Column("Điểm"), Column("Số câu"), Column("Dự đoán"), Column("Chênh lệch dự đoán"),
    Column("Thời gian làm bài (giây)", "0.0"), Column("Thời gian làm bài"), Column("Nộp bài lúc", WHEN),
    Column("Giải"),
)
UNIT_COLUMNS = (
    Column("Hạng"), Column("Đơn vị"), Column("Mã đơn vị"), Column("Số người dự thi"), Column("Số thành viên"),
    Column("Tỷ lệ tham gia", "0.0%"), Column("Điểm trung bình", "0.00"), Column("Số bài điểm tối đa"),
    Column("Số giải cá nhân"), Column("Điểm giải", "0.##"), Column("Tổng điểm thi đua", "0.##"),
    Column("Cách tính"),
)


def contest_tables(report: ContestReport) -> list[Table]:
    """Settings, individual ranking, unit results, participants, questions, days, and each weekly round."""
    tables = [settings_table(report), ranking_table(report, report.overall, "Xếp hạng cá nhân"),
              units_table(report, report.overall), participants_table(report), questions_table(report),
              days_table(report)]
    if len(report.rounds) > 1:
        for rnd in report.rounds:
            state = "đã chốt" if rnd.closed else "chưa chốt, tạm tính"
            note = (f"Vòng {rnd.round_no}: {local_time(rnd.opens)} – {local_time(rnd.closes)} ({state}); "
                    f"xếp hạng riêng của vòng. {_actual_note(report.contest.spec, rnd.standings)}")
            tables.append(ranking_table(report, rnd.standings, f"Vòng {rnd.round_no}", note))
    return tables


def points_formula(spec: ContestSpec) -> str:
    """The unit points rule in words, with the contest's own weights."""
    points = spec.unit_points
    parts = [f"tỷ lệ tham gia × {points.get('rate', 100):g}"]
    parts += [f"{points.get(p, 0):g} × số {PRIZE_NAMES[p].lower()}" for p in PRIZES if points.get(p)]
    return "Tổng điểm thi đua = " + " + ".join(parts)


def settings_table(report: ContestReport) -> Table:
    spec = report.contest.spec
    contest = report.contest
    prizes = ", ".join(f"{PRIZE_NAMES[p]}: {spec.prizes.get(p, 0)}" for p in PRIZES)
    eligible = ", ".join(report.unit_name(u) if not u.startswith("kind:") else u for u in spec.eligible) \
        or f"Các đơn vị thuộc {report.organiser_name}"
    rows: list[tuple[Cell, ...]] = [
        ("Mã cuộc thi", contest.code),
        ("Tên cuộc thi", spec.title),
        ("Đơn vị tổ chức", f"{report.organiser_name} ({spec.organiser})"),
        ("Trạng thái", "Đã kết thúc" if contest.status == "closed" else "Đang mở"),
        ("Mở lúc (giờ Việt Nam)", local_time(spec.opens)),
        ("Đóng lúc (giờ Việt Nam)", local_time(spec.closes)),
        ("Số câu hỏi mỗi lượt", spec.questions),
        ("Thời gian làm bài (phút)", spec.time_limit_min),
        ("Số lượt thi mỗi vòng", spec.attempts if spec.attempts else "Không giới hạn"),
        ("Lượt được tính", "Lượt cao điểm nhất" if spec.counts == "best" else "Lượt đầu tiên"),
        ("Thông tin đăng ký thu thập", ", ".join(FIELD_NAMES[f] for f in spec.fields) + ", đơn vị"),
        ("Câu hỏi dự đoán", PREDICTION_NAMES.get(spec.prediction, spec.prediction)),
        ("Vòng thi", "Hằng tuần, mỗi vòng xếp hạng riêng" if spec.rounds == "weekly" else "Một vòng"),
        ("Đơn vị được dự thi", eligible),
        ("Chủ đề", ", ".join(f"{k} ({v:g})" for k, v in spec.topics.items()) or "Tất cả"),
        ("Độ khó", ", ".join(f"{k} ({v:g})" for k, v in spec.difficulty.items()) or "Ngẫu nhiên"),
        ("Cơ cấu giải cá nhân", prizes),
        ("Giới hạn số giải", f"Không quá {spec.prize_cap:.0%} số người dự thi"),
        ("Thứ tự xếp hạng", RANKING_ORDER),
        ("Công thức điểm đơn vị", points_formula(spec)),
        ("Số người dự thi (đã nộp bài)", len(report.overall.ranking)),
        ("Số người đăng ký", len(report.participants)),
        ("Câu dự đoán: đáp án toàn cuộc thi", report.overall.actual if report.overall.actual is not None else ""),
    ]
    for rnd in report.rounds:
        state = "đã chốt" if rnd.closed else "chưa chốt"
        rows.append((f"Vòng {rnd.round_no}", f"{local_time(rnd.opens)} – {local_time(rnd.closes)}, {state}, "
                                             f"{len(rnd.standings.ranking)} người dự thi"))
    rows.append(("Lập lúc (giờ Việt Nam)", local_time(report.generated)))
    return Table("Thiết lập", (Column("Thiết lập"), Column("Giá trị", wrap=True)), rows,
                 note="Xếp hạng và điểm đơn vị do chính bộ máy cuộc thi của chatbot tính, giống hệt kết quả trong chat.")


def ranking_table(report: ContestReport, result: Standings, title: str, note: str = "") -> Table:
    people = {p.registration_id: p for p in report.participants}
    rows: list[tuple[Cell, ...]] = [_ranking_row(report, r, people.get(r.entry.registration_id)) for r in result.ranking]
    if not note:
        note = f"Thứ tự: {RANKING_ORDER}. {_actual_note(report.contest.spec, result)}"
    return Table(title, RANKING_COLUMNS, rows, note)


def _ranking_row(report: ContestReport, r: Ranked, person: Participant | None) -> tuple[Cell, ...]:
    e = r.entry
    return (r.rank, e.registration_id, display_name(person), report.unit_name(e.unit_id), e.unit_id,
            e.score, e.n_questions, e.prediction, r.gap, round(e.duration_ms / 1000, 1), duration_text(e.duration_ms),
            local_naive(e.submitted), PRIZE_NAMES.get(r.prize or "", ""))


def _actual_note(spec: ContestSpec, result: Standings) -> str:
    if spec.prediction == "off":
        return "Không có câu hỏi dự đoán."
    actual = "" if result.actual is None else str(result.actual)
    return f"{PREDICTION_NAMES[spec.prediction]}: đáp án đúng = {actual}; chênh lệch = |dự đoán − đáp án|."


def display_name(person: Participant | None) -> str:
    if person is None:
        return ""
    if person.erased:
        return ERASED
    return person.full_name or ""


def units_table(report: ContestReport, result: Standings) -> Table:
    prizes = Counter(r.entry.unit_id for r in result.ranking if r.prize)
    rate_k = report.contest.spec.unit_points.get("rate", 100)
    rows: list[tuple[Cell, ...]] = []
    for rank, u in enumerate(result.units, start=1):
        rows.append((rank, report.unit_name(u.unit_id), u.unit_id, u.participants, u.members, u.rate, u.average,
                     u.full_scores, prizes[u.unit_id], u.prize_points, u.points, _unit_working(u, rate_k)))
    note = (f"{points_formula(report.contest.spec)}. Tỷ lệ tham gia = số người dự thi / số thành viên của đơn vị "
            "(trống khi đơn vị chưa khai báo số thành viên, khi đó phần tỷ lệ tính bằng 0).")
    return Table("Kết quả đơn vị", UNIT_COLUMNS, rows, note)


def _unit_working(u: UnitResult, rate_k: float) -> str:
    rate = "0 (chưa có số thành viên)" if u.rate is None else f"{u.rate:.4g}"
    return f"{rate} × {rate_k:g} + {u.prize_points:g} = {u.points:g}"


def participants_table(report: ContestReport) -> Table:
    """Only the fields this contest asked for."""
    fields = report.contest.spec.fields
    ranks = {r.entry.registration_id: r for r in report.overall.ranking}
    columns = (Column("Mã đăng ký"), *(Column(FIELD_NAMES[f]) for f in fields), Column("Đơn vị"), Column("Mã đơn vị"),
               Column("Đăng ký lúc", WHEN), Column("Số lượt đã nộp"), Column("Hạng"), Column("Điểm tính xếp hạng"))
    rows: list[tuple[Cell, ...]] = []
    for p in report.participants:
        declared = {"name": display_name(p), "birth_year": None if p.erased else p.birth_year,
                    "class": None if p.erased else p.class_name, "phone": None if p.erased else p.phone}
        ranked = ranks.get(p.registration_id)
        rows.append((p.registration_id, *(declared[f] for f in fields), report.unit_name(p.unit_id), p.unit_id,
                     local_naive(p.registered), p.attempts, ranked.rank if ranked else None,
                     ranked.entry.score if ranked else None))
    return Table("Người dự thi", columns, rows,
                 note="Chỉ gồm các thông tin cuộc thi này thu thập, với sự đồng ý của người dự thi.")


def questions_table(report: ContestReport) -> Table:
    columns = (Column("Mã câu hỏi"), Column("Chủ đề"), Column("Độ khó"), Column("Câu hỏi", wrap=True),
               Column("Số lượt trả lời"), Column("Số lượt đúng"), Column("Tỷ lệ đúng (%)", "0.0"),
               Column("Phương án sai được chọn nhiều nhất", wrap=True), Column("Số lượt chọn phương án đó"))
    rows: list[tuple[Cell, ...]] = [(q.question_id, q.topic, q.difficulty, q.text, q.answered, q.correct, q.percent,
                                     q.wrong_option or "", q.wrong_count) for q in report.questions]
    return Table("Thống kê câu hỏi", columns, rows,
                 note="Khó nhất trước. Tính trên mọi câu trả lời của mọi lượt thi; chữ cái theo thứ tự trong ngân hàng câu hỏi.")


def days_table(report: ContestReport) -> Table:
    columns = (Column("Ngày", "dd/mm/yyyy"), Column("Số bài nộp"), Column("Người dự thi lần đầu"),
               Column("Lũy kế người dự thi"))
    rows: list[tuple[Cell, ...]] = [(d.day, d.attempts, d.new_people, d.people_so_far) for d in report.days]
    return Table("Theo ngày", columns, rows, note="Ngày theo giờ Việt Nam; bài nộp gồm cả bài tự nộp khi hết giờ.")


def local_naive(moment: datetime) -> datetime:
    """A stored UTC time as a Vietnam wall-clock time without zone (spreadsheets have none)."""
    return as_utc(moment).astimezone(LOCAL).replace(tzinfo=None)
