"""Units (schools, unions, agencies) from `quizzes/units.yaml`, and finding one by part of its name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.qa.normalize import fold
from bot.yamlfile import Problem, line_of, load_yaml

UNITS_FILE = "units.yaml"


@dataclass(frozen=True)
class Unit:
    """A unit that organises contests or whose members take part; `members` gives a participation rate."""

    id: str
    name: str
    kind: str
    parent: str | None = None
    members: int | None = None
    sample: bool = False
    path: str = ""
    line: int = 0


def load_units(path: Path) -> tuple[dict[str, Unit], list[Problem]]:
    """All units by id; unknown parents and duplicate ids are reported."""
    data, problems = load_yaml(path)
    if data is None:
        return {}, problems
    items = data.get("units") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return {}, [*problems, Problem(str(path), line_of(data), "expected a `units:` list")]
    units: dict[str, Unit] = {}
    for i, raw in enumerate(items):
        line = items.lines[i] if hasattr(items, "lines") else 1
        unit = _parse_unit(raw, str(path), line, problems)
        if unit is None:
            continue
        if unit.id in units:
            problems.append(Problem(str(path), line, f"duplicate unit id {unit.id!r}"))
            continue
        units[unit.id] = unit
    for unit in units.values():
        if unit.parent and unit.parent not in units:
            problems.append(Problem(unit.path, unit.line, f"unit {unit.id}: unknown parent {unit.parent!r}"))
    return units, problems


def _parse_unit(raw: Any, where: str, line: int, problems: list[Problem]) -> Unit | None:
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("name"):
        problems.append(Problem(where, line, "a unit needs `id` and `name`"))
        return None
    members = raw.get("members")
    if members is not None and (not isinstance(members, int) or members < 0):
        problems.append(Problem(where, line_of(raw, line, "members"), f"unit {raw['id']}: `members` must be a whole number"))
        members = None
    parent = raw.get("parent")
    return Unit(id=str(raw["id"]), name=str(raw["name"]), kind=str(raw.get("kind") or "unit"),
                parent=str(parent) if parent else None, members=members, sample=bool(raw.get("sample")),
                path=where, line=line)


def ancestors(units: dict[str, Unit], unit_id: str) -> list[str]:
    """The unit itself and every unit above it (guards against cycles)."""
    chain: list[str] = []
    current: str | None = unit_id
    while current and current not in chain:
        chain.append(current)
        current = units[current].parent if current in units else None
    return chain


def is_eligible(units: dict[str, Unit], unit_id: str, eligible: Iterable[str]) -> bool:
    """True when the unit, or a unit above it, is listed by id, or its kind is listed as `kind:X`."""
    wanted = set(eligible)
    if not wanted:
        return True
    unit = units.get(unit_id)
    if unit is not None and f"kind:{unit.kind}" in wanted:
        return True
    return any(u in wanted for u in ancestors(units, unit_id))


def search_units(units: dict[str, Unit], query: str, eligible: Iterable[str] = ()) -> list[Unit]:
    """Eligible units whose name contains every typed word (diacritics optional), best match first."""
    words = fold(query).split()
    eligible = list(eligible)
    found = []
    for unit in units.values():
        if eligible and not is_eligible(units, unit.id, eligible):
            continue
        name = fold(unit.name)
        if all(w in name or w == fold(unit.id) for w in words):
            found.append((name.find(words[0]) if words else 0, unit.name, unit))
    return [u for _, _, u in sorted(found, key=lambda item: (item[0], item[1]))]
