"""Helpers for the reliability tests (issue 9): figures for docs/reliability.md, a private
PostgreSQL server the tests may restart, and database snapshots.

`make reliability` sets RELIABILITY_FIGURES to a JSON file; each test then records what it
measured there (`record`), and bench/reliability_report.py turns the file into the table in
docs/reliability.md. RELIABILITY_FULL=1 runs the long variants (more attempts, more fuzz cases).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

FULL = os.environ.get("RELIABILITY_FULL") == "1"


def record(key: str, **figures: Any) -> None:
    """Add one test's figures under `key` to RELIABILITY_FIGURES (nothing when it is not set)."""
    target = os.environ.get("RELIABILITY_FIGURES")
    if not target:
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(Path(tempfile.gettempdir()) / "rightsbot-reliability-figures.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        data[key] = {**figures, "full": FULL}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")


async def row_counts(app: Any) -> dict[str, int]:
    """Rows in every table (a cheap snapshot: forged input must change none of them)."""
    from sqlmodel import SQLModel

    counts = {}
    async with app.db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("telegram_broadcast_claims", "broadcast_claims"):
                continue   # renamed by a migration in progress elsewhere: not ours to count
            try:
                counts[table.name] = int((await session.execute(select(func.count()).select_from(table))).scalar_one())
            except Exception:  # noqa: BLE001 - a table a newer model knows but this database lacks
                await session.rollback()
    return counts


# --- a private PostgreSQL server (never the shared one: other engineers' tests use it) -------------


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """`initdb` + `pg_ctl` in a temporary folder, on a free port, trust auth; as the `postgres`
    user when running as root (the server refuses root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="rb-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_user:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                       "fsync = off\nmax_connections = 60\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bindir = postgres_bin()
    if bindir is None:
        import pytest

        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    server = PrivatePostgres(bindir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.cleanup()


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
