"""The yearly report as a Word document (python-docx), laid out the way agencies submit reports.

Page and type follow the administrative-document conventions (Decree 30/2020/NĐ-CP): A4,
margins 2/2/3/2 cm, Times New Roman 13 pt. Blanks the signer fills in by hand (place, date,
document number) stay blank: the document states only what the database holds.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table as DocxTable

from bot.reports import charts
from bot.reports.contest_data import ContestReport, local_time
from bot.reports.contest_tables import PREDICTION_NAMES, points_formula
from bot.reports.tables import Cell, Column, Table
from bot.reports.yearly import (
    YearlyReport,
    contests_table,
    languages_table,
    organiser_tables,
    platforms_table,
    prizes_table,
    qa_table,
    topics_table,
    units_table,
)

FONT = "Times New Roman"
CHART_WIDTH = Cm(16)
ROMAN = ("I", "II", "III", "IV", "V", "VI")


def yearly_docx(report: YearlyReport) -> bytes:
    """The whole report: heading block, title, scope and method, contests, Q&A, organisers, notes."""
    doc = Document()
    _page_setup(doc)
    _heading_block(doc, report)
    _title(doc, report)
    sections = [_scope, _contests, _qa, _organisers, _limits]
    figure = [0]
    for number, section in zip(ROMAN, sections, strict=False):
        section(doc, report, number, figure)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ---- layout ------------------------------------------------------------------------------------


def _page_setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name = FONT  # type: ignore[attr-defined]
    normal.font.size = Pt(13)  # type: ignore[attr-defined]
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # type: ignore[attr-defined]
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[name]
        style.font.name = FONT  # type: ignore[attr-defined]
        style.font.color.rgb = None  # type: ignore[attr-defined]
        style.font.size = Pt(13)  # type: ignore[attr-defined]
        style.font.bold = True  # type: ignore[attr-defined]


def _heading_block(doc: DocxDocument, report: YearlyReport) -> None:
    """Agency name on the left, the national motto on the right; place and date left blank."""
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    unit = report.organiser.name.upper() if report.organiser else "TÊN CƠ QUAN, ĐƠN VỊ: ……………"
    _cell_text(left, unit, bold=True, center=True, size=12)
    _cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, center=True, size=12)
    motto = right.add_paragraph()
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = motto.add_run("Độc lập - Tự do - Hạnh phúc")
    run.bold = True
    run.font.size = Pt(13)
    number = left.add_paragraph("Số: ……/BC-……")
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    when = doc.add_paragraph()
    when.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    when.add_run("……………, ngày …… tháng …… năm ……").italic = True


def _title(doc: DocxDocument, report: YearlyReport) -> None:
    for text, size in (("BÁO CÁO", 14), (f"Kết quả tuyên truyền, giáo dục về quyền con người qua chatbot năm {report.year}",
                                        13)):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold = True
        run.font.size = Pt(size)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(f"(Kỳ số liệu: {report.period.text()}; phục vụ báo cáo định kỳ trước ngày 30/11 "
              "theo Mục V Kế hoạch triển khai Đề án truyền thông về quyền con người)").italic = True


def _section(doc: DocxDocument, number: str, title: str) -> None:
    doc.add_heading(f"{number}. {title}", level=1)


def _bullet(doc: DocxDocument, text: str) -> None:
    doc.add_paragraph(f"- {text}")


# ---- sections ----------------------------------------------------------------------------------


def _scope(doc: DocxDocument, report: YearlyReport, number: str, _figure: list[int]) -> None:
    _section(doc, number, "PHẠM VI VÀ CÁCH TÍNH SỐ LIỆU")
    until = report.period.last
    running = until < date(report.year, 12, 31)
    _bullet(doc, f"Kỳ số liệu: từ ngày {report.period.first:%d/%m/%Y} đến hết ngày {until:%d/%m/%Y} (giờ Việt Nam)"
            + (", là ngày lập báo cáo; số liệu sau ngày này chưa có." if running else "."))
    _bullet(doc, "Đơn vị: " + (f"{report.organiser.name} và các đơn vị trực thuộc." if report.organiser
                               else "tất cả các đơn vị tổ chức cuộc thi trên chatbot."))
    _bullet(doc, f"Nguồn: cơ sở dữ liệu của chatbot, trích xuất tự động lúc {local_time(report.generated)}; "
                 "không có số liệu nhập tay hay ước tính.")
    _bullet(doc, "Người dự thi: người có ít nhất một lượt thi đã nộp (kể cả bài tự nộp khi hết giờ). "
                 "Xếp hạng: điểm → chênh lệch câu dự đoán → thời gian làm bài → thời điểm nộp.")
    _bullet(doc, "Tỷ lệ tham gia của đơn vị = số người dự thi / số thành viên đơn vị đã khai báo; "
                 "đơn vị chưa khai báo số thành viên thì để trống.")
    _bullet(doc, "Câu hỏi người dùng gửi: câu hỏi gõ vào được chatbot xử lý (trả lời, gợi ý câu gần đúng, "
                 "hoặc chưa trả lời được). Chatbot không lưu danh tính người hỏi.")
    if report.organiser:
        _bullet(doc, "Số liệu hỏi đáp (mục III) là của toàn bộ chatbot: câu hỏi không gắn với đơn vị nào.")


def _contests(doc: DocxDocument, report: YearlyReport, number: str, figure: list[int]) -> None:
    _section(doc, number, "CÁC CUỘC THI TÌM HIỂU ĐÃ TỔ CHỨC")
    if not report.contests:
        doc.add_paragraph("Trong kỳ không có cuộc thi nào trên chatbot.")
        return
    total = sum(c.participants for c in report.counts)
    doc.add_paragraph(f"Trong kỳ có {len(report.contests)} cuộc thi với tổng cộng {_int(total)} lượt người dự thi "
                      "(một người dự nhiều cuộc thi được tính ở mỗi cuộc thi).")
    add_table(doc, contests_table(report))
    for i, c in enumerate(report.contests, start=1):
        _contest(doc, c, i, figure)


def _contest(doc: DocxDocument, c: ContestReport, index: int, figure: list[int]) -> None:
    spec = c.contest.spec
    doc.add_heading(f"{index}. {spec.title} (mã {c.contest.code})", level=2)
    _bullet(doc, f"Đơn vị tổ chức: {c.organiser_name}.")
    _bullet(doc, f"Thời gian: {local_time(spec.opens)} – {local_time(spec.closes)}"
                 + ("" if c.contest.status == "closed" else " (đang diễn ra: số liệu tạm tính)") + ".")
    rounds = f"{len(c.rounds)} vòng hằng tuần" if spec.rounds == "weekly" else "một vòng"
    _bullet(doc, f"Hình thức: {spec.questions} câu trắc nghiệm mỗi lượt, {spec.time_limit_min} phút, {rounds}; "
                 f"câu hỏi dự đoán: {PREDICTION_NAMES.get(spec.prediction, spec.prediction).lower()}.")
    _bullet(doc, f"Số người đăng ký: {_int(len(c.participants))}; số người dự thi: {_int(len(c.overall.ranking))}.")
    _bullet(doc, f"{points_formula(spec)}.")
    doc.add_paragraph("Tham gia theo đơn vị:")
    add_table(doc, units_table(c))
    doc.add_paragraph("Giải cá nhân theo hạng:")
    add_table(doc, prizes_table(c), empty="Chưa có giải (vòng chưa chốt hoặc chưa có người dự thi).")
    for image, caption in ((charts.units_png(c), "Số người dự thi và điểm trung bình theo đơn vị"),
                           (charts.scores_png(c), "Phân bố điểm"),
                           (charts.participation_png(c), "Tham gia theo ngày")):
        _figure(doc, image, f"{caption} — {c.contest.code}", figure)


def _qa(doc: DocxDocument, report: YearlyReport, number: str, figure: list[int]) -> None:
    _section(doc, number, "HOẠT ĐỘNG HỎI – ĐÁP")
    qa = report.qa
    doc.add_paragraph(f"Trong kỳ, người dùng gửi {_int(qa.asked)} câu hỏi; chatbot trả lời được "
                      f"{_percent(qa.share('answer'))}, gợi ý câu gần đúng {_percent(qa.share('suggest'))} "
                      f"và chưa trả lời được {_percent(qa.share('none'))}.")
    add_table(doc, qa_table(report))
    doc.add_paragraph("Theo ngôn ngữ:")
    add_table(doc, languages_table(report), empty="Không có câu hỏi trong kỳ.")
    doc.add_paragraph("Theo nền tảng:")
    add_table(doc, platforms_table(report), empty="Không có câu hỏi trong kỳ.")
    doc.add_paragraph("Các chủ đề được hỏi nhiều nhất:")
    add_table(doc, topics_table(report), empty="Không có câu hỏi trong kỳ.")
    _figure(doc, charts.qa_months_png(qa.months), "Câu hỏi theo tháng", figure)


def _organisers(doc: DocxDocument, report: YearlyReport, number: str, _figure: list[int]) -> None:
    _section(doc, number, "TỔNG HỢP THEO ĐƠN VỊ TỔ CHỨC")
    tables = organiser_tables(report)
    if not tables:
        doc.add_paragraph("Không có đơn vị nào tổ chức cuộc thi trong kỳ.")
    for name, table in tables:
        doc.add_heading(name, level=2)
        add_table(doc, table)


def _limits(doc: DocxDocument, report: YearlyReport, number: str, _figure: list[int]) -> None:
    _section(doc, number, "GHI CHÚ")
    _bullet(doc, "Báo cáo chỉ gồm số liệu chatbot ghi nhận. Các hoạt động tuyên truyền khác (hội nghị, tài liệu, "
                 "báo chí…) do đơn vị tự bổ sung.")
    _bullet(doc, "Danh sách người đạt giải có họ tên nằm trong tệp kết quả của từng cuộc thi "
                 "(rightsbot contest results MÃ --xlsx), không đưa vào báo cáo này.")


# ---- tables and figures ------------------------------------------------------------------------


def add_table(doc: DocxDocument, table: Table, empty: str = "Không có số liệu.") -> DocxTable | None:
    """A bordered table with a bold header row; numbers in Vietnamese notation; the note below."""
    if not table.rows:
        doc.add_paragraph(empty).runs[0].italic = True
        return None
    out = doc.add_table(rows=1, cols=len(table.columns))
    out.style = doc.styles["Table Grid"]
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, column in zip(out.rows[0].cells, table.columns, strict=True):
        _cell_text(cell, column.header, bold=True, center=True, size=11)
        _shade(cell, "DDEBF7")
    for row in table.rows:
        cells = out.add_row().cells
        for cell, value, column in zip(cells, row, table.columns, strict=True):
            _cell_text(cell, cell_text(value, column), size=11, center=not isinstance(value, str))
    if table.note:
        note = doc.add_paragraph()
        run = note.add_run(table.note)
        run.italic = True
        run.font.size = Pt(11)
    return out


def cell_text(value: Cell, column: Column) -> str:
    """A value as Vietnamese documents write it: 1.234; 12,5%; 7,25; dates dd/mm/yyyy."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        if column.number_format and column.number_format.endswith("%"):
            return _percent(value)
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".").rstrip("0").rstrip(",")
    return value


def _int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".", ",")


def _cell_text(cell: object, text: str, *, bold: bool = False, center: bool = False, size: int = 11) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _shade(cell: object, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)  # type: ignore[attr-defined]


def _figure(doc: DocxDocument, png: bytes, caption: str, counter: list[int]) -> None:
    counter[0] += 1
    doc.add_picture(io.BytesIO(png), width=CHART_WIDTH)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(f"Hình {counter[0]}. {caption}")
    run.italic = True
    run.font.size = Pt(11)
