"""Fixtures: a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set) and the real core."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Settings
from bot.storage.db import Database
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA

ROOT = Path(__file__).resolve().parent.parent
TEST_KNOWLEDGE = Path(__file__).resolve().parent / "data" / "knowledge"
SHARED = ROOT.parent / "shared"
PG_URL = os.environ.get("TEST_DATABASE_URL")

BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped")),
]


async def _fresh_pg_database() -> tuple[str, str]:
    """Create an empty database for one test; returns (url, name)."""
    import asyncpg

    assert PG_URL
    name = f"rb_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_URL.rsplit("/", 1)[0] + "/" + name, name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    assert PG_URL
    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    url, name = await _fresh_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database of each backend."""
    database = Database(db_url)
    await database.upgrade()
    try:
        yield database
    finally:
        await database.close()


def make_settings(db_url: str, knowledge: Path = TEST_KNOWLEDGE, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "knowledge_dir": knowledge,
        "quizzes_dir": ROOT / "quizzes",
        "admins": frozenset({"console:admin"}),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    """The real core on a real database, with the small test knowledge base."""
    core = await build_app(make_settings(db_url))
    try:
        yield core
    finally:
        await core.close()


# --- fakes of the Zalo servers, and a SQLite file, for the Zalo tests ---------------------------------

@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake


@pytest.fixture
async def zb() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot() as fake:
        yield fake


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
