"""Personal data: the privacy notice, what we store about you, and erasing it (with a confirmation)."""

from __future__ import annotations

from bot.contests.registration import erase_personal_data, personal_data
from bot.contests.spec import local_text
from bot.core.dialogue import Routes, Turn
from bot.core.messages import Choice, Reply
from bot.core.quiz_texts import qt
from bot.storage.users import save_step

CONFIRM_STEP = "pv"


class PrivacyFeature:
    """`/quyenriengtu` (`/privacy`), `/dulieucuatoi` (`/mydata`), `/xoadulieu` (`/deletemydata`)."""

    def routes(self) -> Routes:
        return Routes(commands={"quyenriengtu": self.notice, "privacy": self.notice, "dulieucuatoi": self.my_data,
                                "mydata": self.my_data, "xoadulieu": self.ask_delete, "deletemydata": self.ask_delete},
                      payloads={"pv": self.confirm_delete})

    async def notice(self, turn: Turn, _arg: str) -> list[Reply]:
        """The plain-language privacy notice."""
        return [Reply(qt("privacy_notice", turn.lang))]

    async def my_data(self, turn: Turn, _arg: str) -> list[Reply]:
        """Everything stored about me."""
        data = await personal_data(turn.session, user=turn.user, user_key=turn.inbound.user_key)
        lines = [qt("mydata_title", turn.lang),
                 qt("mydata_account", turn.lang, platform=data.platform, language=data.language,
                    created=local_text(data.created))]
        for code, reg in data.registrations:
            if reg.erased:
                lines.append(qt("mydata_erased", turn.lang, code=code, unit=reg.unit_id))
                continue
            lines.append(qt("mydata_registration", turn.lang, code=code, unit=reg.unit_id, name=reg.full_name or "—",
                            birth=str(reg.birth_year or "—"), cls=reg.class_name or "—", phone=reg.phone or "—"))
        lines.append(qt("mydata_attempts", turn.lang, n=str(data.attempts)))
        if data.staff_units:
            lines.append(qt("mydata_staff", turn.lang, units=", ".join(data.staff_units)))
        return [Reply("\n".join(lines))]

    async def ask_delete(self, turn: Turn, _arg: str) -> list[Reply]:
        """Ask before erasing anything (the question is remembered: only its own "yes" erases)."""
        await save_step(turn.session, user_id=turn.user_id, step=CONFIRM_STEP)
        return [Reply(qt("delete_confirm", turn.lang),
                      (Choice(qt("delete_yes", turn.lang), "pv:y"), Choice(qt("delete_no", turn.lang), "pv:n")))]

    async def confirm_delete(self, turn: Turn, answer: str) -> list[Reply]:
        """Erase names, birth years, classes, phones and any half-filled form; keep anonymous counts."""
        if answer not in ("y", "n") or turn.state.step != CONFIRM_STEP:
            # A "yes" nobody was just asked (an old button, a forged payload) erases nothing.
            return [Reply(qt("not_your_button", turn.lang), kind="error")]
        if answer == "n":
            await save_step(turn.session, user_id=turn.user_id, step=None)
            return [Reply(qt("delete_kept", turn.lang))]
        erased = await erase_personal_data(turn.session, user_id=turn.user_id)
        await save_step(turn.session, user_id=turn.user_id, step=None)
        return [Reply(qt("deleted", turn.lang, n=str(erased)))]
