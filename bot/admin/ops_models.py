"""The operational tables other modules own (centers, consultants, bookings, handoffs,
ratings), seen from the admin pages. Until a module has landed its models, the pages
that need them say so instead of failing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.authz import Principal
from bot.storage import models as _models

if TYPE_CHECKING:
    from bot.admin.dashboard import Filters


async def center_zones(session: AsyncSession) -> dict[str, str]:
    """Each center's time zone (`Asia/Jakarta`, `Asia/Makassar`, `Asia/Jayapura`)."""
    from sqlalchemy import select

    from bot.domain.zones import DEFAULT_ZONE
    from bot.storage.models import Center

    return {c: z or DEFAULT_ZONE for c, z in await session.execute(select(Center.code, Center.timezone))}


def within_local_days(moment: Any, center: Any, start: date | None, end: date | None, zones: dict[str, str]) -> Any:
    """A condition: `moment` falls between the first and last day (inclusive) as counted in
    the row's center's own zone — a WIT center's day starts two hours before a WIB one's.
    Rows of an unknown center, or of none, count in the default zone."""
    from sqlalchemy import and_, or_, true

    from bot.domain.zones import DEFAULT_ZONE

    if start is None and end is None:
        return true()

    def window(tz: str) -> list[Any]:
        zone = ZoneInfo(tz)
        parts = []
        if start is not None:
            parts.append(moment >= datetime.combine(start, time.min, zone))
        if end is not None:
            parts.append(moment < datetime.combine(end + timedelta(days=1), time.min, zone))
        return parts

    by_zone: dict[str, list[str]] = {}
    for code, tz in zones.items():
        by_zone.setdefault(tz, []).append(code)
    clauses = [and_(center.in_(codes), *window(tz)) for tz, codes in by_zone.items()]
    clauses.append(and_(or_(center.is_(None), center.not_in(list(zones) or [""])), *window(DEFAULT_ZONE)))
    return or_(*clauses)


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

        def scoped(stmt: Any, moment: Any) -> Any:
            """Rows whose `moment` (made, or scheduled) falls in the period at their own center."""
            stmt = stmt.where(within_local_days(moment, Booking.center_code, f.start, f.end, f.zones))
            if f.center_code:
                stmt = stmt.where(Booking.center_code == f.center_code)
            return scope_to_center(principal, stmt, Booking.center_code)

        made = Booking.created_at
        rows = await session.execute(scoped(select(Booking.center_code, func.count()).group_by(Booking.center_code).order_by(func.count().desc()), made))
        stats.charts["bookings_center"] = ("Bookings made per center", [(c, n) for c, n in rows])
        rows = await session.execute(scoped(select(Booking.service_area, func.count()).group_by(Booking.service_area).order_by(func.count().desc()), made))
        stats.charts["bookings_area"] = ("Bookings made per service area", [(a, n) for a, n in rows])
        stats.figures["bookings_made"] = ("Bookings made in the period", int(await session.scalar(scoped(select(func.count()), made)) or 0))
        counts = dict((s, n) for s, n in await session.execute(scoped(select(Booking.status, func.count()).group_by(Booking.status),
                                                                            Booking.starts_at)))
        stats.figures["bookings_scheduled"] = ("Consultations scheduled in the period", sum(counts.values()))
        seen = counts.get("attended", 0) + counts.get("no_show", 0)
        stats.figures["no_show_rate"] = ("No-show rate", f"{round(100 * counts.get('no_show', 0) / seen)}%" if seen else "–")
    Handoff = model("HandoffRequest")
    if Handoff is not None:
        where = [within_local_days(Handoff.created_at, Handoff.center_code, f.start, f.end, f.zones)]
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
