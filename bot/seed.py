"""Default content for a new database: the demo centers and consultants.

Each seeder fills its own tables only when they are empty, so it is safe at every start."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

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
            await seeder(session, app.content_dir)
