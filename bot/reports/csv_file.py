"""A table as a CSV file that Excel opens with Vietnamese intact (UTF-8 with a byte-order mark)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from bot.reports.tables import Cell, Table, neutralised_text


def table_csv(table: Table) -> bytes:
    """Headers and rows; text that would start a formula gets a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralised_text(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_value(value: Cell) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return neutralised_text(value)
