"""Contests for participants: join with a code, consent, register, take the attempt, see results.

Registration is a guided form whose step lives in `user_state` (step `reg`), so it survives a
restart and any process can take the next message.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from bot.contests.attempts import StartRefused, load_attempt, start_contest_attempt
from bot.contests.contests import ContestInfo, find_contest, get_contest, open_contests
from bot.contests.registration import Declared, find_registration, has_attempts, register
from bot.contests.results import eligible_units, my_attempts, stored_ranking
from bot.contests.spec import local_text
from bot.core.answering import QUIZ_STEP, Clock
from bot.core.dialogue import Routes, Turn
from bot.core.messages import Choice, Reply
from bot.core.quiz_texts import qt
from bot.core.quiz_view import question_reply, short
from bot.quiz.bank import QuizBank
from bot.quiz.units import search_units
from bot.storage.models import Registration
from bot.storage.users import save_step

REG_STEP = "reg"
UNIT_PAGE = 6
_DEEP_LINK = re.compile(r"^/start(?:@\w+)?\s+c_([A-Za-z0-9]{4,12})\s*$")
_PHONE = re.compile(r"^(?:\+?84|0)\d{8,10}$")
_FIELD_ORDER = ("name", "birth_year", "class", "phone")


class ContestFeature:
    """`/thi CODE`, `/ketqua`, `/bxh CODE`, and the registration form."""

    def __init__(self, bank: QuizBank, clock: Clock) -> None:
        self.bank = bank
        self.clock = clock

    def routes(self) -> Routes:
        return Routes(
            commands={"thi": self.join_command, "contest": self.join_command, "ketqua": self.my_results,
                      "results": self.my_results, "bxh": self.leaderboard, "leaderboard": self.leaderboard},
            payloads={"ct": self.join, "rc": self.consent, "ru": self.pick_unit, "rp": self.unit_page,
                      "rs": self.start, "re": self.edit_registration, "cr": self.results_payload},
            interceptors=[self.deep_link, self.form],
        )

    # ---- joining --------------------------------------------------------------------------

    async def deep_link(self, turn: Turn) -> list[Reply] | None:
        """`/start c_CODE` (a channel's deep link) joins like `/thi CODE`."""
        match = _DEEP_LINK.match(turn.inbound.text.strip()) if turn.inbound.payload is None else None
        return await self.join(turn, match.group(1)) if match else None

    async def join_command(self, turn: Turn, code: str) -> list[Reply]:
        """`/thi CODE`: join a contest."""
        if not code:
            return await self.open_list(turn)
        return await self.join(turn, code.split()[0])

    async def open_list(self, turn: Turn) -> list[Reply]:
        """Contests running now (the main menu's "Thi" button)."""
        running = await open_contests(turn.session, self.clock())
        choices = tuple(Choice(short(c.spec.title), f"ct:{c.code}") for c in running)
        return [Reply(qt("contests_open" if running else "contests_none", turn.lang), choices)]

    async def join(self, turn: Turn, code: str) -> list[Reply]:
        """The contest's details, then consent and registration, or the start button when registered."""
        contest = await find_contest(turn.session, code)
        if contest is None:
            return [Reply(qt("no_such_contest", turn.lang, code=code[:16]), kind="error")]
        now = self.clock()
        if contest.status != "open" or now >= contest.spec.closes:
            return [Reply(qt("contest_closed", turn.lang, title=contest.spec.title, code=contest.code))]
        if now < contest.spec.opens:
            return [Reply(qt("contest_not_yet", turn.lang, title=contest.spec.title, opens=local_text(contest.spec.opens)))]
        registration = await find_registration(turn.session, contest_id=contest.id, user_id=turn.user_id)
        if registration is not None:
            return [await self._ready(turn, contest, registration)]
        await save_step(turn.session, user_id=turn.user_id, step=REG_STEP, data={"c": contest.id, "s": "consent"})
        return [Reply(_about(contest, turn.lang)), Reply(qt("consent", turn.lang), (
            Choice(qt("agree", turn.lang), f"rc:{contest.id}:y"), Choice(qt("disagree", turn.lang), f"rc:{contest.id}:n")))]

    async def _ready(self, turn: Turn, contest: ContestInfo, registration: Registration) -> Reply:
        assert registration.id is not None
        unit = self.bank.units.get(registration.unit_id)
        text = _about(contest, turn.lang) + "\n\n" + qt("registered_as", turn.lang, unit=unit.name if unit else registration.unit_id)
        choices = [Choice(qt("start_attempt", turn.lang), f"rs:{contest.id}")]
        if not await has_attempts(turn.session, registration.id):
            choices.append(Choice(qt("edit_registration", turn.lang), f"re:{contest.id}"))
        return Reply(text, tuple(choices))

    # ---- registration form ----------------------------------------------------------------

    async def consent(self, turn: Turn, rest: str) -> list[Reply]:
        """Agreeing to the privacy notice starts the form; declining stores nothing."""
        form = _form(turn)
        contest_id, _, answer = rest.partition(":")
        if form is None or str(form.get("c")) != contest_id or answer not in ("y", "n"):
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        if answer == "n":
            await save_step(turn.session, user_id=turn.user_id, step=None)
            return [Reply(qt("consent_declined", turn.lang))]
        form["s"] = "unit"
        await save_step(turn.session, user_id=turn.user_id, step=REG_STEP, data=form)
        return [Reply(qt("ask_unit", turn.lang))]

    async def edit_registration(self, turn: Turn, rest: str) -> list[Reply]:
        """Declare again, only before the first attempt."""
        contest = await get_contest(turn.session, int(rest)) if rest.isdecimal() and len(rest) < 12 else None
        registration = await find_registration(turn.session, contest_id=contest.id, user_id=turn.user_id) if contest else None
        if contest is None or registration is None or registration.id is None:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        if await has_attempts(turn.session, registration.id):
            return [Reply(qt("registration_fixed", turn.lang), kind="error")]
        await save_step(turn.session, user_id=turn.user_id, step=REG_STEP, data={"c": contest.id, "s": "unit"})
        return [Reply(qt("ask_unit", turn.lang))]

    async def form(self, turn: Turn) -> list[Reply] | None:
        """Typed answers to the registration form; commands and buttons pass on."""
        if turn.state.step != REG_STEP or turn.inbound.payload is not None or turn.inbound.text.startswith("/"):
            return None
        form = _form(turn)
        contest = await get_contest(turn.session, int(form.get("c") or 0)) if form else None
        if form is None or contest is None:
            await save_step(turn.session, user_id=turn.user_id, step=None)
            return None
        text = turn.inbound.text.strip()[:200]
        if form.get("s") == "consent":
            return None
        if form.get("s") == "unit":
            form["q"] = text
            return await self._unit_choices(turn, contest, form, 0)
        return await self._field_answer(turn, contest, form, str(form.get("s")), text)

    async def _unit_choices(self, turn: Turn, contest: ContestInfo, form: dict[str, Any], page: int) -> list[Reply]:
        allowed = eligible_units(contest, self.bank.units)
        found = [u for u in search_units(self.bank.units, str(form.get("q") or "")) if u.id in allowed]
        await save_step(turn.session, user_id=turn.user_id, step=REG_STEP, data=form)
        if not found:
            return [Reply(qt("unit_none", turn.lang), kind="error")]
        shown = found[page * UNIT_PAGE:(page + 1) * UNIT_PAGE]
        choices = [Choice(short(u.name), f"ru:{u.id}") for u in shown if len(u.id) <= 60]
        if (page + 1) * UNIT_PAGE < len(found):
            choices.append(Choice(qt("more", turn.lang), f"rp:{page + 1}"))
        return [Reply(qt("unit_pick", turn.lang, n=str(len(found))), tuple(choices))]

    async def unit_page(self, turn: Turn, rest: str) -> list[Reply]:
        """The next page of matching units."""
        form = _form(turn)
        contest = await get_contest(turn.session, int(form.get("c") or 0)) if form else None
        if form is None or contest is None or form.get("s") != "unit" or not rest.isdecimal() or len(rest) > 4:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        return await self._unit_choices(turn, contest, form, int(rest))

    async def pick_unit(self, turn: Turn, unit_id: str) -> list[Reply]:
        """A unit chosen from the matches; then the contest's other fields."""
        form = _form(turn)
        contest = await get_contest(turn.session, int(form.get("c") or 0)) if form else None
        if form is None or contest is None or form.get("s") != "unit" or unit_id not in eligible_units(contest, self.bank.units):
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        form["unit"] = unit_id
        return await self._next_field(turn, contest, form, "unit")

    async def _field_answer(self, turn: Turn, contest: ContestInfo, form: dict[str, Any], field: str,
                            text: str) -> list[Reply]:
        value = _check_field(field, text, self.clock().year)
        if value is None:
            return [Reply(qt(f"bad_{field}", turn.lang), kind="error")]
        form[field] = value
        return await self._next_field(turn, contest, form, field)

    async def _next_field(self, turn: Turn, contest: ContestInfo, form: dict[str, Any], after: str) -> list[Reply]:
        asked = [f for f in _FIELD_ORDER if f in contest.spec.fields]
        later = asked[asked.index(after) + 1:] if after in asked else asked
        if later:
            form["s"] = later[0]
            await save_step(turn.session, user_id=turn.user_id, step=REG_STEP, data=form)
            return [Reply(qt(f"ask_{later[0]}", turn.lang))]
        return await self._finish_form(turn, contest, form)

    async def _finish_form(self, turn: Turn, contest: ContestInfo, form: dict[str, Any]) -> list[Reply]:
        declared = Declared(unit_id=str(form["unit"]), full_name=form.get("name"), birth_year=form.get("birth_year"),
                            class_name=form.get("class"), phone=form.get("phone"))
        registration = await register(turn.session, contest_id=contest.id, user_id=turn.user_id, declared=declared,
                                      now=self.clock())
        await save_step(turn.session, user_id=turn.user_id, step=None)
        if registration is None:
            return [Reply(qt("registration_fixed", turn.lang), kind="error")]
        return [Reply(qt("registered", turn.lang)), await self._ready(turn, contest, registration)]

    # ---- the attempt ----------------------------------------------------------------------

    async def start(self, turn: Turn, rest: str) -> list[Reply]:
        """Start (or resume) the attempt: the timer starts now, on the server."""
        contest = await get_contest(turn.session, int(rest)) if rest.isdecimal() and len(rest) < 12 else None
        registration = await find_registration(turn.session, contest_id=contest.id, user_id=turn.user_id) if contest else None
        if contest is None or registration is None or registration.id is None:
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        now = self.clock()
        try:
            attempt_id = await start_contest_attempt(
                turn.session, self.bank, contest, registration_id=registration.id, user_id=turn.user_id,
                channel=turn.inbound.channel, chat_id=turn.inbound.chat_id, lang=turn.lang, now=now, rng=random.Random())
        except StartRefused as refused:
            return [Reply(qt("refused_" + refused.reason, turn.lang), kind="error")]
        attempt = await load_attempt(turn.session, attempt_id)
        if attempt is None or attempt.current is None:
            return [Reply(qt("attempt_over", turn.lang), kind="error")]
        await save_step(turn.session, user_id=turn.user_id, step=QUIZ_STEP, data={"a": attempt_id})
        intro = qt("attempt_intro", turn.lang, n=str(attempt.n_questions), minutes=str(contest.spec.time_limit_min))
        return [Reply(intro), question_reply(attempt, turn.lang, now)]

    # ---- results --------------------------------------------------------------------------

    async def results_payload(self, turn: Turn, _rest: str) -> list[Reply]:
        return await self.my_results(turn, "")

    async def my_results(self, turn: Turn, _arg: str) -> list[Reply]:
        """`/ketqua`: my latest contest attempts (score, time, status)."""
        rows = await my_attempts(turn.session, turn.user_id)
        if not rows:
            return [Reply(qt("no_results", turn.lang))]
        lines = [qt("my_results_title", turn.lang)]
        for attempt, code in rows:
            seconds = (attempt.duration_ms or 0) // 1000
            lines.append(qt("my_result_line", turn.lang, code=code or "?", round=str(attempt.round_no),
                            score=str(attempt.score), n=str(attempt.n_questions),
                            time=f"{seconds // 60}:{seconds % 60:02d}", status=qt("status_" + attempt.status, turn.lang)))
        return [Reply("\n".join(lines))]

    async def leaderboard(self, turn: Turn, code: str) -> list[Reply]:
        """`/bxh CODE`: the top 10 of the latest closed round and my place, once the contest allows it."""
        contest = await find_contest(turn.session, code.split()[0]) if code.strip() else None
        if contest is None:
            return [Reply(qt("usage_bxh", turn.lang), kind="error")]
        from bot.contests.contests import rounds_of

        closed = [r for r in await rounds_of(turn.session, contest.id) if r.closed_at is not None]
        if not closed:
            return [Reply(qt("leaderboard_later", turn.lang, closes=local_text(contest.spec.closes)))]
        round_no = closed[-1].round_no
        ranking = await stored_ranking(turn.session, contest.id, round_no)
        mine = await find_registration(turn.session, contest_id=contest.id, user_id=turn.user_id)
        names = await _display_names(turn, [r.registration_id for r in ranking[:10]])
        lines = [qt("leaderboard_title", turn.lang, title=contest.spec.title, round=str(round_no))]
        for row in ranking[:10]:
            unit = self.bank.units.get(row.unit_id)
            lines.append(f"{row.rank}. {names.get(row.registration_id, '—')} · {unit.name if unit else row.unit_id} · "
                         f"{row.score}")
        me = next((r for r in ranking if mine is not None and r.registration_id == mine.id), None)
        if me is not None:
            lines.append(qt("my_rank", turn.lang, rank=str(me.rank), total=str(len(ranking))))
        return [Reply("\n".join(lines))]


async def _display_names(turn: Turn, registration_ids: list[int]) -> dict[int, str]:
    """Short public names (family name and initials) for a leaderboard; erased people stay anonymous."""
    from sqlalchemy import select
    from sqlmodel import col

    rows = await turn.session.execute(select(Registration).where(col(Registration.id).in_(registration_ids)))
    return {r.id: public_name(r.full_name) for r in rows.scalars() if r.id is not None}


def public_name(full_name: str | None) -> str:
    """"Nguyễn Văn An" → "Nguyễn V. A."; no name → "—"."""
    words = (full_name or "").split()
    if not words:
        return "—"
    return " ".join([words[0]] + [w[0] + "." for w in words[1:]])


def _about(contest: ContestInfo, lang: str) -> str:
    spec = contest.spec
    attempts = str(spec.attempts) if spec.attempts else qt("unlimited", lang)
    return qt("contest_about", lang, title=spec.title, n=str(spec.questions), minutes=str(spec.time_limit_min),
              attempts=attempts, closes=local_text(spec.closes))


def _form(turn: Turn) -> dict[str, Any] | None:
    if turn.state.step != REG_STEP:
        return None
    try:
        data = json.loads(turn.state.data or "{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _check_field(field: str, text: str, this_year: int) -> Any:
    """The cleaned value of one form field, or None when it does not look right."""
    if field == "name":
        name = " ".join(text.split())
        return name if 2 <= len(name) <= 120 and not any(ch.isdigit() for ch in name) else None
    if field == "birth_year":
        return int(text) if text.isdecimal() and this_year - 100 <= int(text) <= this_year - 5 else None
    if field == "class":
        value = " ".join(text.split())
        return value if 1 <= len(value) <= 32 else None
    if field == "phone":
        digits = re.sub(r"[\s.-]", "", text)
        return digits if _PHONE.match(digits) else None
    return None
