"""Opening hours as centers publish them, e.g. "Mon-Fri 08:00-16:00; Sat 08:00-12:00".

Day names may be English (Mon, Tue, …) or Indonesian (Sen, Sel, Rab, Kam, Jum, Sab, Min);
"Sen-Kam 08.00-15.30, Jum 08.00-11.00" works too. Days not named are closed. Times are local
to the center's zone; showing them always adds the zone's abbreviation (WIB/WITA/WIT).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DAY_NAMES = {
    "mon": 0, "monday": 0, "mo": 0, "sen": 0, "senin": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "tu": 1, "sel": 1, "selasa": 1,
    "wed": 2, "wednesday": 2, "we": 2, "rab": 2, "rabu": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "th": 3, "kam": 3, "kamis": 3,
    "fri": 4, "friday": 4, "fr": 4, "jum": 4, "jumat": 4, "jum'at": 4,
    "sat": 5, "saturday": 5, "sa": 5, "sab": 5, "sabtu": 5,
    "sun": 6, "sunday": 6, "su": 6, "min": 6, "minggu": 6, "ahad": 6,
}
_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ID = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
_TIME = r"(\d{1,2})[:.](\d{2})"
_RULE = re.compile(rf"^\s*([a-z']+)(?:\s*-\s*([a-z']+))?\s+{_TIME}\s*-\s*{_TIME}\s*$", re.IGNORECASE)


class OpeningHoursError(ValueError):
    """The text is not in the "Mon-Fri 08:00-16:00; Sat 08:00-12:00" form; the message says where."""


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Intervals per weekday (0 = Monday), local time of the center."""

    days: tuple[tuple[tuple[time, time], ...], ...]

    @property
    def known(self) -> bool:
        return any(self.days)

    def on(self, weekday: int) -> tuple[tuple[time, time], ...]:
        return self.days[weekday]

    def on_date(self, when: datetime, tz: str) -> tuple[date, tuple[tuple[time, time], ...]]:
        """The local date at `when` (aware) in zone `tz`, and that day's intervals."""
        local = when.astimezone(ZoneInfo(tz))
        return local.date(), self.days[local.weekday()]

    def is_open(self, when: datetime, tz: str) -> bool:
        local = when.astimezone(ZoneInfo(tz))
        t = local.time().replace(tzinfo=None)
        return any(start <= t < end for start, end in self.days[local.weekday()])

    def to_text(self) -> str:
        """The canonical English form, the one stored and exported."""
        parts: list[str] = []
        for i, j in day_runs(self.days):
            span = _EN[i] if i == j else f"{_EN[i]}-{_EN[j]}"
            parts.extend(f"{span} {s:%H:%M}-{e:%H:%M}" for s, e in self.days[i])
        return "; ".join(parts)


CLOSED = OpeningHours(days=((),) * 7)


def parse_opening_hours(text: str | None) -> OpeningHours:
    """Parse published hours; empty text means "not known" (not "closed")."""
    if text is None or not text.strip():
        return CLOSED
    days: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for raw in re.split(r"[;,\n]", text):
        if not raw.strip():
            continue
        m = _RULE.match(raw)
        if not m:
            raise OpeningHoursError(f"cannot read {raw.strip()!r}; write it like 'Mon-Fri 08:00-16:00'")
        first, last = m.group(1).lower(), (m.group(2) or m.group(1)).lower()
        if first not in DAY_NAMES or last not in DAY_NAMES:
            bad = first if first not in DAY_NAMES else last
            raise OpeningHoursError(f"unknown day {bad!r} in {raw.strip()!r}; use Mon..Sun or Sen..Min")
        try:
            start = time(int(m.group(3)), int(m.group(4)))
            end = time(int(m.group(5)), int(m.group(6)))
        except ValueError:
            raise OpeningHoursError(f"not a time of day in {raw.strip()!r}") from None
        if end <= start:
            raise OpeningHoursError(f"closing time is not after opening time in {raw.strip()!r}")
        a, b = DAY_NAMES[first], DAY_NAMES[last]
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        for d in span:
            days[d].append((start, end))
    return OpeningHours(days=tuple(tuple(sorted(d)) for d in days))


def format_intervals(intervals: tuple[tuple[time, time], ...], lang: str, zone_abbr: str) -> str:
    """`08.00–16.00 WITA` (id) / `08:00–16:00 WITA` (en); several intervals joined by a comma."""
    sep = "." if lang == "id" else ":"
    spans = [f"{s.hour:02d}{sep}{s.minute:02d}–{e.hour:02d}{sep}{e.minute:02d}" for s, e in intervals]
    return f"{', '.join(spans)} {zone_abbr}".strip()


def day_name(weekday: int, lang: str) -> str:
    names_id = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
    names_en = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return (names_id if lang == "id" else names_en)[weekday]


def format_week(hours: OpeningHours, lang: str, zone_abbr: str) -> list[str]:
    """One line per run of days with the same hours, e.g. `Sen–Jum: 08.00–16.00 WIB`."""
    short = _ID if lang == "id" else _EN
    lines: list[str] = []
    for i, j in day_runs(hours.days):
        span = short[i] if i == j else f"{short[i]}–{short[j]}"
        lines.append(f"{span}: {format_intervals(hours.days[i], lang, zone_abbr)}")
    return lines


def day_runs(days: Sequence[Sequence[Any]]) -> list[tuple[int, int]]:
    """(first, last) weekday of each run of consecutive open days with the same hours."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < 7:
        if not days[i]:
            i += 1
            continue
        j = i
        while j + 1 < 7 and days[j + 1] == days[i]:
            j += 1
        runs.append((i, j))
        i = j + 1
    return runs
