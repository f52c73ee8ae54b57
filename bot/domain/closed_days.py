"""Why a day offers no consultation: what the user hears instead of "no free slots".

A day can be past, beyond the booking horizon, a national holiday, a closure of the whole
center, or a weekday on which nobody of the field holds hours (a weekend, usually). Only
when none of these holds is the day simply full. Pure: the caller passes the schedules
and closures it already has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.slots import DEFAULT_POLICY, Closure, ConsultantSchedule, SlotPolicy, is_national_holiday


@dataclass(frozen=True, slots=True)
class DayClosed:
    """`reason`: "past", "beyond_horizon", "holiday", "closure", "not_open" (nobody holds hours
    that weekday) or "no_area" (nobody of the field does).
    `last_day`: the last day bookings are open (for "beyond_horizon")."""

    reason: str
    last_day: date


def last_bookable_day(now: datetime, tz: str, policy: SlotPolicy = DEFAULT_POLICY) -> date:
    return (now + policy.horizon).astimezone(ZoneInfo(tz)).date()


def why_closed(
    day: date,
    *,
    schedules: Iterable[ConsultantSchedule],
    closures: Iterable[Closure],
    tz: str,
    now: datetime,
    area: str | None = None,
    policy: SlotPolicy = DEFAULT_POLICY,
) -> DayClosed | None:
    """Why `day` (local to `tz`) has no slot for anybody of `area`; None when it is open
    (its slots may all be taken)."""
    last = last_bookable_day(now, tz, policy)
    if day < now.astimezone(ZoneInfo(tz)).date():
        return DayClosed("past", last)
    if day > last:
        return DayClosed("beyond_horizon", last)
    if is_national_holiday(day):
        return DayClosed("holiday", last)
    if any(c.consultant_id is None and c.first_day <= day <= c.last_day for c in closures):
        return DayClosed("closure", last)
    working = [s for s in schedules if any(w.weekday == day.weekday() for w in s.windows)]
    if not working:
        return DayClosed("not_open", last)
    if area is not None and not any(area in s.areas for s in working):
        return DayClosed("no_area", last)
    return None


def holiday_name(day: date, lang: str) -> str | None:
    """The national holiday's name in `lang` ("id" or "en"), or None."""
    import holidays

    names = holidays.country_holidays("ID", years=day.year, language="id" if lang == "id" else "en_US")
    return names.get(day)


def nearest_days(days: Iterable[date], target: date, n: int = 4) -> list[date]:
    """The `n` days closest to `target`, in calendar order."""
    ranked = sorted(days, key=lambda d: (abs((d - target).days), d))
    return sorted(ranked[:n])


__all__ = ["DayClosed", "holiday_name", "last_bookable_day", "nearest_days", "why_closed"]
