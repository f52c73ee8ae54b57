"""Several processes starting at once on an empty PostgreSQL database all start: the demo
content is seeded once, not once per process (the losers stopped on the unique index)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import FrontDesk
from bot.storage.models import Consultant
from tests.conftest import make_settings


async def test_processes_starting_together_seed_the_demo_content_once(postgres_url: str) -> None:
    apps = [FrontDesk(make_settings(postgres_url, FRONTDESK_DEMO_SEED="true")) for _ in range(4)]
    try:
        results = await asyncio.gather(*(a.start(migrate=False) for a in apps), return_exceptions=True)
        assert [r for r in results if r is not None] == []
        async with apps[0].db.transaction() as s:
            names = (await s.execute(select(Consultant.center_code, Consultant.name, func.count())
                                     .group_by(Consultant.center_code, Consultant.name))).all()
        assert names and all(n == 1 for _, _, n in names)
    finally:
        for a in apps:
            await a.close()
