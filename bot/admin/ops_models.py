"""The operational tables other modules own (centers, consultants, bookings, handoffs,
ratings), seen from the admin pages. Until a module has landed its models, the pages
that need them say so instead of failing."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.authz import Principal

if TYPE_CHECKING:
    from bot.admin.dashboard import Filters


def model(name: str) -> Any | None:
    """An ORM class from `bot.storage.models` by name, or None while it does not exist."""
    models = importlib.import_module("bot.storage.models")
    return getattr(models, name, None)


@dataclass
class OpsStats:
    available: bool = False
    charts: dict[str, tuple[str, list[tuple[str, float]]]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


async def center_choices(session: AsyncSession, principal: Principal) -> list[tuple[str, str]]:
    """Centers a dashboard or list filter may offer this person."""
    from sqlalchemy import select

    from bot.admin.authz import scope_to_center
    from bot.storage.models import Center

    stmt = scope_to_center(principal, select(Center.code, Center.name).order_by(Center.name), Center.code)
    return [(i, n) for i, n in await session.execute(stmt)]


async def dashboard_stats(session: AsyncSession, principal: Principal, f: Filters) -> OpsStats:
    return OpsStats()
