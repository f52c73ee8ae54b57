"""The operational tables other modules own (centers, consultants, bookings, handoffs,
ratings), seen from the admin pages. Until a module has landed its models, the pages
that need them say so instead of failing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.authz import Principal
from bot.storage import models as _models

if TYPE_CHECKING:
    from bot.admin.dashboard import Filters


def model(name: str) -> Any | None:
    """An ORM class from `bot.storage.models` by name, or None while it does not exist."""
    return getattr(_models, name, None)


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
    """Bookings per center and service area, no-show rate, median handoff waiting time,
    ratings: for the filtered center (a center admin's own) and dates."""
    from sqlalchemy import func, select

    from bot.admin.authz import scope_to_center

    stats = OpsStats()
    Booking = model("Booking")
    if Booking is not None:
        stats.available = True
        where = [Booking.starts_at >= f.since, Booking.starts_at < f.until]
        if f.center_code:
            where.append(Booking.center_code == f.center_code)

        def scoped(stmt: Any) -> Any:
            return scope_to_center(principal, stmt.where(*where), Booking.center_code)

        rows = await session.execute(scoped(select(Booking.center_code, func.count()).group_by(Booking.center_code).order_by(func.count().desc())))
        stats.charts["bookings_center"] = ("Bookings per center", [(c, n) for c, n in rows])
        rows = await session.execute(scoped(select(Booking.service_area, func.count()).group_by(Booking.service_area).order_by(func.count().desc())))
        stats.charts["bookings_area"] = ("Bookings per service area", [(a, n) for a, n in rows])
        counts = dict((s, n) for s, n in await session.execute(scoped(select(Booking.status, func.count()).group_by(Booking.status))))
        stats.figures["bookings"] = ("Bookings", sum(counts.values()))
        seen = counts.get("attended", 0) + counts.get("no_show", 0)
        stats.figures["no_show_rate"] = ("No-show rate", f"{round(100 * counts.get('no_show', 0) / seen)}%" if seen else "–")
    Handoff = model("HandoffRequest")
    if Handoff is not None:
        where = [Handoff.created_at >= f.since, Handoff.created_at < f.until]
        if f.center_code:
            where.append(Handoff.center_code == f.center_code)
        stmt = scope_to_center(principal, select(Handoff.created_at, Handoff.taken_at, Handoff.rating).where(*where), Handoff.center_code)
        handoffs = list(await session.execute(stmt))
        waits = [(t - c).total_seconds() / 60 for c, t, _ in handoffs if t is not None]
        med = median(waits)
        stats.figures["handoff_wait"] = ("Median handoff waiting time", f"{med:.0f} min" if med is not None else "–")
        ratings = [r for _, _, r in handoffs if r is not None]
        stats.charts["ratings"] = ("Ratings", [(str(k), float(sum(1 for r in ratings if r == k))) for k in range(1, 6)] if ratings else [])
        stats.figures["rating"] = ("Average rating", f"{sum(ratings) / len(ratings):.1f}" if ratings else "–")
    return stats


def median(values: list[float]) -> float | None:
    import statistics

    return statistics.median(values) if values else None
