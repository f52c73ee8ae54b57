"""Date and time phrases in chat Indonesian and English, resolved against the bot's clock.

"besok jam 10", "senin depan jam 14.00", "lusa pagi", "tgl 5 desember jam 9",
"27/11 jam 13:30", "next monday 2pm", "tomorrow at 10am".

General date parsers read formal text; chat Indonesian loses the hour ("besok jam
10") or nothing at all ("lusa pagi"). So this module reads the phrase itself with a
small grammar: one date part (relative day, weekday, day + month, d/m) and one time
part (jam/pukul N[.:]MM, Nam/pm, HH:MM, pagi/siang/sore/malam), in either order. A
phrase it cannot resolve to a real calendar time ("31 februari", "jam 25") gives no
entity: a wrong date is worse than a question back.

Rules worth knowing (they are what Indonesian speakers mean):
- "<hari> depan" / "next <day>" and a bare weekday: the first such day after today.
- "jam 1".."jam 6" with no am/pm or part of day means the afternoon (office hours).
- "pagi" 09:00, "siang" 13:00, "sore" 15:00, "malam" 19:00 when no hour is given;
  with an hour they move it ("jam 3 sore" = 15:00, "jam 7 malam" = 19:00).
- A day and month already past this year means next year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Jakarta"

MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
WEEKDAYS = {
    "senin": 0, "sen": 0, "monday": 0, "mon": 0,
    "selasa": 1, "sel": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "rabu": 2, "rab": 2, "wednesday": 2, "wed": 2,
    "kamis": 3, "kam": 3, "thursday": 3, "thu": 3, "thurs": 3,
    "jumat": 4, "jum'at": 4, "jumaat": 4, "jum": 4, "friday": 4, "fri": 4,
    "sabtu": 5, "sab": 5, "saturday": 5, "sat": 5,
    "minggu": 6, "ahad": 6, "min": 6, "sunday": 6, "sun": 6,
}
# abbreviations that are also common words only count next to "hari"/"next"/"depan"
_WEAK_WEEKDAYS = {"sen", "sel", "rab", "kam", "jum", "sab", "min", "mon", "tue", "tues", "wed", "thu", "thurs",
                  "fri", "sat", "sun"}
RELATIVE_DAYS = {
    "hari ini": 0, "today": 0, "sekarang": 0, "skrg": 0, "nanti": 0, "tonight": 0, "this afternoon": 0,
    "this morning": 0, "this evening": 0,
    "besok": 1, "besoknya": 1, "bsk": 1, "esok": 1, "tomorrow": 1, "tmrw": 1, "tmr": 1,
    "lusa": 2, "besok lusa": 2, "day after tomorrow": 2, "the day after tomorrow": 2,
}
PARTS_OF_DAY = {
    "pagi": 9, "morning": 9, "siang": 13, "noon": 12, "afternoon": 14, "sore": 15, "petang": 17,
    "malam": 19, "evening": 19, "night": 19, "tonight": 19,
}

_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_REL = "|".join(sorted((re.escape(k) for k in RELATIVE_DAYS), key=len, reverse=True))
_POD = "|".join(sorted(PARTS_OF_DAY, key=len, reverse=True))

_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 27/11, 27-11-2026, 5/12/26
    ("dm", re.compile(r"(?<![\d/])(?:tgl\.?\s*|tanggal\s+)?(?P<d>\d{1,2})[/\-](?P<m>\d{1,2})(?:[/\-](?P<y>\d{2,4}))?(?![\d/:])")),
    # tgl 5 desember (2026), 5 dec, december 5(th)
    ("d_mon", re.compile(rf"(?:(?:tgl\.?|tanggal|tg)\s*)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MON})\.?(?:\s+(?P<y>\d{{4}}))?\b")),
    ("mon_d", re.compile(rf"\b(?P<mon>{_MON})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}}))?")),
    # "tgl 5" alone: day of this or next month
    ("d_only", re.compile(r"\b(?:tgl\.?|tanggal)\s*(?P<d>\d{1,2})\b(?!\s*[/:.]\d)")),
    # senin depan, next monday, hari senin, this friday, minggu depan (next week)
    ("weekday", re.compile(rf"\b(?:(?P<next>next|this|coming|hari)\s+)?(?P<wd>{_WD})\b(?:\s+(?P<depan>depan|ini|besok))?")),
    ("next_week", re.compile(r"\b(?:minggu|pekan)\s+depan\b|\bnext\s+week\b")),
    ("relative", re.compile(rf"\b(?P<rel>{_REL})\b")),
    ("in_days", re.compile(r"\b(?:dalam\s+|in\s+)?(?P<n>\d{1,2})\s+(?:hari|days?)\s+(?:lagi|ke\s*depan|from\s+now)\b|\bin\s+(?P<n2>\d{1,2})\s+days?\b")),
]

_TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # jam 10, pukul 14.00, jam 9:30, jam 3 sore, jm 10
    ("jam", re.compile(rf"\b(?:jam|jm|pukul|pkl\.?|pk\.?|at)\s*(?P<h>\d{{1,2}})(?:[.:](?P<mi>\d{{2}}))?(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.))?(?:\s+(?P<pod>{_POD}))?(?!\s*[/]\d)(?![\d])")),
    # 2pm, 10 am, 10.30pm
    ("ampm", re.compile(r"\b(?P<h>\d{1,2})(?:[.:](?P<mi>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)(?!\w)")),
    # 13:30, 14.00 (a dot only with two-digit minutes and hour 0-23)
    ("hhmm", re.compile(r"(?<![\d/.:])(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?![\d/.:])")),
    # pagi / sore / malam alone
    ("pod", re.compile(rf"\b(?P<pod>{_POD})\b")),
]


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str
    m: re.Match[str]


def _find(patterns: list[tuple[str, re.Pattern[str]]], text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    for kind, pat in patterns:
        for m in pat.finditer(text):
            if any(h.start < m.end() and m.start() < h.end for h in hits):
                continue  # an earlier (more specific) pattern already read this span
            hits.append(_Hit(m.start(), m.end(), kind, m))
    return sorted(hits, key=lambda h: h.start)


def _resolve_date(hit: _Hit, today: date) -> date | None:
    m, kind = hit.m, hit.kind
    try:
        if kind in ("dm", "d_mon", "mon_d"):
            day = int(m.group("d"))
            month = int(m.group("m")) if kind == "dm" else MONTHS[m.group("mon")]
            year_s = m.group("y")
            if year_s:
                year = int(year_s) + (2000 if len(year_s) == 2 else 0)
                return date(year, month, day)
            candidate = date(today.year, month, day)
            if candidate < today:
                candidate = date(today.year + 1, month, day)
            return candidate
        if kind == "d_only":
            day = int(m.group("d"))
            year, month = today.year, today.month
            if day < today.day:
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            return date(year, month, day)
    except ValueError:
        return None  # 31 februari, 13/13
    if kind == "weekday":
        word = m.group("wd")
        if word in _WEAK_WEEKDAYS and not (m.group("next") or m.group("depan")):
            return None
        if word == "minggu" and m.group("depan") == "depan" and not m.group("next"):
            return today + timedelta(days=7)  # "minggu depan" = next week, not next Sunday
        ahead = (WEEKDAYS[word] - today.weekday()) % 7
        if m.group("depan") == "ini" or m.group("next") == "this":
            return today + timedelta(days=ahead)
        return today + timedelta(days=ahead or 7)
    if kind == "next_week":
        return today + timedelta(days=7)
    if kind == "relative":
        return today + timedelta(days=RELATIVE_DAYS[m.group("rel")])
    if kind == "in_days":
        return today + timedelta(days=int(m.group("n") or m.group("n2")))
    return None


def _resolve_time(hit: _Hit) -> tuple[time, str] | None:
    m, kind = hit.m, hit.kind
    groups = m.groupdict()
    pod = groups.get("pod")
    if kind == "pod":
        return time(PARTS_OF_DAY[pod], 0), "hour"
    hour = int(m.group("h"))
    minute = int(groups.get("mi") or 0)
    ampm = (groups.get("ampm") or "").replace(".", "")
    if kind == "hhmm" and (hour > 23 or minute > 59):
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif pod:
        if pod in ("siang", "afternoon") and 1 <= hour <= 5:
            hour += 12
        elif pod in ("sore", "petang", "malam", "evening", "night", "tonight") and 1 <= hour <= 11:
            hour += 12
        elif pod in ("pagi", "morning") and hour == 12:
            hour = 0
    elif kind == "jam" and 1 <= hour <= 6:
        hour += 12  # "jam 2" at an office means 14:00
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute), "minute" if minute else "hour"


def extract_datetimes(text: str, now: datetime, tz: str = DEFAULT_TZ) -> list[dict[str, Any]]:
    """`datetime` entities: value is ISO-8601 with the zone's offset, plus `grain`.

    `now` is the bot's clock (aware); `tz` is the zone the user lives in (WIB, WITA, WIT)."""
    if not text or now.tzinfo is None:
        return []
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    low = text.lower()
    if len(low) > 2000:
        low = low[:2000]
    dates = _find(_DATE_PATTERNS, low)
    times = [h for h in _find(_TIME_PATTERNS, low) if not any(d.start < h.end and h.start < d.end for d in dates)]
    entities: list[dict[str, Any]] = []
    used_times: set[int] = set()
    for d in dates:
        day = _resolve_date(d, local_now.date())
        # the nearest time part within a few words before or after belongs to this date
        best, best_gap = None, 25
        for i, t in enumerate(times):
            if i in used_times:
                continue
            gap = t.start - d.end if t.start >= d.end else d.start - t.end
            between = low[min(d.end, t.end) : max(d.start, t.start)]
            if gap < best_gap and not re.search(r"[,;]|\b(?:atau|or|dan|and)\b", between):
                best, best_gap = i, gap
        if day is None:
            if best is not None:
                used_times.add(best)  # "31/13 jam 10": the hour of an impossible day is no answer either
            continue
        start, end = d.start, d.end
        if best is not None:
            resolved = _resolve_time(times[best])
            if resolved is None:
                continue  # "besok jam 25": say nothing rather than something wrong
            used_times.add(best)
            at, grain = resolved
            start, end = min(start, times[best].start), max(end, times[best].end)
        else:
            at, grain = time(0, 0), "week" if d.kind == "next_week" else "day"
        value = datetime.combine(day, at, tzinfo=zone)
        entities.append(_entity(text, start, end, value, grain))
    for i, t in enumerate(times):
        if i in used_times or t.kind == "pod":
            continue  # "pagi" alone is a greeting more often than a time
        resolved = _resolve_time(t)
        if resolved is None:
            continue
        at, grain = resolved
        value = datetime.combine(local_now.date(), at, tzinfo=zone)
        if value <= local_now:
            value += timedelta(days=1)  # "jam 10" said at 11:00 means tomorrow
        entities.append(_entity(text, t.start, t.end, value, grain))
    return sorted(entities, key=lambda e: e["start"])


def _entity(text: str, start: int, end: int, value: datetime, grain: str) -> dict[str, Any]:
    return {
        "entity": "datetime",
        "value": value.isoformat(),
        "start": start,
        "end": end,
        "text": text[start:end],
        "grain": grain,
        "extractor": "DatetimeExtractor",
    }
