"""Why a day offers no consultation (bot/domain/closed_days.py)."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.domain.closed_days import holiday_name, nearest_days, why_closed
from bot.domain.slots import Closure, ConsultantSchedule, Window

NOW = datetime.fromisoformat("2026-11-24T09:00:00+07:00")
WEEKDAYS = tuple(Window(d, time(8), time(15)) for d in range(5))
MARKETING = ConsultantSchedule(1, WEEKDAYS, frozenset({"marketing"}))
IT_SATURDAY = ConsultantSchedule(2, (Window(5, time(9), time(12)),), frozenset({"it"}))


def reason(day: date, *, closures: tuple[Closure, ...] = (), area: str | None = "marketing", now: datetime = NOW) -> str | None:
    closed = why_closed(day, schedules=[MARKETING, IT_SATURDAY], closures=closures, tz="Asia/Jakarta", now=now, area=area)
    return closed.reason if closed else None


def test_each_reason() -> None:
    assert reason(date(2026, 11, 25)) is None  # open (its slots may all be taken)
    assert reason(date(2026, 11, 23)) == "past"
    assert reason(date(2026, 12, 14)) == "beyond_horizon"
    assert reason(date(2026, 11, 29)) == "not_open"  # Sunday: nobody holds hours
    assert reason(date(2026, 11, 28)) == "no_area"  # Saturday: only IT does
    assert reason(date(2026, 11, 28), area="it") is None
    assert reason(date(2026, 11, 26), closures=(Closure(date(2026, 11, 26), date(2026, 11, 27)),)) == "closure"
    assert reason(date(2026, 11, 26), closures=(Closure(date(2026, 11, 26), date(2026, 11, 26), consultant_id=1),)) is None
    christmas = datetime.fromisoformat("2026-12-20T09:00:00+07:00")
    assert reason(date(2026, 12, 25), now=christmas) == "holiday"


def test_the_horizon_ends_on_the_last_bookable_day() -> None:
    closed = why_closed(date(2026, 12, 9), schedules=[MARKETING], closures=(), tz="Asia/Jakarta", now=NOW)
    assert closed is not None and closed.last_day == date(2026, 12, 8)
    assert why_closed(date(2026, 12, 8), schedules=[MARKETING], closures=(), tz="Asia/Jakarta", now=NOW) is None


def test_holiday_names_and_nearest_days() -> None:
    assert holiday_name(date(2026, 12, 25), "en") == "Christmas Day"
    assert holiday_name(date(2026, 12, 25), "id") == "Hari Raya Natal"
    assert holiday_name(date(2026, 12, 23), "en") is None
    days = [date(2026, 11, d) for d in (25, 26, 27, 30)] + [date(2026, 12, d) for d in (1, 2, 3)]
    assert nearest_days(days, date(2026, 11, 29), n=3) == [date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)]
