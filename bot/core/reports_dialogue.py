"""Reports in chat: contest results with their workbook and chart, the yearly report, and
announcing a closed contest's results to every participant.

Staff see only their organiser's contests (and those of units below it), admins see every
contest and the yearly report; everyone else gets a polite refusal and nothing happens.
Files are built off the event loop (matplotlib and openpyxl take tenths of a second).
"""

from __future__ import annotations

import asyncio
import threading

from bot.contests.announce import AnnounceProgress, announce_progress, announce_results
from bot.contests.contests import ContestInfo, find_contest
from bot.contests.results import standings
from bot.contests.roles import load_actor
from bot.contests.spec import LOCAL
from bot.core.answering import Clock
from bot.core.contest_staff import StaffFeature
from bot.core.dialogue import Routes, Turn
from bot.core.messages import Attachment, Choice, Reply
from bot.core.quiz_texts import qt
from bot.core.report_texts import rt
from bot.qa.store import KnowledgeStore
from bot.quiz.bank import QuizBank
from bot.reports.contest_data import ContestReport, contest_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
_render_lock = threading.Lock()   # matplotlib's style settings are process-wide: one drawing at a time


def contest_files(report: ContestReport, lang: str) -> tuple[Attachment, ...]:
    """The results workbook and the overview chart of one contest."""
    from bot.reports.charts import overview_png
    from bot.reports.contest_tables import contest_tables
    from bot.reports.workbook import workbook_bytes

    code = report.contest.code
    with _render_lock:
        png = overview_png(report)
    return (Attachment(f"ket-qua-{code}.xlsx", workbook_bytes(contest_tables(report)), XLSX,
                       rt("xlsx_caption", lang, code=code)),
            Attachment(f"bieu-do-{code}.png", png, PNG, rt("png_caption", lang, code=code)))


def files_note(files: tuple[Attachment, ...], command: str, lang: str) -> str:
    """What channels that cannot upload files (Zalo, the terminal) say instead."""
    return rt("files_elsewhere", lang, names=", ".join(f.filename for f in files), command=command)


class ReportsFeature:
    """`/ketquacuocthi CODE` (text + XLSX + PNG), `/baocao [YEAR]`, `/congbo CODE`."""

    def __init__(self, bank: QuizBank, knowledge: KnowledgeStore, staff: StaffFeature, clock: Clock) -> None:
        self.bank = bank
        self.knowledge = knowledge
        self.staff = staff
        self.clock = clock

    def routes(self) -> Routes:
        # Registered after StaffFeature: its `/ketquacuocthi` text summary is kept, files are added here.
        return Routes(
            commands={"ketquacuocthi": self.results, "contestresults": self.results,
                      "baocao": self.yearly, "report": self.yearly,
                      "congbo": self.announce, "announce": self.announce},
            payloads={"cb": self.announce_pressed},
        )

    async def _own_contest(self, turn: Turn, code: str) -> tuple[ContestInfo | None, list[Reply]]:
        actor = await load_actor(turn.session, user_key=turn.inbound.user_key, is_admin=turn.is_admin)
        if not actor.is_staff:
            return None, [Reply(qt("staff_only", turn.lang), kind="error")]
        contest = await find_contest(turn.session, code) if code else None
        if contest is None:
            return None, [Reply(qt("no_such_contest", turn.lang, code=code[:16]), kind="error")]
        if not actor.may_run(contest.spec.organiser, self.bank.units):
            return None, [Reply(qt("staff_only", turn.lang), kind="error")]
        return contest, []

    async def results(self, turn: Turn, arg: str) -> list[Reply]:
        """The summary text, then the workbook and the chart for a prize committee."""
        contest, refusal = await self._own_contest(turn, arg.split()[0] if arg.split() else "")
        if contest is None:
            return refusal
        summary = await self.staff.results(turn, arg)
        report = await contest_report(turn.session, contest, self.bank, self.clock())
        files = await asyncio.to_thread(contest_files, report, turn.lang)
        command = f"rightsbot contest results {contest.code} --xlsx ket-qua.xlsx --chart bieu-do.png"
        return [*summary, Reply(rt("results_files", turn.lang, code=contest.code), files=files,
                                extra={"files_note": files_note(files, command, turn.lang)})]

    async def yearly(self, turn: Turn, arg: str) -> list[Reply]:
        """The yearly report (DOCX) for admins: `/baocao [YEAR] [UNIT]`."""
        if not turn.is_admin:
            return [Reply(rt("admins_only", turn.lang), kind="error")]
        parts = arg.split()
        now = self.clock()
        year = now.astimezone(LOCAL).year
        if parts and parts[0].isdecimal() and 2000 <= int(parts[0]) <= year:
            year = int(parts.pop(0))
        organiser = parts.pop(0) if parts else None
        if parts or (organiser is not None and organiser not in self.bank.units):
            return [Reply(rt("usage_report", turn.lang), kind="error")]
        from bot.reports.yearly import yearly_report
        from bot.reports.yearly_docx import yearly_docx

        report = await yearly_report(turn.session, year=year, kb=self.knowledge.kb, bank=self.bank,
                                     organiser=organiser, now=now)

        def render() -> bytes:
            with _render_lock:
                return yearly_docx(report)

        data = await asyncio.to_thread(render)
        name = f"bao-cao-{year}" + (f"-{organiser}" if organiser else "") + ".docx"
        text = rt("report_done", turn.lang, year=str(year), period=report.period.text(),
                  contests=str(len(report.contests)), asked=str(report.qa.asked))
        command = f"rightsbot report --year {year}" + (f" --organiser {organiser}" if organiser else "") + f" --docx {name}"
        files = (Attachment(name, data, DOCX, rt("report_caption", turn.lang, year=str(year))),)
        return [Reply(text, files=files, extra={"files_note": files_note(files, command, turn.lang)})]

    async def announce(self, turn: Turn, arg: str) -> list[Reply]:
        """`/congbo CODE`: the first time, a confirmation; once sent, the progress (queued/sent)."""
        code = arg.split()[0] if arg.split() else ""
        if not code:
            return [Reply(rt("usage_announce", turn.lang), kind="error")]
        contest, refusal = await self._own_contest(turn, code)
        if contest is None:
            return refusal
        if contest.status != "closed":
            return [Reply(rt("announce_not_closed", turn.lang, code=contest.code), kind="error")]
        progress = await announce_progress(turn.session, contest)
        if progress.queued:
            # Announced before: queue whatever a crash may have left out (the key skips the rest).
            added = await announce_results(turn.session, contest, self.bank.units, self.clock())
            return [Reply(progress_text(contest, await announce_progress(turn.session, contest), added, turn.lang))]
        people = len((await standings(turn.session, contest, self.bank.units, None)).ranking)
        if not people:
            return [Reply(rt("announce_nobody", turn.lang, code=contest.code))]
        return [Reply(rt("announce_confirm", turn.lang, code=contest.code, n=str(people)),
                      (Choice(rt("announce_send", turn.lang), f"cb:{contest.code}"),))]

    async def announce_pressed(self, turn: Turn, code: str) -> list[Reply]:
        """The confirmation button: queue everyone's message (once), then show the progress."""
        contest, refusal = await self._own_contest(turn, code[:16])
        if contest is None:
            return refusal
        if contest.status != "closed":
            return [Reply(rt("announce_not_closed", turn.lang, code=contest.code), kind="error")]
        added = await announce_results(turn.session, contest, self.bank.units, self.clock())
        return [Reply(progress_text(contest, await announce_progress(turn.session, contest), added, turn.lang))]


def progress_text(contest: ContestInfo, progress: AnnounceProgress, added: int, lang: str) -> str:
    """Queued and sent counts, overall and per channel."""
    retrying = rt("announce_retrying", lang, n=str(progress.retrying)) if progress.retrying else ""
    lines = [rt("announce_queued", lang, added=str(added))] if added else []
    lines.append(rt("announce_progress", lang, code=contest.code, sent=str(progress.sent), queued=str(progress.queued),
                    waiting=str(progress.waiting), retrying=retrying))
    lines += [rt("announce_channel", lang, channel=ch, sent=str(s), queued=str(q))
              for ch, (q, s) in progress.by_channel.items()]
    return "\n".join(lines)
