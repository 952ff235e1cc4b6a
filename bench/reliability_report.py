"""Turn the figures the reliability tests recorded (RELIABILITY_FIGURES, a JSON file) into the table
of docs/reliability.md, between its `<!-- figures:start -->` and `<!-- figures:end -->` lines.

    python bench/reliability_report.py bench/reliability-figures.json docs/reliability.md

`make reliability` runs the tests (long variants, RELIABILITY_FULL=1) and then this script.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

START, END = "<!-- figures:start -->", "<!-- figures:end -->"

Figures = dict[str, Any]


def _waits(f: Figures) -> str:
    return ", ".join(f"{k} {v} s" for k, v in f.get("retry_wait_s", {}).items())


# (key or key prefix, class, test, what it measured)
ROWS: list[tuple[str, str, str, Callable[[Figures], str]]] = [
    ("sigkill_restart", "SIGKILL of `bot run` in the middle of the attempts, restart",
     "test_reliability_restart.py",
     lambda f: f"{f['resumed']}/{f['attempts']} attempts resumed, {f['answers']} answers, lost {f['answers_lost']}, "
               f"doubled {f['duplicates']}, deadlines moved {f['deadlines_moved']}; down {f['down_s']} s, "
               f"{f['updates_redelivered']} updates redelivered by the platform"),
    ("postgres_restart", "PostgreSQL restarted under load (private server)", "test_reliability_postgres.py",
     lambda f: f"{f['students']} students, {f['answers']} answers, {f['busy_replies']} polite \"try again\", "
               f"exceptions {f['exceptions']}, lost {f['lost']}, doubled {f['duplicates']}, "
               f"recovered {f['recovery_s']} s after the server was back"),
    ("delivery_telegram", "Telegram API answers 429/500/502, hangs, drops the connection",
     "test_reliability_delivery.py",
     lambda f: f"{f['replies']}/{f['faults']} replies delivered once (lost {f['lost']}, doubled {f['duplicates']}); "
               f"fault → delivery: {_waits(f)}"),
    ("delivery_zalo_oa", "Zalo OA API: the same faults", "test_reliability_delivery.py",
     lambda f: f"{f['replies']}/{f['faults']} replies delivered once; fault → delivery: {_waits(f)}"),
    ("delivery_zalo_bot", "Zalo Bot Platform API: the same faults", "test_reliability_delivery.py",
     lambda f: f"{f['replies']}/{f['faults']} replies delivered once; fault → delivery: {_waits(f)}"),
    ("duplicates", "Duplicates: update_id twice, double press, two processes", "test_reliability_duplicates.py",
     lambda f: f"{f['update_id_deliveries']} deliveries of 2 update ids, {f['double_presses']} racing presses, "
               f"{f['two_process_deliveries']} deliveries to two engines → {f['effects']} effects, duplicates "
               f"{f['duplicates']}"),
    ("duplicates_zalo_message_id", "Duplicates: a Zalo message_id again and again", "test_reliability_duplicates.py",
     lambda f: f"{f['deliveries']} deliveries → {f['replies']} reply, duplicates {f['duplicates']}"),
    ("disk_full", "Disk full (SQLite SQLITE_FULL)", "test_reliability_storage.py",
     lambda f: f"clear reply (`{f['user_reply']}`), {f['admin_alerts']} ADMIN ALERT, integrity {f['integrity']}, "
               f"half-written rows {f['half_written_rows']}, the message goes through once resent"),
    ("sqlite_locked", "SQLite database locked", "test_reliability_storage.py",
     lambda f: f"clear reply (`{f['user_reply']}`), {f['admin_alerts']} ADMIN ALERT, integrity {f['integrity']}, "
               f"recovered {f['recovered']}"),
    ("fuzz_text", "Fuzzing: random text, RTL, zero-width, combining, emoji, NUL, 10,000 characters",
     "test_reliability_fuzz.py",
     lambda f: f"{f['cases']} cases, exceptions {f['exceptions']}, replies over a platform limit {f['replies_over_limit']}"),
    ("fuzz_payloads", "Fuzzing: forged and random button payloads", "test_reliability_fuzz.py",
     lambda f: f"{f['forged_cases']} forged + {f['random_cases']} random cases, exceptions {f['exceptions']}, "
               f"tables changed {f['state_changes']}"),
    ("stale_payloads", "Stale and foreign buttons (other's attempt, old question, closed contest, tampered code)",
     "test_reliability_payloads.py",
     lambda f: f"{f['cases']} cases, tables changed {f['state_changes']}, impolite replies {f['impolite']}"),
    ("yaml", "Broken YAML: malformed, wrong types, duplicate ids, 50 MB, `!!python/object`", "test_reliability_yaml.py",
     lambda f: f"refused with path:line: {f['refused']}, last good data kept: {f['kept_last_good']}"),
    ("injection", "Markup in names (HTML, Markdown, formulas) in messages and the XLSX export",
     "test_reliability_payloads.py",
     lambda f: f"parse_mode uses {f['parse_mode_uses']}, formula-like cells neutralised {f['formula_cells_neutralised']}"),
    ("flood", "Flooding: 30 messages in a burst", "test_reliability_flood.py",
     lambda f: f"{f['answered']} answered, {f['notices']} notice, {f['dropped_silently']} dropped, "
               f"other users affected {f['others_affected']}"),
    ("roles", "Roles: every command and button by 5 roles", "test_roles_table.py (docs/roles.md)",
     lambda f: f"{f['cells_walked']} cells walked ({f['commands']} commands × {f['roles']} roles + buttons), "
               f"wrong {f['wrong_cells']}"),
    ("retention", "Retention: personal fields purged after RETENTION_DAYS", "test_reliability_privacy.py",
     lambda f: f"{f['purged']} purged on the first tick past the limit, {f['purged_again']} on the next"),
    ("privacy_logs_in_process", "Logs of a whole contest run at DEBUG", "test_reliability_privacy.py",
     lambda f: f"{f['records']} log records, names/phones/message text found {f['leaks']}"),
    ("secrets_in_output", "Secrets in `bot run` output at DEBUG (bad signatures, refused tokens)",
     "test_reliability_privacy.py",
     lambda f: f"{f['secrets_tested']} distinctive secrets, found {f['leaks']}"),
    ("webhook_auth", "Webhook secrets: constant time, 403, nothing stored", "test_reliability_webhooks.py",
     lambda f: f"{f['constant_time_checks']} checks via hmac.compare_digest, {f['refused']} refused, rows stored "
               f"{f['rows_stored']}"),
    ("webhook_replay", "A valid Zalo OA event replayed (again, and 2 days later)", "test_reliability_webhooks.py",
     lambda f: f"{f['replays']} replays → {f['effects']} effect"),
]


def _variants(data: dict[str, Figures], key: str) -> list[tuple[str, Figures]]:
    """The figures of one row: `key` itself, its database variants, or (YAML) one per broken file."""
    found = []
    for name, figures in sorted(data.items()):
        variant = name.removeprefix(key + "_") if name.startswith(key + "_") else None
        if name == key or variant in ("sqlite", "postgresql") or (key == "yaml" and variant):
            found.append((variant or "", figures))
    return found


def table(data: dict[str, Figures]) -> str:
    lines = ["| fault or bad input | test (tests/…) | measured |", "|---|---|---|"]
    for key, what, test, describe in ROWS:
        found = _variants(data, key)
        if not found:
            lines.append(f"| {what} | `{test}` | (not run) |")
        for variant, figures in found:
            try:
                measured = describe(figures)
            except KeyError as missing:
                measured = f"(figure {missing} missing)"
            label = f" ({variant})" if variant else ""
            full = " [long run]" if figures.get("full") else ""
            lines.append(f"| {what}{label} | `{test}` | {measured}{full} |")
    return "\n".join(lines)


def main(figures_path: str, doc_path: str) -> int:
    data = json.loads(Path(figures_path).read_text(encoding="utf-8"))
    doc = Path(doc_path)
    text = doc.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"{doc_path}: no {START} … {END} markers", file=sys.stderr)
        return 1
    stamp = f"_Figures regenerated {datetime.now().strftime('%Y-%m-%d %H:%M')} by `make reliability`._"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{stamp}\n\n{table(data)}\n{END}{tail}", encoding="utf-8")
    print(f"{doc_path}: {len(data)} figures written")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(sys.argv[1:3] if len(sys.argv) >= 3 else ("bench/reliability-figures.json", "docs/reliability.md"))))
