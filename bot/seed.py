"""Default content for a new database: the demo centers and consultants.

Each seeder fills its own tables only when they are empty, so it is safe at every start,
also in several processes starting at once (an advisory lock on PostgreSQL)."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)

SEEDERS = (
    "bot.services.centers:seed_centers",
    "bot.services.booking:seed_consultants",
)


async def seed_defaults(app: FrontDesk) -> None:
    for spec in SEEDERS:
        module_name, _, fn_name = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        fn = getattr(module, fn_name, None)
        if fn is None:
            continue
        async with app.db.transaction() as session:
            if not app.db.is_sqlite:
                # Several processes starting together (`run --workers N`, `--scale web=N`) would
                # each find the tables empty and insert the same rows; the second one failed
                # on the unique index and stopped. One at a time: the later ones find them filled.
                await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('frontdesk:seed'))"))
            await fn(session, app.content_dir)
