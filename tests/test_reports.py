"""Every export reopened and checked against the engine and the database: the results workbook
(openpyxl), the CSV, the charts (PNG size, no missing glyph), and the yearly DOCX (python-docx)."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from PIL import Image
from sqlalchemy import func, select
from sqlmodel import col

from bot.app import App, build_app
from bot.contests.results import question_stats, standings
from bot.reports import charts
from bot.reports.contest_data import ContestReport, contest_report
from bot.reports.contest_tables import RANKING_COLUMNS, contest_tables, ranking_table
from bot.reports.csv_file import table_csv
from bot.reports.workbook import workbook_bytes
from bot.reports.yearly import yearly_report
from bot.reports.yearly_docx import yearly_docx
from bot.storage.models import Attempt, QuestionLog, Registration

from .conftest import make_settings
from .contest_support import Clock
from .report_support import Person, quizzes_with_schools, run_contest

INJECTED = '=HYPERLINK("http://evil.example","bấm")'
PEOPLE = [
    Person("an", "truong-a", "Nguyễn Văn An", 5, prediction=3, minutes=4, class_name="10A1"),
    Person("binh", "truong-a", "Trần Thị Bình", 5, prediction=9, minutes=3, class_name="10A2"),
    Person("chi", "truong-b", INJECTED, 3, prediction=3, minutes=6, class_name="+11B"),
    Person("dung", "truong-b", "Phạm Dũng", 1, minutes=2, class_name="@12C"),
]


async def _app(db_url: str, clock: Clock, tmp_path: Path, schools: int = 0) -> App:
    quizzes = quizzes_with_schools(tmp_path, schools)
    return await build_app(make_settings(db_url, quizzes_dir=quizzes), clock=clock)


async def _report(app: App, code: str) -> ContestReport:
    async with app.db.session() as session:
        from bot.contests.contests import find_contest

        contest = await find_contest(session, code)
        assert contest is not None
        return await contest_report(session, contest, app.quizzes)


async def test_results_workbook_matches_the_engine(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app = await _app(db_url, clock, tmp_path)
    try:
        contest = await run_contest(app, clock, PEOPLE, fields=("name", "class"), rounds="weekly", days=10)
        report = await _report(app, contest.code)
        book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(contest_tables(report))))
        async with app.db.session() as session:
            engine = await standings(session, contest, app.quizzes.units, None)
            engine_rounds = [await standings(session, contest, app.quizzes.units, n) for n in (1, 2)]
            stats = {s.question_id: s for s in await question_stats(session, contest.id)}
    finally:
        await app.close()

    assert book.sheetnames == ["Thiết lập", "Xếp hạng cá nhân", "Kết quả đơn vị", "Người dự thi", "Thống kê câu hỏi",
                               "Theo ngày", "Vòng 1", "Vòng 2"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        widths = [sheet.column_dimensions[c].width for c in "AB"]
        assert all(w and w >= 6 for w in widths), sheet.title
    settings = {r[0]: r[1] for r in book["Thiết lập"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert settings["Mã cuộc thi"] == contest.code
    assert "tỷ lệ tham gia × 100" in settings["Công thức điểm đơn vị"]

    ranking = book["Xếp hạng cá nhân"]
    assert [c.value for c in ranking[1]] == [c.header for c in RANKING_COLUMNS]
    rows = [r for r in ranking.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)]
    assert [(r[0], r[1], r[5], r[8]) for r in rows] == [
        (x.rank, x.entry.registration_id, x.entry.score, x.gap) for x in engine.ranking]
    assert [r[0] for r in rows] == [1, 2, 3, 4]

    units = {r[2]: r for r in book["Kết quả đơn vị"].iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)}
    for u in engine.units:
        row = units[u.unit_id]
        assert (row[3], row[4], row[5], row[6], row[10]) == (u.participants, u.members, u.rate, u.average, u.points)
        assert row[11].endswith(f"= {u.points:g}")

    people = book["Người dự thi"]
    headers = [c.value for c in people[1]]
    assert "Họ và tên" in headers and "Lớp" in headers
    assert "Số điện thoại" not in headers and "Năm sinh" not in headers       # not collected by this contest
    # Text that would start a formula is stored as text, shown as typed, never evaluated.
    cells = [c for row in book.worksheets for line in row.iter_rows() for c in line]
    assert not any(c.data_type == "f" for c in cells)
    risky = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in risky} >= {INJECTED, "+11B", "@12C"}
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)

    questions = {r[0]: r for r in book["Thống kê câu hỏi"].iter_rows(min_row=2, values_only=True)
                 if isinstance(r[4], int)}
    assert set(questions) == set(stats)
    for qid, s in stats.items():
        assert (questions[qid][4], questions[qid][5], questions[qid][6]) == (s.answered, s.correct, s.percent)
        if s.correct < s.answered:
            assert questions[qid][7] and questions[qid][8] >= 1      # the most chosen wrong option
    for title, result in zip(("Vòng 1", "Vòng 2"), engine_rounds, strict=True):
        round_rows = [r for r in book[title].iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)]
        assert [(r[0], r[1]) for r in round_rows] == [(x.rank, x.entry.registration_id) for x in result.ranking]


async def test_csv_keeps_vietnamese_and_neutralises_formulas(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app = await _app(db_url, clock, tmp_path)
    try:
        contest = await run_contest(app, clock, PEOPLE)
        report = await _report(app, contest.code)
    finally:
        await app.close()
    data = table_csv(ranking_table(report, report.overall, "Xếp hạng cá nhân"))
    assert data.startswith("\ufeff".encode())                    # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Hạng", "Mã đăng ký", "Họ và tên"]
    names = [r[2] for r in rows[1:]]
    assert "'" + INJECTED in names and "Nguyễn Văn An" in names
    assert not any(cell and cell[0] in "=+-@" for row in rows for cell in row)


def _drawn_without_missing_glyphs(draw: object) -> bytes:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw()  # type: ignore[operator]
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing
    return png


def test_missing_glyph_check_catches_a_font_without_the_letters() -> None:
    """The check above is real: text DejaVu Sans cannot draw (Chinese) does warn."""
    from matplotlib.figure import Figure

    fig = Figure()
    fig.subplots().set_title("人权")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert any("missing from" in str(w.message) for w in caught)


async def test_charts_draw_vietnamese_with_top_15_and_others(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app = await _app(db_url, clock, tmp_path, schools=20)
    people = [Person(f"p{i}", f"s{i % 20 + 1:02d}", f"Người {i}", i % 6, minutes=2 + i % 5) for i in range(50)]
    try:
        contest = await run_contest(app, clock, people, days=5)
        report = await _report(app, contest.code)
    finally:
        await app.close()
    bars = charts.unit_bars(report)
    assert len(bars) == 16 and bars[-1].label == "Các đơn vị khác (5)"
    assert sum(b.participants for b in bars) == 50
    for draw in (lambda: charts.overview_png(report), lambda: charts.units_png(report),
                 lambda: charts.scores_png(report), lambda: charts.participation_png(report),
                 lambda: charts.qa_months_png([("11/2026", 5, 2, 1)])):
        png = _drawn_without_missing_glyphs(draw)
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width >= 600 and image.height >= 300
    assert [d.people_so_far for d in report.days][-1] == 50


async def test_yearly_docx_tables_and_figures_equal_the_database(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    app = await _app(db_url, clock, tmp_path)
    try:
        for user, text in (("q1", "tuoi bau cu"), ("q2", "Mấy tuổi thì được đi bầu cử?"), ("q3", "giá vàng hôm nay"),
                           ("q4", "When was the Universal Declaration of Human Rights adopted?")):
            from bot.core.messages import Inbound

            await app.dialogue.handle(Inbound("console", user, user, text=text))
        first = await run_contest(app, clock, PEOPLE, code="NAM26A")
        clock.advance(days=1)
        second = await run_contest(app, clock, PEOPLE[:2], code="NAM26B", organiser="sogd")
        async with app.db.session() as session:
            report = await yearly_report(session, year=2026, kb=app.knowledge.kb, bank=app.quizzes,
                                         now=clock() + timedelta(days=1))
            registered = {code: (await session.execute(select(func.count()).select_from(Registration)
                                                       .where(col(Registration.contest_id) == cid))).scalar_one()
                          for code, cid in ((first.code, first.id), (second.code, second.id))}
            took_part = {code: (await session.execute(select(func.count(func.distinct(Attempt.registration_id)))
                                                      .where(col(Attempt.contest_id) == cid))).scalar_one()
                         for code, cid in ((first.code, first.id), (second.code, second.id))}
            asked = (await session.execute(select(func.count()).select_from(QuestionLog)
                                           .where(QuestionLog.outcome.in_(("answer", "suggest", "none"))))).scalar_one()  # type: ignore[attr-defined]
            answered = (await session.execute(select(func.count()).select_from(QuestionLog)
                                              .where(col(QuestionLog.outcome) == "answer"))).scalar_one()
    finally:
        await app.close()
    doc = Document(io.BytesIO(yearly_docx(report)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in text and "năm 2026" in text and "01/01/2026" in text
    tables = {t.rows[0].cells[0].text: t for t in doc.tables if t.rows}
    contests = next(t for t in doc.tables if t.rows[0].cells[1].text == "Cuộc thi")
    body = {r.cells[2].text: [c.text for c in r.cells] for r in contests.rows[1:]}
    assert set(body) == {first.code, second.code}
    for code in body:
        assert body[code][7] == str(registered[code]) and body[code][8] == str(took_part[code])
    qa = {r.cells[0].text: r.cells[1].text for r in tables["Chỉ số"].rows[1:]}
    assert qa["Số câu hỏi người dùng gửi"] == str(asked) == "4"
    assert qa["Trả lời được"] == str(answered)
    assert "Nền tảng" in tables and "Ngôn ngữ" in tables
    # Three charts per contest and one of questions per month, each with a numbered caption.
    assert len(doc.inline_shapes) == 3 * 2 + 1
    assert sum(1 for p in doc.paragraphs if p.text.startswith("Hình ")) == 7
    # One table per organiser unit, under its name.
    assert "Đoàn Thanh niên thử nghiệm" in text and "Sở Giáo dục thử nghiệm" in text


@pytest.mark.parametrize("organiser", ["sogd"])
async def test_yearly_report_of_one_organiser_leaves_out_the_others(db_url: str, tmp_path: Path, organiser: str) -> None:
    clock = Clock()
    app = await _app(db_url, clock, tmp_path)
    try:
        await run_contest(app, clock, PEOPLE[:2], code="DOAN26")
        await run_contest(app, clock, PEOPLE[:2], code="SOGD26", organiser="sogd")
        async with app.db.session() as session:
            report = await yearly_report(session, year=2026, kb=app.knowledge.kb, bank=app.quizzes,
                                         organiser=organiser, now=clock())
    finally:
        await app.close()
    assert [c.contest.code for c in report.contests] == ["SOGD26"]
    text = "\n".join(p.text for p in Document(io.BytesIO(yearly_docx(report))).paragraphs)
    assert "toàn bộ chatbot" in text              # says the Q&A figures are not per unit
