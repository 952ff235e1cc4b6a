"""A table as every export sees it (XLSX sheet, CSV file, DOCX table), and the guard against
spreadsheet formula injection.

Names, classes and free text come from users. A cell that starts with `=`, `+`, `-` or `@`
(or a tab or carriage return) is run as a formula by Excel and LibreOffice when the file is
opened, e.g. `=HYPERLINK(...)` (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | datetime | date | None


@dataclass(frozen=True)
class Column:
    """A column: its Vietnamese header and how numbers in it are shown in a spreadsheet."""

    header: str
    number_format: str | None = None      # e.g. "0.0%", "dd/mm/yyyy hh:mm"
    wrap: bool = False                     # long text (question wording) wraps instead of widening


@dataclass(frozen=True)
class Table:
    """Rows under headers, with an optional note (how something was measured) shown with it."""

    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    note: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def is_formula_like(value: Any) -> bool:
    """Text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralised_text(value: Any) -> Any:
    """Text with a leading apostrophe when it would start a formula (the CSV convention)."""
    return "'" + value if is_formula_like(value) else value
