"""Throwaway PostgreSQL databases for benchmarks: created empty, dropped after the run."""

from __future__ import annotations

import uuid


def _admin_dsn(base: str) -> str:
    return base.replace("postgresql+asyncpg", "postgresql")


async def fresh_pg(base: str, prefix: str = "rb_bench") -> tuple[str, str]:
    """Create an empty database beside `base`; returns (SQLAlchemy URL, database name)."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_admin_dsn(base))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rsplit("/", 1)[0] + "/" + name, name


async def drop_pg(base: str, name: str) -> None:
    """Drop a database made by `fresh_pg`, closing its connections."""
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(base))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
