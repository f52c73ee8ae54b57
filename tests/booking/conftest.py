"""Fixtures for the booking tests: a real FrontDesk on SQLite (or PostgreSQL) with a frozen clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import FrontDesk
from bot.config import load_settings

NOW = datetime.fromisoformat("2026-11-23T09:00:00+07:00")  # a Monday, 09:00 WIB
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1/frontdesk_booking")


async def make_frontdesk(url: str, now: datetime = NOW) -> FrontDesk:
    settings = load_settings(DATABASE_URL=url, FRONTDESK_NOW=now.isoformat(), FRONTDESK_DEMO_SEED="true")
    app = FrontDesk(settings)
    await app.start(migrate=True, seed=True)
    return app


@pytest.fixture
async def frontdesk(tmp_path: Path) -> AsyncIterator[FrontDesk]:
    app = await make_frontdesk(f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}")
    try:
        yield app
    finally:
        await app.close()


async def _reset_postgres(url: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture
async def pg_frontdesk() -> AsyncIterator[FrontDesk]:
    try:
        await _reset_postgres(PG_URL)
    except (OSError, Exception) as exc:  # no server: these tests need one
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    app = await make_frontdesk(PG_URL)
    try:
        yield app
    finally:
        await app.close()
