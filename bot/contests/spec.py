"""A contest's definition: parsed from a YAML file or the guided chat, stored as the contest's settings."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
FIELDS = ("name", "birth_year", "class", "phone")
PREDICTIONS = ("participants", "full_scores", "off")
DEFAULT_PRIZES = {"first": 1, "second": 2, "third": 3, "consolation": 5}
DEFAULT_POINTS = {"rate": 100.0, "first": 10.0, "second": 8.0, "third": 6.0, "consolation": 4.0}
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y")


class SpecError(ValueError):
    """A contest definition that cannot be used; the message says which setting and why."""


@dataclass(frozen=True)
class ContestSpec:
    """Every setting of a contest. Times are timezone-aware UTC."""

    title: str
    organiser: str
    opens: datetime
    closes: datetime
    questions: int = 20
    topics: dict[str, float] = field(default_factory=dict)          # empty: every topic
    difficulty: dict[str, float] = field(default_factory=dict)      # e.g. {easy: 50, medium: 30, hard: 20}
    time_limit_min: int = 15
    attempts: int = 1                                                 # per round; 0 = unlimited
    counts: str = "best"                                              # best | first
    fields: tuple[str, ...] = ("name",)
    prediction: str = "participants"                                  # participants | full_scores | off
    rounds: str = "none"                                              # none | weekly
    eligible: tuple[str, ...] = ()                                    # unit ids or "kind:school"
    leaderboard: str = "after_close"                                  # after_close | live
    prizes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIZES))
    prize_cap: float = 0.5
    unit_points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_POINTS))
    code: str | None = None

    def round_windows(self) -> list[tuple[datetime, datetime]]:
        """(opens, closes) of each ranked round: one for the whole contest, or one per week."""
        if self.rounds != "weekly":
            return [(self.opens, self.closes)]
        windows = []
        start = self.opens
        while start < self.closes:
            end = min(start + timedelta(days=7), self.closes)
            windows.append((start, end))
            start = end
        return windows

    def settings_json(self) -> str:
        """The settings stored with the contest (everything except what has its own column)."""
        data = {k: v for k, v in asdict(self).items() if k not in ("title", "organiser", "opens", "closes", "code")}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def parse_local_time(value: Any, name: str) -> datetime:
    """A time as written by staff in Vietnam's time zone (or with an explicit offset), in UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        moment = _parse_text_time(text, name)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    return moment.astimezone(UTC)


def _parse_text_time(text: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise SpecError(f"`{name}`: cannot read {text!r} as a time (write 2026-11-30 20:00 or 30/11/2026 20:00)")


def local_text(moment: datetime) -> str:
    """A time as users read it: 20:00 30/11/2026 (Vietnam time)."""
    return moment.astimezone(LOCAL).strftime("%H:%M %d/%m/%Y")


def spec_from_mapping(raw: Any) -> ContestSpec:
    """A contest definition from a YAML mapping; raises SpecError naming the bad setting."""
    if not isinstance(raw, dict):
        raise SpecError("a contest file must be a mapping of settings")
    known = {f.name for f in fields(ContestSpec)} | {"time_limit"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"unknown settings: {', '.join(unknown)}")
    title = str(raw.get("title") or "").strip()
    organiser = str(raw.get("organiser") or "").strip()
    if not title or not organiser:
        raise SpecError("`title` and `organiser` are required")
    opens = parse_local_time(raw.get("opens"), "opens")
    closes = parse_local_time(raw.get("closes"), "closes")
    if closes <= opens:
        raise SpecError("`closes` must be after `opens`")
    spec = ContestSpec(
        title=title[:200], organiser=organiser, opens=opens, closes=closes,
        questions=_int(raw, "questions", 20, 1, 100),
        topics=_weights(raw.get("topics"), "topics"), difficulty=_weights(raw.get("difficulty"), "difficulty"),
        time_limit_min=_int(raw, "time_limit" if "time_limit" in raw else "time_limit_min", 15, 1, 240),
        attempts=_int(raw, "attempts", 1, 0, 100),
        counts=_choice(raw, "counts", "best", ("best", "first")),
        fields=_fields(raw.get("fields")),
        prediction=_choice(raw, "prediction", "participants", PREDICTIONS),
        rounds=_choice(raw, "rounds", "none", ("none", "weekly")),
        eligible=tuple(str(u) for u in (raw.get("eligible") or ())),
        leaderboard=_choice(raw, "leaderboard", "after_close", ("after_close", "live")),
        prizes={**DEFAULT_PRIZES, **{str(k): int(v) for k, v in (raw.get("prizes") or {}).items()}},
        prize_cap=float(raw.get("prize_cap", 0.5)),
        unit_points={**DEFAULT_POINTS, **{str(k): float(v) for k, v in (raw.get("unit_points") or {}).items()}},
        code=_code(raw.get("code")),
    )
    return spec


def spec_from_settings(title: str, organiser: str, opens: datetime, closes: datetime, settings: str, code: str) -> ContestSpec:
    """The spec back from a stored contest row."""
    data = json.loads(settings or "{}")
    data["fields"] = tuple(data.get("fields") or ("name",))
    data["eligible"] = tuple(data.get("eligible") or ())
    return ContestSpec(title=title, organiser=organiser, opens=_aware(opens), closes=_aware(closes), code=code, **data)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive times; ours are always UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _int(raw: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(f"`{key}` must be a whole number from {low} to {high}")
    return value


def _choice(raw: dict[str, Any], key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = raw.get(key, default)
    value = "off" if value is False else str(value)
    if value not in allowed:
        raise SpecError(f"`{key}` must be one of: {', '.join(allowed)}")
    return value


def _weights(value: Any, key: str) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(v): 1.0 for v in value}
    if isinstance(value, dict) and all(isinstance(v, int | float) and v >= 0 for v in value.values()):
        return {str(k): float(v) for k, v in value.items()}
    raise SpecError(f"`{key}` must be a list of ids or a mapping id: weight")


def _fields(value: Any) -> tuple[str, ...]:
    chosen = [str(v) for v in (value or ["name"])]
    bad = [f for f in chosen if f not in FIELDS]
    if bad:
        raise SpecError(f"`fields`: unknown {', '.join(bad)} (allowed: {', '.join(FIELDS)})")
    return tuple(f for f in FIELDS if f in chosen or f == "name")


def _code(value: Any) -> str | None:
    if value is None:
        return None
    code = str(value).strip().upper()
    if not code.isalnum() or not 4 <= len(code) <= 12:
        raise SpecError("`code` must be 4–12 letters and digits")
    return code


def check_spec(spec: ContestSpec, units: Mapping[str, Any], topics: Collection[str],
               kinds: Collection[str] = ()) -> list[str]:
    """What in a valid spec does not fit this bot's units and question bank (empty when all is well)."""
    errors = []
    if spec.organiser not in units:
        errors.append(f"`organiser`: unknown unit {spec.organiser!r}")
    for item in spec.eligible:
        kind = item.removeprefix("kind:")
        if (item.startswith("kind:") and kind not in kinds) or (not item.startswith("kind:") and item not in units):
            errors.append(f"`eligible`: unknown unit or kind {item!r}")
    errors += [f"`topics`: unknown topic {t!r}" for t in spec.topics if t not in topics]
    errors += [f"`difficulty`: unknown level {d!r} (easy, medium, hard)" for d in spec.difficulty
               if d not in ("easy", "medium", "hard")]
    return errors
