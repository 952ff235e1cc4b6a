"""The `rightsbot` command line (also `python -m bot`). Its commands are a stable contract."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

import yaml

from bot import event_loop, garbage_collection
from bot.cli_admin import (
    add_admin_parsers,
    check_quizzes_report,
    cmd_contest,
    cmd_import,
    cmd_staff,
    print_quiz_stats,
)
from bot.cli_reports import KB_COMMANDS, add_report_parsers, cmd_kb_curation, cmd_report, cmd_stats
from bot.config import Settings
from bot.core.answers import entry_text, match_reply
from bot.qa.check import check_knowledge
from bot.qa.grading import passes
from bot.qa.knowledge import load_knowledge
from bot.qa.matcher import Match, Matcher
from bot.qa.store import KnowledgeStore


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rightsbot", description="A chatbot that teaches human rights and runs knowledge contests.")
    sub = ap.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question, or a file of questions with --batch")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--lang", choices=["vi", "en"])
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("--batch", type=Path, help="a file with one question per line; prints one JSON line each")

    ev = sub.add_parser("eval", help="grade the matcher on a case file (the shared eval format)")
    ev.add_argument("cases", type=Path)
    ev.add_argument("--min-answered", type=float, default=0.0)
    ev.add_argument("--min-abstain", type=float, default=0.0)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate knowledge/ and quizzes/ (QUIZZES_DIR)")
    check.add_argument("directory", nargs="?", type=Path)
    check.add_argument("--quizzes", type=Path, help="the quizzes folder (default QUIZZES_DIR)")
    check.add_argument("--quiet", action="store_true", help="print errors and warnings only, not notes")
    stats = kb_sub.add_parser("stats", help="counts per topic and language, and English coverage")
    stats.add_argument("directory", nargs="?", type=Path)
    stats.add_argument("--quizzes", type=Path, help="the quizzes folder (default QUIZZES_DIR)")

    chat = sub.add_parser("chat", help="chat in the terminal")
    chat.add_argument("--lang", choices=["vi", "en"], default="vi")

    sub.add_parser("run", help="start every configured channel (the terminal chat when none is)")

    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations")
    add_admin_parsers(sub)
    add_report_parsers(sub, kb_sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(level=getattr(logging, settings.log_level, logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in ("chat", "run"):
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    handler = {
        "ask": cmd_ask, "eval": cmd_eval, "kb": cmd_kb, "chat": cmd_chat, "run": cmd_run, "db": cmd_db,
        "contest": cmd_contest, "staff": cmd_staff, "quiz": cmd_import, "units": cmd_import,
        "report": cmd_report, "stats": cmd_stats,
    }[args.command]
    return handler(args, settings)


def _matcher(settings: Settings) -> Matcher:
    store = KnowledgeStore(settings.knowledge_dir)
    store.reload()
    return store.matcher


def match_json(matcher: Matcher, match: Match) -> dict[str, Any]:
    """The JSON contract of `rightsbot ask --json`."""
    answered = match.outcome == "answer" and match.entry is not None
    reply = match_reply(match, matcher.kb, None)
    return {
        "matched": answered,
        "answer": entry_text(match.entry, match.lang) if answered and match.entry else None,
        "entry_id": match.entry.id if answered and match.entry else None,
        "score": round(match.score, 1),
        "suggestions": [{"entry_id": e.id, "question": e.title(match.lang)} for e in match.suggestions],
        "lang": match.lang,
        "outcome": match.outcome,
        "text": reply.text,
    }


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    matcher = _matcher(settings)
    if args.batch:
        for line in args.batch.read_text(encoding="utf-8").splitlines():
            print(json.dumps(match_json(matcher, matcher.match(line, args.lang)), ensure_ascii=False))
        return 0
    question = " ".join(args.question)
    if not question:
        print("usage: rightsbot ask [--lang vi|en] [--json] QUESTION", file=sys.stderr)
        return 2
    match = matcher.match(question, args.lang)
    if args.json:
        print(json.dumps(match_json(matcher, match), ensure_ascii=False))
        return 0
    reply = match_reply(match, matcher.kb, None)
    print(reply.text)
    for i, choice in enumerate(reply.choices, start=1):
        print(f"  {i}. {choice.label}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    matcher = _matcher(settings)
    cases = yaml.safe_load(args.cases.read_text(encoding="utf-8"))["cases"]
    ok_in = n_in = ok_out = n_out = 0
    for case in cases:
        reply = match_json(matcher, matcher.match(str(case["q"])))
        good = passes(case, reply)
        if case.get("abstain"):
            n_out += 1
            ok_out += good
        else:
            n_in += 1
            ok_in += good
        if not good:
            got = (reply.get("answer") or "<no answer>").replace("\n", " ")[:120]
            print(f"FAIL {case['q']!r} -> matched={reply.get('matched')} {got!r}")
    a = ok_in / n_in if n_in else 1.0
    b = ok_out / n_out if n_out else 1.0
    print(f"answered correctly {ok_in}/{n_in} = {a:.3f}; abstained correctly {ok_out}/{n_out} = {b:.3f}")
    return 0 if a >= args.min_answered and b >= args.min_abstain else 1


def cmd_kb(args: argparse.Namespace, settings: Settings) -> int:
    """`kb check`: every problem of the knowledge base and the question banks as `path:line`; exit 1 on errors."""
    if args.kb_command == "stats":
        return cmd_kb_stats(args, settings)
    if args.kb_command in KB_COMMANDS:
        return cmd_kb_curation(args, settings)
    directory = args.directory or settings.knowledge_dir
    kb, problems = check_knowledge(directory)
    shown = [p for p in problems if not (args.quiet and p.severity == "info")]
    for problem in shown:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    reviews = sum(e.review for e in kb.entries.values())
    english = sum(e.en is not None for e in kb.entries.values())
    quiz_errors, quiz_summary = check_quizzes_report(args.quizzes or settings.quizzes_dir, args.quiet)
    print(f"{len(kb.entries)} entries ({english} in English) in {len(kb.topics)} topics; "
          f"{errors} errors, {warnings} warnings, {reviews} marked for review")
    print(quiz_summary)
    return 1 if errors or quiz_errors else 0


def cmd_kb_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Entries per topic, how many have English, phrasings, and review flags; then the quizzes per group."""
    kb, _ = load_knowledge(args.directory or settings.knowledge_dir)
    print(f"{'topic':<24} {'entries':>7} {'english':>7} {'phrasings':>9} {'review':>6}")
    rows: list[tuple[str, int, int, int, int]] = []
    for topic in kb.topics.values():
        entries = kb.in_topic(topic.id)
        rows.append((topic.id, len(entries), sum(e.en is not None for e in entries),
                     sum(len(e.vi.questions) + (len(e.en.questions) if e.en else 0) for e in entries),
                     sum(e.review for e in entries)))
    for row in rows:
        print(f"{row[0]:<24} {row[1]:>7} {row[2]:>7} {row[3]:>9} {row[4]:>6}")
    total = [sum(int(r[i]) for r in rows) for i in range(1, 5)]
    print(f"{'total':<24} {total[0]:>7} {total[1]:>7} {total[2]:>9} {total[3]:>6}")
    share = total[1] / total[0] if total[0] else 0.0
    print(f"English coverage: {share:.0%} of entries")
    print_quiz_stats(args.quizzes or settings.quizzes_dir)
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app
    from bot.channels.console import run_console

    async def chat() -> None:
        app = await build_app(settings)
        try:
            await run_console(app.dialogue, lang=args.lang)
        finally:
            await app.close()

    asyncio.run(chat())
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve every configured channel until SIGTERM; with none, open the terminal chat."""
    if settings.telegram_token or settings.zalo_oa_enabled or settings.zalo_bot_enabled:
        return _run_channels(settings)
    print("No platform channel is configured (set TELEGRAM_BOT_TOKEN, ZALO_…); opening the terminal chat.",
          file=sys.stderr)
    args.lang = "vi"
    return cmd_chat(args, settings)


def _run_channels(settings: Settings) -> int:
    from bot.app import build_app
    from bot.channels.runner import run_channels

    # A service logs at LOG_LEVEL (main() quiets `run` for the terminal chat).
    logging.getLogger().setLevel(getattr(logging, settings.log_level, logging.INFO))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every request URL, token included

    async def serve() -> None:
        app = await build_app(settings)
        garbage_collection.settle_after_startup()
        try:
            await run_channels(app, settings)
        finally:
            await app.close()

    event_loop.run(serve())
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.db import Database

    async def upgrade() -> None:
        db = Database(settings.database_url)
        try:
            await db.upgrade()
        finally:
            await db.close()

    asyncio.run(upgrade())
    print("database is up to date")
    return 0
