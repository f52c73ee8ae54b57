"""Free consultation slots from weekly availability, closures and public holidays.

Pure rules, no I/O: everything is computed from plain values, in the center's own
time zone (WIB/WITA/WIT), and every datetime that leaves this module is aware UTC.

A consultant works in weekly windows ("Mon-Fri 08:00-12:00, 13:00-15:00": the gap is
the lunch break). Slots of `duration` are laid from the start of each window, one every
`duration + buffer`, and must end inside the window. A slot is offered when

- its day is not an Indonesian national public holiday (the `holidays` package),
- its day is not closed for the center or on leave for the consultant,
- it starts at least `min_notice` after now and within `horizon` days,
- no active booking or someone else's hold overlaps it (buffer included).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.domain.areas import SERVICE_AREAS



class AvailabilityError(ValueError):
    """A weekly availability text is not in the "Mon-Fri 08:00-12:00, 13:00-15:00" form."""


@dataclass(frozen=True, slots=True)
class Window:
    """One working window of a consultant: weekday (0 = Monday), local start and end."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise AvailabilityError(f"weekday {self.weekday} is not 0 (Monday) .. 6 (Sunday)")
        if self.end <= self.start:
            raise AvailabilityError(f"a window must end after it starts ({self.start:%H:%M}-{self.end:%H:%M})")


@dataclass(frozen=True, slots=True)
class Closure:
    """Days without consultations, both ends included. `consultant_id` None closes the
    whole center (a center holiday); otherwise it is one consultant's leave."""

    first_day: date
    last_day: date
    consultant_id: int | None = None

    def covers(self, day: date, consultant_id: int) -> bool:
        return self.first_day <= day <= self.last_day and (self.consultant_id is None or self.consultant_id == consultant_id)


@dataclass(frozen=True, slots=True)
class SlotPolicy:
    duration: timedelta = timedelta(minutes=60)
    buffer: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=14)

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("a slot needs a positive duration")
        if self.buffer < timedelta(0) or self.min_notice < timedelta(0) or self.horizon <= timedelta(0):
            raise ValueError("buffer and minimum notice must not be negative, the horizon must be positive")


DEFAULT_POLICY = SlotPolicy()


@dataclass(frozen=True, slots=True)
class ConsultantSchedule:
    consultant_id: int
    windows: tuple[Window, ...]
    areas: frozenset[str] = frozenset(SERVICE_AREAS)


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    starts_at: datetime
    consultant_id: int
    ends_at: datetime = field(compare=False)


# --- holidays ---------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def national_holidays(year: int) -> frozenset[date]:
    """Indonesia's national public holidays (and joint leave days the package lists) of a year."""
    import holidays

    return frozenset(holidays.country_holidays("ID", years=year).keys())


def is_national_holiday(day: date) -> bool:
    return day in national_holidays(day.year)


# --- availability text ------------------------------------------------------------------------

DAY_NAMES = {
    "mon": 0, "monday": 0, "sen": 0, "senin": 0,
    "tue": 1, "tuesday": 1, "sel": 1, "selasa": 1,
    "wed": 2, "wednesday": 2, "rab": 2, "rabu": 2,
    "thu": 3, "thursday": 3, "kam": 3, "kamis": 3,
    "fri": 4, "friday": 4, "jum": 4, "jumat": 4, "jum'at": 4,
    "sat": 5, "saturday": 5, "sab": 5, "sabtu": 5,
    "sun": 6, "sunday": 6, "min": 6, "minggu": 6,
}
_WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_RANGE = re.compile(r"^(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})$")
_DAYS = re.compile(r"^([a-z']+)(?:\s*-\s*([a-z']+))?\s+(.*)$", re.IGNORECASE)


def _clock(h: str, m: str, text: str) -> time:
    hour, minute = int(h), int(m)
    if hour == 24 and minute == 0:
        return time(23, 59)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise AvailabilityError(f"{text!r}: {hour:02d}:{minute:02d} is not a time of day")
    return time(hour, minute)


def parse_availability(text: str) -> tuple[Window, ...]:
    """`"Mon-Fri 08:00-12:00, 13:00-15:00; Sat 08:00-11:00"` → windows (English or Indonesian day names)."""
    windows: list[Window] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        m = _DAYS.match(part)
        if not m:
            raise AvailabilityError(f"{part!r}: expected days then times, e.g. 'Mon-Fri 08:00-15:00'")
        first, last, ranges = m.group(1).lower(), (m.group(2) or m.group(1)).lower(), m.group(3)
        if first not in DAY_NAMES or last not in DAY_NAMES:
            raise AvailabilityError(f"{part!r}: unknown day name (use Mon..Sun or Sen..Min)")
        a, b = DAY_NAMES[first], DAY_NAMES[last]
        days = list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
        for rng in (r.strip() for r in ranges.split(",")):
            t = _RANGE.match(rng)
            if not t:
                raise AvailabilityError(f"{rng!r}: expected a time range such as 08:00-12:00")
            start, end = _clock(t.group(1), t.group(2), part), _clock(t.group(3), t.group(4), part)
            windows += [Window(d, start, end) for d in days]
    if not windows:
        raise AvailabilityError("no working hours given")
    return tuple(sorted(windows, key=lambda w: (w.weekday, w.start)))


def format_availability(windows: Iterable[Window]) -> str:
    """Windows back to the compact text form, one `;`-separated group per weekday."""
    by_day: dict[int, list[str]] = {}
    for w in sorted(windows, key=lambda w: (w.weekday, w.start)):
        by_day.setdefault(w.weekday, []).append(f"{w.start:%H:%M}-{w.end:%H:%M}")
    return "; ".join(f"{_WEEKDAY_EN[d]} {', '.join(r)}" for d, r in sorted(by_day.items()))


# --- slot generation --------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


def _overlaps(busy: Sequence[Interval], start: datetime, end: datetime) -> bool:
    """`busy` is sorted by start; true when any interval meets [start, end)."""
    if not busy:
        return False
    i = bisect_left(busy, (start,))
    # The interval just before may reach into ours; check it and the ones that start inside.
    if i > 0 and busy[i - 1][1] > start:
        return True
    while i < len(busy) and busy[i][0] < end:
        if busy[i][1] > start:
            return True
        i += 1
    return False


def generate_slots(
    schedules: Iterable[ConsultantSchedule],
    *,
    tz: str,
    now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY,
    closures: Iterable[Closure] = (),
    busy: Mapping[int, Iterable[Interval]] | None = None,
    area: str | None = None,
    day: date | None = None,
) -> list[Slot]:
    """Every free slot of the given consultants, sorted by start then consultant.

    `busy` maps a consultant to intervals already taken (active bookings, other people's
    holds). `area` keeps consultants who cover it; `day` (local to `tz`) limits to one day.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    zone = ZoneInfo(tz)
    earliest = now + policy.min_notice
    latest = now + policy.horizon
    first_day = now.astimezone(zone).date()
    last_day = latest.astimezone(zone).date()
    if day is not None:
        if day < first_day or day > last_day:
            return []
        first_day = last_day = day
    closures = tuple(closures)
    buffer = policy.buffer
    step = policy.duration + buffer
    out: list[Slot] = []
    busy_sorted = {cid: sorted(iv) for cid, iv in (busy or {}).items()}
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    days = [d for d in days if not is_national_holiday(d)]
    for schedule in schedules:
        if area is not None and area not in schedule.areas:
            continue
        cid = schedule.consultant_id
        taken = busy_sorted.get(cid, [])
        by_weekday: dict[int, list[Window]] = {}
        for w in schedule.windows:
            by_weekday.setdefault(w.weekday, []).append(w)
        for d in days:
            windows = by_weekday.get(d.weekday())
            if not windows or any(c.covers(d, cid) for c in closures):
                continue
            for w in windows:
                start = datetime.combine(d, w.start, tzinfo=zone).astimezone(UTC)
                window_end = datetime.combine(d, w.end, tzinfo=zone).astimezone(UTC)
                while start + policy.duration <= window_end:
                    end = start + policy.duration
                    if earliest <= start <= latest and not _overlaps(taken, start - buffer, end + buffer):
                        out.append(Slot(start, cid, end))
                    start += step
    out.sort()
    return out


def consultants_offering(
    schedules: Iterable[ConsultantSchedule],
    starts_at: datetime,
    *,
    tz: str,
    now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY,
    closures: Iterable[Closure] = (),
    area: str | None = None,
) -> list[int]:
    """The consultants (ascending ids) for whom `starts_at` is a slot, nobody's bookings
    considered: what `generate_slots(..., day=that day)` would offer at that start, without
    laying out the whole day. Check `busy` with `slot_is_free`."""
    if now.tzinfo is None or starts_at.tzinfo is None:
        raise ValueError("now and starts_at must be aware datetimes")
    # Inside [earliest, latest] also puts the day inside generate_slots' first..last day.
    if not now + policy.min_notice <= starts_at <= now + policy.horizon:
        return []
    zone = ZoneInfo(tz)
    day = starts_at.astimezone(zone).date()
    if is_national_holiday(day):
        return []
    weekday, step, closures = day.weekday(), policy.duration + policy.buffer, tuple(closures)
    out: set[int] = set()
    for schedule in schedules:
        cid = schedule.consultant_id
        if (area is not None and area not in schedule.areas) or cid in out:
            continue
        for w in schedule.windows:
            if w.weekday != weekday:
                continue
            start = datetime.combine(day, w.start, tzinfo=zone)
            end = datetime.combine(day, w.end, tzinfo=zone)
            offset = starts_at - start
            if offset >= timedelta(0) and offset % step == timedelta(0) and starts_at + policy.duration <= end:
                if not any(c.covers(day, cid) for c in closures):
                    out.add(cid)
                break
    return sorted(out)


def slot_is_free(busy: Iterable[Interval], starts_at: datetime, policy: SlotPolicy = DEFAULT_POLICY) -> bool:
    """No interval of `busy` meets the slot at `starts_at`, buffer included (as in `generate_slots`)."""
    return not _overlaps(sorted(busy), starts_at - policy.buffer, starts_at + policy.duration + policy.buffer)


def slot_is_offered(
    schedule: ConsultantSchedule,
    starts_at: datetime,
    *,
    tz: str,
    now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY,
    closures: Iterable[Closure] = (),
    busy: Iterable[Interval] = (),
) -> bool:
    """True when `starts_at` is one of the consultant's free slots right now."""
    local_day = starts_at.astimezone(ZoneInfo(tz)).date()
    slots = generate_slots(
        [schedule], tz=tz, now=now, policy=policy, closures=closures, busy={schedule.consultant_id: busy}, day=local_day
    )
    return any(s.starts_at == starts_at for s in slots)


def free_times(slots: Iterable[Slot]) -> dict[datetime, list[int]]:
    """Start time → the consultants free then, in start order (what the user picks from)."""
    out: dict[datetime, list[int]] = {}
    for s in slots:
        out.setdefault(s.starts_at, []).append(s.consultant_id)
    return out


def days_with_slots(slots: Iterable[Slot], tz: str) -> list[date]:
    zone = ZoneInfo(tz)
    return sorted({s.starts_at.astimezone(zone).date() for s in slots})


def nearest_times(slots: Iterable[Slot], target: datetime, n: int = 3) -> list[datetime]:
    """The `n` free start times closest to `target` (the polite answer to a lost race)."""
    starts = sorted(free_times(slots), key=lambda s: (abs((s - target).total_seconds()), s))
    return sorted(starts[:n])


def weekday_name_en(weekday: int) -> str:
    return _WEEKDAY_EN[weekday]
