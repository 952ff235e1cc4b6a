"""Report and curation commands of `rightsbot`: contest results files, the yearly report,
usage stats, and the knowledge curation loop (gaps, add-phrasing, reload).
`bot/cli.py` (and `bot/cli_admin.py` for `contest results`) wire them into the parser."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_session import with_session
from bot.config import Settings
from bot.contests.admin import cli_actor
from bot.contests.contests import find_contest
from bot.contests.spec import LOCAL, SpecError, parse_local_time
from bot.qa.gaps import group_questions, logged_gaps
from bot.qa.knowledge import load_knowledge
from bot.qa.phrasing import add_phrasing
from bot.qa.store import KnowledgeStore
from bot.quiz.bank import QuizBank, load_bank
from bot.reports.contest_data import ContestReport, contest_report
from bot.storage.content_versions import bump_generation
from bot.storage.models import utcnow

KB_COMMANDS = ("gaps", "add-phrasing", "reload")


def add_results_parser(contest_sub: Any) -> None:
    """`contest results CODE [--by person|unit] [--csv F] [--xlsx F] [--chart F.png]`."""
    results = contest_sub.add_parser("results", help="results summary; --xlsx/--csv/--chart write files")
    results.add_argument("code")
    results.add_argument("--by", choices=["person", "unit"], default="person", help="what the summary and CSV list")
    results.add_argument("--csv", type=Path, help="the ranking (or unit results with --by unit) as CSV")
    results.add_argument("--xlsx", type=Path, help="the results workbook (settings, ranking, units, participants, "
                                                   "questions, days, rounds)")
    results.add_argument("--chart", type=Path, help="the overview chart as PNG")


def add_report_parsers(sub: Any, kb_sub: Any) -> None:
    """`report`, `stats`, and `kb gaps | add-phrasing | reload`."""
    report = sub.add_parser("report", help="the yearly report (DOCX, optional XLSX) for section V of the plan")
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--organiser", help="only this organiser unit (and the units below it)")
    report.add_argument("--docx", type=Path, required=True)
    report.add_argument("--xlsx", type=Path)

    stats = sub.add_parser("stats", help="usage per platform and language, answer shares, top entries, contests")
    stats.add_argument("--since", help="from this day (2026-01-31 or 31/01/2026, Vietnam time)")

    gaps = kb_sub.add_parser("gaps", help="unanswered and 👎-rated questions, grouped, most frequent first")
    gaps.add_argument("--since", help="from this day (2026-01-31 or 31/01/2026, Vietnam time)")
    gaps.add_argument("--suggested", action="store_true", help="also questions answered with 'did you mean'")
    gaps.add_argument("--limit", type=int, default=30)
    add = kb_sub.add_parser("add-phrasing", help="add TEXT as a phrasing of ENTRY_ID (comments kept), then reload")
    add.add_argument("entry_id")
    add.add_argument("text")
    add.add_argument("--lang", choices=["vi", "en"], help="which version gets it (default: detected)")
    kb_sub.add_parser("reload", help="validate, then make every running bot reload knowledge and quizzes")


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    return parse_local_time(text, "--since")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path} ({len(data):,} bytes)")


# ---- contest results -------------------------------------------------------------------------------


async def contest_results(session: AsyncSession, args: argparse.Namespace, settings: Settings, bank: QuizBank) -> int:
    """Print a summary; write the CSV, workbook and chart that were asked for."""
    contest = await find_contest(session, args.code)
    if contest is None:
        return _fail(f"no contest with the code {args.code[:16]}")
    actor = await cli_actor(session, getattr(args, "as_key", None), settings.admins)
    if not actor.may_run(contest.spec.organiser, bank.units):
        return _fail(f"{actor.user_key} does not run {contest.code}")
    report = await contest_report(session, contest, bank)
    print(results_summary(report, args.by))
    from bot.reports.contest_tables import contest_tables, ranking_table, units_table

    if args.csv:
        from bot.reports.csv_file import table_csv

        table = units_table(report, report.overall) if args.by == "unit" else \
            ranking_table(report, report.overall, "Xếp hạng cá nhân")
        _write(args.csv, table_csv(table))
    if args.xlsx:
        from bot.reports.workbook import workbook_bytes

        _write(args.xlsx, workbook_bytes(contest_tables(report)))
    if args.chart:
        from bot.reports.charts import overview_png

        _write(args.chart, overview_png(report))
    return 0


def results_summary(report: ContestReport, by: str, top: int = 10) -> str:
    """Title, counts, and the top people or units, as plain text."""
    spec = report.contest.spec
    ranking = report.overall.ranking
    lines = [f"{spec.title} ({report.contest.code}) — {report.contest.status}, organiser {spec.organiser}",
             f"{len(report.participants)} registered, {len(ranking)} took part"
             + (f", prediction figure {report.overall.actual}" if report.overall.actual is not None else "")]
    if by == "unit":
        lines.append(f"{'#':>3}  {'unit':<36} {'people':>6} {'rate':>7} {'average':>7} {'points':>7}")
        for i, u in enumerate(report.overall.units[:top], start=1):
            rate = f"{u.rate:.1%}" if u.rate is not None else "—"
            lines.append(f"{i:>3}  {report.unit_name(u.unit_id)[:36]:<36} {u.participants:>6} {rate:>7} "
                         f"{u.average:>7.2f} {u.points:>7g}")
    else:
        lines.append(f"{'rank':>4}  {'reg':>5}  {'unit':<30} {'score':>5} {'gap':>5} {'time':>8}  prize")
        for r in ranking[:top]:
            e = r.entry
            gap = "—" if r.gap is None else str(r.gap)
            lines.append(f"{r.rank:>4}  {e.registration_id:>5}  {report.unit_name(e.unit_id)[:30]:<30} "
                         f"{e.score:>2}/{e.n_questions:<2} {gap:>5} {e.duration_ms / 1000:>7.0f}s  {r.prize or ''}")
    return "\n".join(lines)


# ---- yearly report and stats ------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """`rightsbot report --year Y [--organiser ID] --docx F [--xlsx F]`."""
    bank, _ = load_bank(settings.quizzes_dir)
    if args.organiser and args.organiser not in bank.units:
        return _fail(f"unknown unit {args.organiser!r}")
    if not 2000 <= args.year <= utcnow().astimezone(LOCAL).year:
        return _fail("--year must be this year or an earlier one")
    kb, _ = load_knowledge(settings.knowledge_dir)

    async def work(session: AsyncSession) -> int:
        from bot.reports.workbook import workbook_bytes
        from bot.reports.yearly import workbook_tables, yearly_report
        from bot.reports.yearly_docx import yearly_docx

        started = time.perf_counter()
        report = await yearly_report(session, year=args.year, kb=kb, bank=bank, organiser=args.organiser)
        _write(args.docx, yearly_docx(report))
        if args.xlsx:
            _write(args.xlsx, workbook_bytes(workbook_tables(report)))
        print(f"{report.period.text()}: {len(report.contests)} contests, {report.qa.asked} questions "
              f"({time.perf_counter() - started:.1f} s)")
        return 0

    return with_session(settings, work)


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """`rightsbot stats [--since DATE]`: counts only, no personal data."""
    try:
        since = _since(args.since)
    except SpecError as exc:
        return _fail(str(exc))
    kb, _ = load_knowledge(settings.knowledge_dir)

    async def work(session: AsyncSession) -> int:
        from bot.reports.usage import contest_counts, qa_activity, stats_text

        print(stats_text(await qa_activity(session, kb, since), await contest_counts(session, since), since))
        return 0

    return with_session(settings, work)


# ---- curation ---------------------------------------------------------------------------------------


def cmd_kb_curation(args: argparse.Namespace, settings: Settings) -> int:
    """`kb gaps`, `kb add-phrasing`, `kb reload`."""
    handler = {"gaps": _kb_gaps, "add-phrasing": _kb_add_phrasing, "reload": _kb_reload}[args.kb_command]
    return handler(args, settings)


def _kb_gaps(args: argparse.Namespace, settings: Settings) -> int:
    try:
        since = _since(args.since)
    except SpecError as exc:
        return _fail(str(exc))
    store = KnowledgeStore(settings.knowledge_dir)
    store.reload()

    async def work(session: AsyncSession) -> int:
        groups = group_questions(await logged_gaps(session, since=since, suggested=args.suggested), store.matcher)
        if not groups:
            print("no unanswered or 👎-rated questions" + (f" since {args.since}" if since else ""))
            return 0
        for group in groups[: max(1, args.limit)]:
            kinds = ", ".join(f"{k} {n}" for k, n in group.kinds.most_common())
            variants = f"; {len(group.variants)} wordings" if len(group.variants) > 1 else ""
            print(f"{group.count:>5}×  «{group.text}»  ({kinds}; {group.lang}{variants}; "
                  f"last {group.last_seen.astimezone(LOCAL):%d/%m/%Y})")
            if group.closest is not None:
                print(f"        closest: {group.closest.id} ({group.closest_score:g}) «{group.closest.title('vi')}»")
                print(f'        rightsbot kb add-phrasing {group.closest.id} "{group.text}"')
            for entry_id, n in group.given.most_common(3):
                print(f"        👎 on the answer of {entry_id} ({n})")
        print(f"{len(groups)} groups of {sum(g.count for g in groups)} questions")
        return 0

    return with_session(settings, work)


def _kb_add_phrasing(args: argparse.Namespace, settings: Settings) -> int:
    lang = args.lang
    if lang is None:
        store = KnowledgeStore(settings.knowledge_dir)
        store.reload()
        lang = store.matcher.detect_language(args.text)
    result = add_phrasing(settings.knowledge_dir, args.entry_id, args.text, lang)
    for problem in result.problems:
        print(problem)
    if not result.added:
        where = f" ({result.path}:{result.line})" if result.path else ""
        return _fail(result.message + where)
    print(f"{result.path}:{result.line}: {result.message}")
    return _request_reload(settings, "cli:add-phrasing")


def _kb_reload(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the knowledge base and question banks; when clean, tell running bots to reload."""
    _, problems = load_knowledge(settings.knowledge_dir)
    _, quiz_problems = load_bank(settings.quizzes_dir)
    errors = [p for p in [*problems, *quiz_problems] if p.severity == "error"]
    for problem in errors:
        print(problem)
    if errors:
        return _fail(f"{len(errors)} errors: running bots keep serving the previous version")
    return _request_reload(settings, "cli")


def _request_reload(settings: Settings, by: str) -> int:
    async def work(session: AsyncSession) -> int:
        generation = await bump_generation(session, requested_by=by)
        print(f"reload requested (generation {generation}): running bots reload within a few seconds")
        return 0

    return with_session(settings, work)
