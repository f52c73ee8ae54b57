"""Default content for a new database: the demo centers and consultants.

Each seeder fills its own tables only when they are empty, so it is safe at every start,
also in several processes starting at once (an advisory lock on PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.booking import seed_consultants
from bot.services.centers import seed_centers

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)

Seeder = Callable[[AsyncSession, Path], Awaitable[object]]
SEEDERS: tuple[Seeder, ...] = (seed_centers, seed_consultants)
"""In order: consultants belong to centers."""


async def seed_defaults(app: FrontDesk) -> None:
    for seeder in SEEDERS:
        async with app.db.transaction() as session:
            if not app.db.is_sqlite:
                # Several processes starting together (`run --workers N`, `--scale web=N`) would
                # each find the tables empty and insert the same rows; the second one failed
                # on the unique index and stopped. One at a time: the later ones find them filled.
                await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('frontdesk:seed'))"))
            await seeder(session, app.content_dir)
