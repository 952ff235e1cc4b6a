"""Tables into an XLSX workbook (openpyxl): bold frozen headers, fitted columns, safe text."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports.tables import Cell, Table, is_formula_like

MAX_WIDTH = 60
MIN_WIDTH = 6
WRAP_WIDTH = 50
SHEET_TITLE_CHARS = 31                  # Excel's limit; also no []:*?/\
_BAD_TITLE_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def workbook_bytes(tables: list[Table]) -> bytes:
    """One sheet per table, in order; returns the .xlsx file."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for table in tables:
        write_sheet(book.create_sheet(_sheet_title(table.title, used)), table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_sheet(sheet: Worksheet, table: Table) -> None:
    """Headers on row 1 (frozen), rows below, a note under the table, widths fitted to the text."""
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row_no, row in enumerate(table.rows, start=2):
        for index, value in enumerate(row, start=1):
            _put(sheet.cell(row=row_no, column=index), value, table.columns[index - 1])
    if table.note:
        note = sheet.cell(row=len(table.rows) + 3, column=1)
        _put_text(note, table.note)
        note.font = Font(italic=True)
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    _fit_columns(sheet, table)


def _put(cell: XlCell, value: Cell, column: object) -> None:
    number_format = getattr(column, "number_format", None)
    if isinstance(value, str):
        _put_text(cell, value)
        if getattr(column, "wrap", False):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)     # callers pass local times; Excel has no time zones
    cell.value = value
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, datetime):
        cell.number_format = "dd/mm/yyyy hh:mm"
    elif isinstance(value, date):
        cell.number_format = "dd/mm/yyyy"


def _put_text(cell: XlCell, text: str) -> None:
    """Text stays text: a value that starts like a formula is stored as a string with Excel's
    quote prefix (what typing '=… does), so it shows as typed and is never evaluated."""
    cell.value = text
    if is_formula_like(text):
        cell.data_type = "s"
        cell.quotePrefix = True


def _fit_columns(sheet: Worksheet, table: Table) -> None:
    for index, column in enumerate(table.columns, start=1):
        longest = max([_shown_width(column.header) // 2 + 2] + [_shown_width(_as_text(r[index - 1]))
                                                                 for r in table.rows[:2000] if index - 1 < len(r)])
        limit = WRAP_WIDTH if column.wrap else MAX_WIDTH
        sheet.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(limit, longest + 2))


def _as_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return "00/00/0000 00:00"
    if isinstance(value, date):
        return "00/00/0000"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _shown_width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_BAD_TITLE_CHARS).strip()[:SHEET_TITLE_CHARS] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: SHEET_TITLE_CHARS - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name
