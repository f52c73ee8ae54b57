from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import FrontDesk
from bot.config import ROOT, load_settings


@pytest.fixture
async def frontdesk(tmp_path: Path) -> AsyncIterator[FrontDesk]:
    """The real app on a fresh SQLite file, with the demo centers, at a fixed time (Mon 09:00 WIB)."""
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
        FRONTDESK_CONTENT_DIR=str(ROOT),
        FRONTDESK_NOW="2026-11-23T09:00:00+07:00",
        FRONTDESK_DEFAULT_LANGUAGE="id",
    )
    app = FrontDesk(settings)
    await app.start(migrate=True, seed=False)
    from bot.services.centers import seed_centers

    async with app.db.transaction() as session:
        await seed_centers(session, ROOT)
    yield app
    await app.close()
