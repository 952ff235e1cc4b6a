"""Admin commands of `rightsbot`: contests, staff roles, spreadsheet imports, and the quizzes part
of `kb check` / `kb stats`. `bot/cli.py` wires them into the parser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_reports import add_results_parser, contest_results
from bot.cli_session import with_session
from bot.config import Settings
from bot.contests.admin import cli_actor, contest_counts, describe, spec_from_file
from bot.contests.contests import create_contest, find_contest, list_contests
from bot.contests.results import close_contest_now
from bot.contests.roles import grant_staff, list_staff, valid_user_key
from bot.contests.spec import local_text
from bot.quiz.bank import QuizBank, load_bank
from bot.quiz.check import check_quizzes, quiz_stats
from bot.quiz.importer import (
    SheetError,
    default_question_output,
    error_count,
    import_questions,
    import_units,
    to_yaml,
    write_new,
)
from bot.quiz.units import UNITS_FILE, load_units
from bot.storage.models import utcnow


def add_admin_parsers(sub: Any) -> None:
    """`contest`, `staff`, `quiz import` and `units import`."""
    contest = sub.add_parser("contest", help="create, list, show and close contests")
    contest.add_argument("--as", dest="as_key", metavar="CHANNEL:ID",
                         help="act as this person (their staff units); default: an admin")
    c_sub = contest.add_subparsers(dest="contest_command", required=True)
    create = c_sub.add_parser("create", help="create a contest from a YAML file; prints its join code")
    create.add_argument("--file", type=Path, required=True)
    c_sub.add_parser("list", help="contests, newest first")
    for name, text in (("show", "every setting, rounds and counts"), ("close", "close now: rank running rounds")):
        c_sub.add_parser(name, help=text).add_argument("code")
    add_results_parser(c_sub)

    staff = sub.add_parser("staff", help="staff roles")
    s_sub = staff.add_subparsers(dest="staff_command", required=True)
    grant = s_sub.add_parser("grant", help="make CHANNEL:ID staff of UNIT (its contests and those below it)")
    grant.add_argument("user_key", metavar="CHANNEL:ID")
    grant.add_argument("unit")
    s_sub.add_parser("list", help="every staff role")

    for name, what in (("quiz", "questions"), ("units", "the units list")):
        group = sub.add_parser(name, help=f"{what}: import a spreadsheet")
        g_sub = group.add_subparsers(dest=f"{name}_command", required=True)
        imp = g_sub.add_parser("import", help=f"{what} from FILE.xlsx or FILE.csv (columns: quizzes/README.md)")
        imp.add_argument("file", type=Path)
        imp.add_argument("--out", type=Path, help="the YAML file to write")
        imp.add_argument("--force", action="store_true", help="replace the output file when it exists")


# ---- database commands -----------------------------------------------------------------------------




def _quizzes(settings: Settings) -> QuizBank:
    bank, _ = load_bank(settings.quizzes_dir)
    return bank


def cmd_contest(args: argparse.Namespace, settings: Settings) -> int:
    """`rightsbot contest create --file F | list | show CODE | close CODE`."""
    if args.as_key is not None and not valid_user_key(args.as_key):
        return _fail("--as must look like telegram:12345")
    bank = _quizzes(settings)
    handlers = {"create": _contest_create, "list": _contest_list, "show": _contest_show, "close": _contest_close,
                "results": contest_results}
    handler = handlers[args.contest_command]
    return with_session(settings, lambda session: handler(session, args, settings, bank))


async def _contest_create(session: AsyncSession, args: argparse.Namespace, settings: Settings, bank: QuizBank) -> int:
    """Create a contest from a file; prints `created CODE "title"` (exit 1 on a bad file or no right)."""
    spec, problems = spec_from_file(args.file, bank)
    for problem in problems:
        print(problem)
    if spec is None:
        return 1
    actor = await cli_actor(session, args.as_key, settings.admins)
    if not actor.may_run(spec.organiser, bank.units):
        return _fail(f"{actor.user_key} is not staff of {spec.organiser} (nor of a unit above it)")
    try:
        contest = await create_contest(session, spec, created_by=actor.user_key, now=utcnow())
    except ValueError as exc:
        return _fail(str(exc))
    print(f'created {contest.code} "{spec.title}"; participants join with /thi {contest.code}')
    return 0


async def _contest_list(session: AsyncSession, args: argparse.Namespace, settings: Settings, bank: QuizBank) -> int:
    """One line per contest this actor runs: code, status, counts, times, organiser, title."""
    actor = await cli_actor(session, args.as_key, settings.admins)
    contests = [c for c in await list_contests(session) if actor.may_run(c.spec.organiser, bank.units)]
    if not contests:
        print("no contests")
        return 0
    print(f"{'code':<12} {'status':<7} {'took part':>9}  {'opens':<16} → {'closes':<16}  organiser  title")
    for c in contests:
        counts = await contest_counts(session, c.id)
        print(f"{c.code:<12} {c.status:<7} {counts.took_part:>9}  {local_text(c.spec.opens):<16} → "
              f"{local_text(c.spec.closes):<16}  {c.spec.organiser}  {c.spec.title}")
    return 0


async def _contest_show(session: AsyncSession, args: argparse.Namespace, settings: Settings, bank: QuizBank) -> int:
    contest = await _own(session, args, settings, bank)
    if contest is None:
        return 1
    print("\n".join(await describe(session, contest, bank)))
    return 0


async def _contest_close(session: AsyncSession, args: argparse.Namespace, settings: Settings, bank: QuizBank) -> int:
    """Close now: running attempts are submitted and open rounds ranked (results are queued to people)."""
    contest = await _own(session, args, settings, bank)
    if contest is None:
        return 1
    if contest.status == "closed":
        print(f"{contest.code} is already closed")
        return 0
    rounds = await close_contest_now(session, contest, bank.units, utcnow())
    print(f"closed {contest.code}: {rounds} round(s) ranked")
    return 0


async def _own(session: AsyncSession, args: argparse.Namespace, settings: Settings, bank: QuizBank) -> Any:
    contest = await find_contest(session, args.code)
    if contest is None:
        _fail(f"no contest with the code {args.code[:16]}")
        return None
    actor = await cli_actor(session, args.as_key, settings.admins)
    if not actor.may_run(contest.spec.organiser, bank.units):
        _fail(f"{actor.user_key} does not run {contest.code}")
        return None
    return contest


def cmd_staff(args: argparse.Namespace, settings: Settings) -> int:
    """`rightsbot staff grant CHANNEL:ID UNIT | list` (every grant is logged, ids only)."""
    if args.staff_command == "list":
        return with_session(settings, _staff_list)
    if not valid_user_key(args.user_key):
        return _fail("CHANNEL:ID must look like telegram:12345 or zalo_oa:6543…")
    units = _quizzes(settings).units
    if args.unit not in units:
        return _fail(f"unknown unit {args.unit!r} (see {settings.quizzes_dir / UNITS_FILE})")

    async def grant(session: AsyncSession) -> int:
        added = await grant_staff(session, user_key=args.user_key, unit_id=args.unit, granted_by="cli")
        print(f"{args.user_key} {'is now' if added else 'already was'} staff of {args.unit}")
        return 0

    return with_session(settings, grant)


async def _staff_list(session: AsyncSession) -> int:
    roles = await list_staff(session)
    if not roles:
        print("no staff roles")
    for role in roles:
        print(f"{role.unit_id:<24} {role.user_key:<40} granted by {role.granted_by} on {role.created:%Y-%m-%d}")
    return 0


# ---- imports ---------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """`rightsbot quiz import` / `units import`: check every row, then write YAML (never over a file without --force)."""
    source: Path = args.file
    units = args.command == "units"
    out: Path = args.out or (settings.quizzes_dir / UNITS_FILE if units else default_question_output(settings.quizzes_dir, source))
    if out.exists() and not args.force:
        return _fail(f"{out} exists; pass --force to replace it, or --out to write elsewhere")
    if not source.is_file():
        return _fail(f"{source}: file not found")
    try:
        if units:
            current, _ = load_units(settings.quizzes_dir / UNITS_FILE) if (settings.quizzes_dir / UNITS_FILE).is_file() else ({}, [])
            data, count, problems = import_units(source, current)
        else:
            data, count, problems = import_questions(source, _quizzes(settings), replacing=out)
    except SheetError as exc:
        return _fail(f"{source}: error: {exc}")
    for problem in problems:
        print(problem)
    if data is None:
        print(f"{error_count(problems)} errors; nothing written")
        return 1
    try:
        write_new(out, to_yaml(data, source), args.force)
    except FileExistsError:
        return _fail(f"{out} exists; pass --force to replace it")
    what = "units" if units else "questions"
    print(f"wrote {count} {what} to {out}; now run `rightsbot kb check`")
    return 0


# ---- kb check / kb stats ---------------------------------------------------------------------------


def check_quizzes_report(directory: Path, quiet: bool) -> tuple[int, str]:
    """Print the quizzes' problems; returns (errors, the summary line)."""
    bank, problems = check_quizzes(directory)
    for problem in problems:
        if not (quiet and problem.severity == "info"):
            print(problem)
    errors = error_count(problems)
    warnings = sum(p.severity == "warning" for p in problems)
    english = sum(q.en is not None for q in bank.questions.values())
    reviews = sum(q.review for q in bank.questions.values())
    summary = (f"{len(bank.questions)} quiz questions ({english} in English) in {len(bank.topics)} topics, "
               f"{len(bank.units)} units; {errors} errors, {warnings} warnings, {reviews} marked for review")
    return errors, summary


def print_quiz_stats(directory: Path) -> None:
    """Questions per group and difficulty, English versions and review flags."""
    bank, _ = load_bank(directory)
    rows = quiz_stats(bank)
    print(f"\n{'quiz group':<24} {'questions':>9} {'easy':>5} {'medium':>6} {'hard':>5} {'english':>7} {'review':>6}")
    for r in rows:
        d = r.by_difficulty
        print(f"{r.group:<24} {r.total:>9} {d['easy']:>5} {d['medium']:>6} {d['hard']:>5} {r.english:>7} {r.review:>6}")
    total = sum(r.total for r in rows)
    english = sum(r.english for r in rows)
    levels = [sum(r.by_difficulty[k] for r in rows) for k in ("easy", "medium", "hard")]
    print(f"{'total':<24} {total:>9} {levels[0]:>5} {levels[1]:>6} {levels[2]:>5} {english:>7} "
          f"{sum(r.review for r in rows):>6}")
    print(f"Quiz English coverage: {english / total if total else 0.0:.0%} of questions; {len(bank.units)} units")


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1
