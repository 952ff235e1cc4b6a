"""Contests for staff and admins: guided creation, list, close early, results, and granting roles.

Everyone else gets a polite refusal and nothing happens. The creation form's step lives in
`user_state` (step `mk`), like every other guided dialogue.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.contests.contests import ContestInfo, create_contest, find_contest, list_contests
from bot.contests.results import close_contest_now, standings
from bot.contests.roles import Actor, grant_staff, load_actor, valid_user_key
from bot.contests.spec import SpecError, local_text, parse_local_time, spec_from_mapping
from bot.core.answering import Clock
from bot.core.dialogue import Routes, Turn
from bot.core.messages import Choice, Reply
from bot.core.quiz_texts import qt
from bot.core.quiz_view import short
from bot.quiz.bank import QuizBank
from bot.quiz.units import Unit
from bot.storage.models import Registration
from bot.storage.users import save_step

MAKE_STEP = "mk"
MAX_ORGANISER_CHOICES = 10
RESULTS_PEOPLE = 10
FIELD_PRESETS = (("name",), ("name", "class"), ("name", "birth_year", "class"), ("name", "birth_year", "class", "phone"))


@dataclass(frozen=True)
class FormStep:
    """One question of the creation form: typed text, or one of a few buttons."""

    key: str
    options: tuple[str, ...] = ()


FORM = (
    FormStep("title"), FormStep("organiser"), FormStep("opens"), FormStep("closes"),
    FormStep("questions", ("10", "20", "30")), FormStep("time_limit", ("10", "15", "20")),
    FormStep("attempts", ("1", "2", "3", "0")), FormStep("counts", ("best", "first")),
    FormStep("fields", ("0", "1", "2", "3")), FormStep("prediction", ("participants", "full_scores", "off")),
    FormStep("rounds", ("none", "weekly")), FormStep("topics", ()),
)


class StaffFeature:
    """`/taocuocthi`, `/cuocthi`, `/dongcuocthi CODE`, `/ketquacuocthi CODE`, `/capquyen KEY UNIT`."""

    def __init__(self, bank: QuizBank, clock: Clock) -> None:
        self.bank = bank
        self.clock = clock

    def routes(self) -> Routes:
        return Routes(
            commands={"taocuocthi": self.create, "newcontest": self.create, "cuocthi": self.list_mine,
                      "contests": self.list_mine, "dongcuocthi": self.close, "closecontest": self.close,
                      "ketquacuocthi": self.results, "contestresults": self.results,
                      "capquyen": self.grant, "grant": self.grant},
            payloads={"mk": self.form_button},
            interceptors=[self.form_text],
        )

    async def _actor(self, turn: Turn) -> Actor:
        return await load_actor(turn.session, user_key=turn.inbound.user_key, is_admin=turn.is_admin)

    # ---- guided creation -------------------------------------------------------------------

    async def create(self, turn: Turn, _arg: str) -> list[Reply]:
        """Start the creation form (staff and admins only)."""
        actor = await self._actor(turn)
        if not actor.is_staff:
            return [_refuse(turn)]
        await save_step(turn.session, user_id=turn.user_id, step=MAKE_STEP, data={"s": "title"})
        return [Reply(qt("mk_title", turn.lang))]

    async def form_text(self, turn: Turn) -> list[Reply] | None:
        """A typed answer to the creation form; commands pass on."""
        if turn.state.step != MAKE_STEP or turn.inbound.payload is not None or turn.inbound.text.startswith("/"):
            return None
        data = _data(turn)
        step = _step(data)
        if step is None or step.options:
            return None if step is None else [Reply(qt("mk_use_buttons", turn.lang), kind="error"),
                                              await self._ask(turn, step, data)]
        return await self._accept(turn, data, step, turn.inbound.text.strip()[:200])

    async def form_button(self, turn: Turn, rest: str) -> list[Reply]:
        """A button of the creation form (`mk:<value>`, `mk:ok`, `mk:cancel`)."""
        data = _data(turn) if turn.state.step == MAKE_STEP else {}
        if rest == "cancel":
            await save_step(turn.session, user_id=turn.user_id, step=None)
            return [Reply(qt("mk_cancelled", turn.lang))]
        if rest == "ok" and data.get("s") == "confirm":
            return await self._finish(turn, data)
        step = _step(data)
        if step is None or (step.options and rest not in step.options) or (step.key not in ("organiser", "topics") and not step.options):
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        return await self._accept(turn, data, step, rest)

    async def _accept(self, turn: Turn, data: dict[str, Any], step: FormStep, value: str) -> list[Reply]:
        error = await self._check(turn, step.key, value, data)
        if error:
            return [Reply(qt(error, turn.lang), kind="error")]
        data[step.key] = value
        later = FORM[[s.key for s in FORM].index(step.key) + 1:]
        data["s"] = later[0].key if later else "confirm"
        await save_step(turn.session, user_id=turn.user_id, step=MAKE_STEP, data=data)
        if not later:
            return [self._confirm(turn, data)]
        return [await self._ask(turn, later[0], data)]

    async def _check(self, turn: Turn, key: str, value: str, data: dict[str, Any]) -> str | None:
        if key == "title" and not 3 <= len(value) <= 200:
            return "mk_bad_title"
        if key == "organiser":
            actor = await self._actor(turn)
            if value not in self.bank.units or not actor.may_run(value, self.bank.units):
                return "mk_bad_organiser"
        if key in ("opens", "closes"):
            try:
                moment = parse_local_time(value, key)
            except SpecError:
                return "mk_bad_time"
            if key == "closes" and moment <= parse_local_time(data["opens"], "opens"):
                return "mk_bad_closes"
        if key == "topics" and value != "all" and value not in self.bank.topics:
            return "mk_bad_topic"
        return None

    async def _ask(self, turn: Turn, step: FormStep, data: dict[str, Any]) -> Reply:
        lang = turn.lang
        if step.key == "organiser":
            return await self._ask_organiser(turn)
        if step.key == "topics":
            choices = [Choice(qt("mixed", lang), "mk:all")] + [
                Choice(t.name(lang), f"mk:{t.id}") for t in self.bank.topics.values()][:11]
            return Reply(qt("mk_topics", lang), tuple(choices))
        choices = [Choice(qt(f"mk_{step.key}_{o}", lang), f"mk:{o}") for o in step.options]
        return Reply(qt(f"mk_{step.key}", lang), tuple(choices))

    async def _ask_organiser(self, turn: Turn) -> Reply:
        """The organiser step: the units this person runs as buttons (typing a unit id works too)."""
        actor = await self._actor(turn)
        units = organiser_choices(actor, self.bank.units)
        choices = tuple(Choice(short(u.name), f"mk:{u.id}") for u in units)
        return Reply(qt("mk_organiser_pick" if choices else "mk_organiser", turn.lang), choices)

    def _confirm(self, turn: Turn, data: dict[str, Any]) -> Reply:
        summary = "\n".join(f"• {k}: {v}" for k, v in data.items() if k != "s")
        return Reply(qt("mk_confirm", turn.lang) + "\n" + summary,
                     (Choice(qt("mk_create", turn.lang), "mk:ok"), Choice(qt("mk_cancel", turn.lang), "mk:cancel")))

    async def _finish(self, turn: Turn, data: dict[str, Any]) -> list[Reply]:
        raw = {"title": data["title"], "organiser": data["organiser"], "opens": data["opens"], "closes": data["closes"],
               "questions": int(data["questions"]), "time_limit": int(data["time_limit"]),
               "attempts": int(data["attempts"]), "counts": data["counts"],
               "fields": list(FIELD_PRESETS[int(data["fields"])]), "prediction": data["prediction"],
               "rounds": data["rounds"], "topics": None if data.get("topics") in (None, "all") else [data["topics"]]}
        actor = await self._actor(turn)
        try:
            spec = spec_from_mapping(raw)
        except SpecError as exc:
            return [Reply(str(exc), kind="error")]
        if not actor.may_run(spec.organiser, self.bank.units):
            return [_refuse(turn)]
        contest = await create_contest(turn.session, spec, created_by=actor.user_key, now=self.clock())
        await save_step(turn.session, user_id=turn.user_id, step=None)
        return [Reply(qt("mk_done", turn.lang, code=contest.code, title=spec.title))]

    # ---- list, close, results ----------------------------------------------------------------

    async def list_mine(self, turn: Turn, _arg: str) -> list[Reply]:
        """`/cuocthi`: the contests this person runs."""
        actor = await self._actor(turn)
        if not actor.is_staff:
            return [_refuse(turn)]
        mine = [c for c in await list_contests(turn.session) if actor.may_run(c.spec.organiser, self.bank.units)]
        if not mine:
            return [Reply(qt("staff_no_contests", turn.lang))]
        lines = [qt("staff_contests", turn.lang)] + [
            f"• {c.code} — {c.spec.title} ({c.status}, {local_text(c.spec.opens)} → {local_text(c.spec.closes)})"
            for c in mine[:30]]
        return [Reply("\n".join(lines))]

    async def _own_contest(self, turn: Turn, arg: str) -> tuple[ContestInfo | None, Reply | None]:
        actor = await self._actor(turn)
        if not actor.is_staff:
            return None, _refuse(turn)
        contest = await find_contest(turn.session, arg.split()[0]) if arg.strip() else None
        if contest is None:
            return None, Reply(qt("no_such_contest", turn.lang, code=arg[:16]), kind="error")
        if not actor.may_run(contest.spec.organiser, self.bank.units):
            return None, _refuse(turn)
        return contest, None

    async def close(self, turn: Turn, arg: str) -> list[Reply]:
        """`/dongcuocthi CODE`: close now; running attempts are submitted and rounds ranked."""
        contest, refusal = await self._own_contest(turn, arg)
        if contest is None:
            return [refusal] if refusal else []
        if contest.status == "closed":
            return [Reply(qt("already_closed", turn.lang, code=contest.code))]
        await close_contest_now(turn.session, contest, self.bank.units, self.clock())
        return [Reply(qt("closed_now", turn.lang, code=contest.code))]

    async def results(self, turn: Turn, arg: str) -> list[Reply]:
        """`/ketquacuocthi CODE`: a text summary — the top people by their declared names, and units.
        Only the organiser's staff (and admins) get here; names are never logged."""
        contest, refusal = await self._own_contest(turn, arg)
        if contest is None:
            return [refusal] if refusal else []
        result = await standings(turn.session, contest, self.bank.units, None)
        names = await declared_names(turn, [r.entry.registration_id for r in result.ranking[:RESULTS_PEOPLE]])
        return [Reply(results_text(contest, result, self.bank, turn.lang, names))]

    # ---- roles ------------------------------------------------------------------------------

    async def grant(self, turn: Turn, arg: str) -> list[Reply]:
        """`/capquyen channel:user_id unit_id` (admins only): make someone staff of a unit."""
        if not turn.is_admin:
            return [_refuse(turn)]
        parts = arg.split()
        if len(parts) != 2 or not valid_user_key(parts[0]) or parts[1] not in self.bank.units:
            return [Reply(qt("usage_grant", turn.lang), kind="error")]
        added = await grant_staff(turn.session, user_key=parts[0], unit_id=parts[1], granted_by=turn.inbound.user_key)
        return [Reply(qt("granted" if added else "grant_exists", turn.lang, who=parts[0], unit=parts[1]))]


def organiser_choices(actor: Actor, units: dict[str, Unit]) -> list[Unit]:
    """Units to offer at the organiser step: a staff member's own units; for an admin, the top-level
    units (those without a parent). At most MAX_ORGANISER_CHOICES, by name."""
    if actor.units:
        offered = [units[u] for u in actor.units if u in units]
    elif actor.is_admin:
        offered = [u for u in units.values() if u.parent is None]
    else:
        offered = []
    return sorted((u for u in offered if len(u.id) <= 60), key=lambda u: u.name)[:MAX_ORGANISER_CHOICES]


async def declared_names(turn: Turn, registration_ids: list[int]) -> dict[int, str]:
    """The names people declared, made safe to show; erased registrations say so."""
    if not registration_ids:
        return {}
    rows = await turn.session.execute(select(Registration).where(col(Registration.id).in_(registration_ids)))
    return {r.id: qt("name_erased", turn.lang) if r.erased else (safe_text(r.full_name or "") or "—")
            for r in rows.scalars() if r.id is not None}


def safe_text(text: str, limit: int = 60) -> str:
    """Typed text fit for one line of a list: control, format (bidi, zero-width) and private-use
    characters removed, whitespace collapsed, at most `limit` characters."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs"))
    cleaned = " ".join(kept.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def results_text(contest: ContestInfo, result: Any, bank: QuizBank, lang: str,
                 names: dict[int, str] | None = None) -> str:
    """Participants, the top people (declared names) and the top 10 units, as chat text."""
    names = names or {}
    lines = [qt("results_title", lang, title=contest.spec.title, code=contest.code,
                n=str(len(result.ranking)))]
    for r in result.ranking[:RESULTS_PEOPLE]:
        unit = bank.units.get(r.entry.unit_id)
        seconds = r.entry.duration_ms // 1000
        lines.append(f"{r.rank}. {names.get(r.entry.registration_id, '—')} · {unit.name if unit else r.entry.unit_id} · "
                     f"{r.entry.score}/{r.entry.n_questions} · {seconds // 60}:{seconds % 60:02d}")
    lines.append(qt("results_units", lang))
    for u in result.units[:10]:
        unit = bank.units.get(u.unit_id)
        rate = f"{u.rate * 100:.1f}%" if u.rate is not None else "—"
        lines.append(f"• {unit.name if unit else u.unit_id}: {u.participants} · {rate} · TB {u.average} · {u.points}")
    return "\n".join(lines)


def _refuse(turn: Turn) -> Reply:
    return Reply(qt("staff_only", turn.lang), kind="error")


def _data(turn: Turn) -> dict[str, Any]:
    try:
        data = json.loads(turn.state.data or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _step(data: dict[str, Any]) -> FormStep | None:
    return next((s for s in FORM if s.key == data.get("s")), None)
