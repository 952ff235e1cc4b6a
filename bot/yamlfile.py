"""Safe YAML loading that remembers line numbers, for `path:line: message` errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One finding about a data file, printed as `path:line: severity: message`."""

    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


class LineDict(dict[str, Any]):
    """A YAML mapping that knows the line it started on."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A YAML sequence that knows the line each item started on."""

    lines: list[int]


_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed


class _LineLoader(_SafeBase):  # type: ignore[misc]
    """SafeLoader (no Python object tags) that records where mappings and sequences start."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            )
        mapping[str(key)] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Parse one file safely; on failure return None and a problem with its line."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [Problem(name, 1, f"cannot read file: {exc.strerror}")]
    if size > MAX_FILE_BYTES:
        return None, [Problem(name, 1, f"file is {size // 1024} KiB, the limit is {MAX_FILE_BYTES // 1024} KiB")]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(name, 1, "file is not UTF-8 text")]
    try:
        return yaml.load(text, Loader=_LineLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, [Problem(name, line, f"YAML error: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return None, [Problem(name, 1, f"YAML error: {exc}")]


def line_of(node: Any, default: int = 1, key: str | None = None) -> int:
    """The line of a mapping's key when given and present, else where the mapping started."""
    if key is not None and key in getattr(node, "key_lines", {}):
        return int(node.key_lines[key])
    return getattr(node, "line", default) or default
