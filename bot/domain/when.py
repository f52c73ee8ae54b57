"""Day and time out of a short chat answer: "besok jam 10", "jumat", "27/11 jam 13:30",
"tgl 5 desember jam 9", "jam 2 siang", "tomorrow 10am", "next monday 2pm".

One function, `parse_when`, so the NLU's `datetime` extractor can take its place; the
booking flow prefers that entity when the NLU gives one. No I/O: "today" is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

_WEEKDAYS = {
    "senin": 0, "monday": 0, "mon": 0,
    "selasa": 1, "tuesday": 1, "tue": 1,
    "rabu": 2, "wednesday": 2, "wed": 2,
    "kamis": 3, "thursday": 3, "thu": 3,
    "jumat": 4, "jum'at": 4, "jumaat": 4, "friday": 4, "fri": 4,
    "sabtu": 5, "saturday": 5, "sat": 5,
    "minggu": 6, "ahad": 6, "sunday": 6, "sun": 6,
}
_MONTHS = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "february": 2, "feb": 2, "pebruari": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}
_RELATIVE = {
    "hari ini": 0, "today": 0, "skrg": 0, "sekarang": 0,
    "besok": 1, "besuk": 1, "bsk": 1, "tomorrow": 1, "tmrw": 1,
    "lusa": 2, "day after tomorrow": 2,
}
_PERIOD_HOURS = {"pagi": "morning", "morning": "morning", "siang": "afternoon", "afternoon": "afternoon", "sore": "afternoon", "malam": "evening", "evening": "evening"}

_TIME_WORD = re.compile(r"\b(?:jam|pukul|pkl|at|@)\s*(\d{1,2})(?:\s*[:.]\s*(\d{2}))?\s*(am|pm)?")
_TIME_COLON = re.compile(r"(?<![\d/.-])(\d{1,2})\s*[:.]\s*(\d{2})(?![\d/.-])\s*(am|pm)?")
_TIME_AMPM = re.compile(r"\b(\d{1,2})\s*(am|pm)\b")
_DATE_NUM = re.compile(r"\b(\d{1,2})\s*[/-]\s*(\d{1,2})(?:\s*[/-]\s*(\d{2,4}))?\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATE_WORD = re.compile(r"\b(?:tgl\.?|tanggal|tg|date)?\s*(\d{1,2})\s+([a-z]{3,9})(?:\s+(\d{4}))?\b")
_DATE_WORD_EN = re.compile(r"\b([a-z]{3,9})\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b")
_BARE_HOUR = re.compile(r"^\s*(\d{1,2})\s*$")


@dataclass(frozen=True, slots=True)
class When:
    """What an answer says: a day, a time of day, a part of day, or a `problem`
    ("bad_time" for "jam 25", "bad_date" for "31/02")."""

    day: date | None = None
    time: time | None = None
    period: str | None = None
    problem: str | None = None

    @property
    def empty(self) -> bool:
        return self.day is None and self.time is None and self.period is None and self.problem is None


def _year_for(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            return date(year if year > 99 else 2000 + year, month, day)
        candidate = date(today.year, month, day)
        # "5/1" said in December means next January.
        if candidate < today - timedelta(days=31):
            candidate = date(today.year + 1, month, day)
        return candidate
    except ValueError:
        return None


def parse_when(text: str, today: date, *, expect_time: bool = False) -> When:
    """Read a day and/or a time from `text`, relative to the local date `today`.

    With `expect_time` (answering "what time?") a bare number such as "10" is an hour.
    The result's day may be in the past; the caller decides what to say about it."""
    low = " " + re.sub(r"\s+", " ", (text or "").lower().replace("’", "'")) + " "
    day: date | None = None
    problem: str | None = None

    # --- time of day first, so its digits are not read as a date ---
    hour = minute = None
    ampm = None
    for rx in (_TIME_WORD, _TIME_COLON, _TIME_AMPM):
        m = rx.search(low)
        if m:
            groups = m.groups()
            hour = int(groups[0])
            if rx is _TIME_AMPM:
                minute, ampm = 0, groups[1]
            else:
                minute = int(groups[1]) if groups[1] else 0
                ampm = groups[2]
            low = low[: m.start()] + " " + low[m.end():]
            break
    if hour is None and expect_time:
        m = _BARE_HOUR.match(low)
        if m:
            hour, minute = int(m.group(1)), 0
            low = " "
    period = None
    for word, name in _PERIOD_HOURS.items():
        if re.search(rf"\b{word}\b", low):
            period = name
            break
    the_time: time | None = None
    if hour is not None:
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        elif ampm is None and period in ("afternoon", "evening") and 1 <= hour <= 11:
            hour += 12  # "jam 2 siang", "jam 4 sore", "jam 7 malam"
        if 0 <= hour <= 23 and minute is not None and 0 <= minute <= 59:
            the_time = time(hour, minute)
        else:
            problem = "bad_time"

    # --- the day ---
    for phrase, offset in sorted(_RELATIVE.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(phrase)}\b", low):
            day = today + timedelta(days=offset)
            break
    if day is None:
        m = _DATE_ISO.search(low)
        if m:
            day = _year_for(today, int(m.group(2)), int(m.group(3)), int(m.group(1)))
            problem = problem or (None if day else "bad_date")
    if day is None and problem is None:
        m = _DATE_NUM.search(low)
        if m:
            day = _year_for(today, int(m.group(2)), int(m.group(1)), int(m.group(3)) if m.group(3) else None)
            problem = None if day else "bad_date"
    if day is None and problem is None:
        for rx, d_idx, m_idx in ((_DATE_WORD, 0, 1), (_DATE_WORD_EN, 1, 0)):
            for m in rx.finditer(low):
                month = _MONTHS.get(m.group(m_idx + 1))
                if month is None:
                    continue
                day = _year_for(today, month, int(m.group(d_idx + 1)), int(m.group(3)) if m.group(3) else None)
                problem = None if day else "bad_date"
                break
            if day is not None or problem is not None:
                break
    if day is None and problem is None:
        for word, weekday in _WEEKDAYS.items():
            if re.search(rf"\b{re.escape(word)}\b", low):
                ahead = (weekday - today.weekday()) % 7
                day = today + timedelta(days=ahead or 7)
                if re.search(rf"\b{re.escape(word)} ini\b|\bthis {re.escape(word)}\b", low) and ahead == 0:
                    day = today
                break
    return When(day=day, time=the_time, period=period, problem=problem)
