"""Fixtures for the booking tests: a real FrontDesk on SQLite (or PostgreSQL) with a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import FrontDesk
from bot.config import load_settings

NOW = datetime.fromisoformat("2026-11-23T09:00:00+07:00")  # a Monday, 09:00 WIB


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


@pytest.fixture
async def pg_frontdesk(postgres_url: str) -> AsyncIterator[FrontDesk]:
    """The session's PostgreSQL database (see tests/conftest.py), emptied, with the demo seed."""
    app = await make_frontdesk(postgres_url)
    try:
        yield app
    finally:
        await app.close()
