"""`rightsbot quiz import` and `rightsbot units import`: a spreadsheet (XLSX or CSV) in, YAML out.

Each bad row is reported by its spreadsheet row number (`FILE:ROW: error: message`, the header is
row 1); nothing is written while any row has an error. The columns are those of quizzes/README.md.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.qa.normalize import fold
from bot.quiz.bank import LETTERS, QuizBank, parse_question
from bot.quiz.check import length_warnings
from bot.quiz.units import Unit, ancestors
from bot.yamlfile import Problem

QUESTION_COLUMNS = ("id", "topic", "group", "difficulty", "question", "a", "b", "c", "d", "answer", "explanation",
                    "source", "question_en", "a_en", "b_en", "c_en", "d_en", "explanation_en")
QUESTION_REQUIRED = ("id", "topic", "question", "a", "b", "c", "d", "answer", "source")
EN_COLUMNS = ("question_en", "a_en", "b_en", "c_en", "d_en", "explanation_en")
UNIT_COLUMNS = ("id", "name", "kind", "parent", "members")
UNIT_REQUIRED = ("id", "name", "kind")
GROUPS = ("conventions", "constitution", "children_youth", "women_family", "workers", "general")
KINDS = ("school", "youth_union", "women_union", "labour_union", "agency")
_UNIT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

Row = tuple[int, dict[str, str]]


class SheetError(Exception):
    """The file cannot be read as a sheet at all (wrong type, not UTF-8, no header, missing columns)."""


# ---- reading ---------------------------------------------------------------------------------------


def read_sheet(path: Path, columns: tuple[str, ...], required: tuple[str, ...]) -> tuple[list[Row], list[Problem]]:
    """The data rows of the first sheet as (row number, {column: text}); warnings for unknown columns."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path)
    elif suffix == ".csv":
        raw = _csv_rows(path)
    else:
        raise SheetError("the file must be .xlsx or .csv")
    numbered = [(n, [_cell(v) for v in values]) for n, values in raw]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered:
        raise SheetError("the sheet is empty")
    header_row, header = numbered[0]
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise SheetError(f"row {header_row}: missing columns {', '.join(missing)} (expected {', '.join(columns)})")
    problems = [Problem(str(path), header_row, f"unknown column {name!r} is ignored", "warning")
                for name in names if name and name not in columns]
    rows = [(n, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(names) if name in columns})
            for n, cells in numbered[1:]]
    return rows, problems


def _xlsx_rows(path: Path) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SheetError(f"cannot read the spreadsheet ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        return [(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError("the CSV is not UTF-8: save it from Excel as “CSV UTF-8”") from None
    first = text.splitlines()[0] if text else ""
    delimiter = max(",;\t", key=first.count) if first else ","
    return list(enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1))


def _cell(value: Any) -> str:
    """A cell as text: 1990.0 (how Excel stores 1990) becomes "1990", empty cells ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- questions -------------------------------------------------------------------------------------


def import_questions(path: Path, bank: QuizBank, replacing: Path | None = None) -> tuple[dict[str, Any] | None, int, list[Problem]]:
    """A question file's YAML data from a sheet, checked against the existing bank (ids must be new,
    except in the file being replaced). Returns (data or None on any error, questions, problems)."""
    rows, problems = read_sheet(path, QUESTION_COLUMNS, QUESTION_REQUIRED)
    topic = _main_value(rows, "topic")
    group = _main_value(rows, "group") or "general"
    taken = {q.id: f"{q.path}:{q.line}" for q in bank.questions.values()
             if replacing is None or Path(q.path).resolve() != replacing.resolve()}
    first_row: dict[str, int] = {}
    items = []
    for number, cells in rows:
        item = _question_item(path, number, cells, topic, group, bank, problems)
        if item is None:
            continue
        qid = item["id"]
        if qid in first_row or qid in taken:
            where = f"row {first_row[qid]}" if qid in first_row else taken[qid]
            problems.append(Problem(str(path), number, f"{qid}: duplicate question id (already at {where})"))
            continue
        first_row[qid] = number
        items.append(item)
    if any(p.severity == "error" for p in problems) or not items:
        if not items and not rows:
            problems.append(Problem(str(path), 1, "no question rows"))
        return None, 0, problems
    known = bank.topics.get(topic)
    head = {"id": topic, "vi": known.vi if known else topic, "en": known.en if known else ""}
    return {"topic": head, "group": group, "questions": items}, len(items), problems


def _main_value(rows: list[Row], column: str) -> str:
    counts = Counter(cells.get(column, "") for _, cells in rows if cells.get(column))
    return counts.most_common(1)[0][0] if counts else ""


def _question_item(path: Path, number: int, cells: dict[str, str], topic: str, group: str, bank: QuizBank,
                   problems: list[Problem]) -> dict[str, Any] | None:
    """One row as a question mapping (validated like a YAML question), or None with the reason."""
    where = str(path)
    label = cells.get("id") or "question"

    def bad(message: str, severity: str = "error") -> None:
        problems.append(Problem(where, number, f"{label}: {message}", severity))

    options = [cells.get(c, "") for c in "abcd"]
    if not all(options):
        bad("columns A, B, C and D must all be filled (exactly 4 options)")
        return None
    answer = cells.get("answer", "").upper()
    if answer not in LETTERS:
        bad("`answer` must be the letter A, B, C or D")
        return None
    item = _question_mapping(cells, options, answer, topic, group, bad, bank)
    if item is None:
        return None
    found: list[Problem] = []
    question = parse_question(item, topic, group, where, number, found)
    problems.extend(found)
    if question is None:
        return None
    problems.extend(length_warnings(question))
    return item


def _question_mapping(cells: dict[str, str], options: list[str], answer: str, topic: str, group: str, bad: Any,
                      bank: QuizBank) -> dict[str, Any] | None:
    item: dict[str, Any] = {"id": cells.get("id", "")}
    row_topic, row_group = cells.get("topic", ""), cells.get("group", "")
    if not row_topic:
        bad("`topic` is empty")
        return None
    if row_topic != topic:
        if row_topic not in bank.topics:
            bad(f"topic {row_topic!r} is new: put a new topic's questions in a sheet of their own")
            return None
        item["topic"] = row_topic
    if row_group and row_group != group:
        item["group"] = row_group
    if row_group and row_group not in GROUPS:
        bad(f"unknown group {row_group!r} (expected one of {', '.join(GROUPS)})", "warning")
    item.update(difficulty=cells.get("difficulty") or "medium", question=cells.get("question", ""),
                options=options, answer=answer, explanation=cells.get("explanation", ""), source=cells.get("source", ""))
    english = [cells.get(c, "") for c in EN_COLUMNS]
    if any(english):
        if not all(english[:5]):
            bad("English needs question_en and A_en–D_en (or leave all six _en columns empty)")
            return None
        item["en"] = {"question": english[0], "options": english[1:5], "explanation": english[5]}
    return item


# ---- units -----------------------------------------------------------------------------------------


def import_units(path: Path, current: dict[str, Unit]) -> tuple[dict[str, Any] | None, int, list[Problem]]:
    """A complete units list from a sheet (parents must be in the sheet). Units of the current list
    that the sheet drops are warned about: contests and registrations may still name them."""
    rows, problems = read_sheet(path, UNIT_COLUMNS, UNIT_REQUIRED)
    where = str(path)
    items: dict[str, dict[str, Any]] = {}
    row_of: dict[str, int] = {}
    for number, cells in rows:
        item = _unit_item(where, number, cells, problems)
        if item is None:
            continue
        if item["id"] in items:
            problems.append(Problem(where, number, f"duplicate unit id {item['id']!r} (first at row {row_of[item['id']]})"))
            continue
        items[item["id"]] = item
        row_of[item["id"]] = number
    problems += _unit_links(where, items, row_of)
    dropped = [uid for uid in current if uid not in items]
    if dropped:
        shown = ", ".join(dropped[:10]) + (", …" if len(dropped) > 10 else "")
        problems.append(Problem(where, 1, f"{len(dropped)} units of the current list are not in the sheet: {shown}",
                                "warning"))
    if any(p.severity == "error" for p in problems) or not items:
        if not rows:
            problems.append(Problem(where, 1, "no unit rows"))
        return None, 0, problems
    return {"units": list(items.values())}, len(items), problems


def _unit_item(where: str, number: int, cells: dict[str, str], problems: list[Problem]) -> dict[str, Any] | None:
    uid, name, kind = cells.get("id", ""), cells.get("name", ""), cells.get("kind", "")
    errors = []
    if not _UNIT_ID.match(uid):
        errors.append("`id` must be lower-case letters, digits, - and _ (no spaces, no diacritics)")
    if not name:
        errors.append("`name` is empty")
    if kind not in KINDS:
        errors.append(f"`kind` must be one of {', '.join(KINDS)}")
    members_text = cells.get("members", "")
    if members_text and not members_text.isdigit():
        errors.append("`members` must be a whole number (or empty)")
    for message in errors:
        problems.append(Problem(where, number, f"unit {uid or '?'}: {message}"))
    if errors:
        return None
    return {"id": uid, "name": " ".join(name.split()), "kind": kind, "parent": cells.get("parent") or None,
            "members": int(members_text) if members_text else None, "sample": False}


def _unit_links(where: str, items: dict[str, dict[str, Any]], row_of: dict[str, int]) -> list[Problem]:
    """Unknown parents and cycles (a unit above itself)."""
    problems = []
    units = {uid: Unit(uid, item["name"], item["kind"], item["parent"]) for uid, item in items.items()}
    for uid, unit in units.items():
        if unit.parent and unit.parent not in units:
            problems.append(Problem(where, row_of[uid], f"unit {uid}: unknown parent {unit.parent!r} (not in the sheet)"))
        elif unit.parent and uid in ancestors(units, unit.parent):
            problems.append(Problem(where, row_of[uid], f"unit {uid}: its parents lead back to itself"))
    return problems


# ---- writing ---------------------------------------------------------------------------------------


def to_yaml(data: dict[str, Any], source: Path) -> str:
    """YAML text as the admin guide writes it (numbers-as-text quoted, Vietnamese kept readable)."""
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
    return f"# Imported from {source.name} by `rightsbot import`; check with `rightsbot kb check`.\n{body}"


def write_new(path: Path, text: str, force: bool) -> None:
    """Write the file; an existing one only with `force` (FileExistsError otherwise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w" if force else "x", encoding="utf-8") as out:
        out.write(text)


def default_question_output(quizzes_dir: Path, source: Path) -> Path:
    """quizzes/imported-<stem>.yaml, the stem cleaned to letters, digits, - and _."""
    stem = re.sub(r"[^a-z0-9_-]+", "-", fold(source.stem)).strip("-") or "sheet"
    return quizzes_dir / f"imported-{stem}.yaml"


def error_count(problems: Iterable[Problem]) -> int:
    return sum(p.severity == "error" for p in problems)
