"""Days and times in chat Indonesian and English: the one grammar of the bot.

"besok jam 10", "senin depan jam 14.00", "lusa pagi", "tgl 5 desember jam 9",
"27/11 jam 13:30", "2026-11-26 09:00", "jam 2 siang", "next monday 2pm", "tomorrow at 10am".

General date parsers read formal text; chat Indonesian loses the hour ("besok jam 10")
or nothing at all ("lusa pagi"). So the phrase is read with a small grammar: one date
part (relative day, weekday, day + month, d/m, ISO date, "tgl 5", "3 hari lagi") and one
time part (jam/pukul N[.:]MM, Nam/pm, HH:MM, pagi/siang/sore/malam), in either order,
joined when they stand within a few words of each other.

`read_mentions` gives every such phrase with its span and its problem, if any. Two
readers sit on it: `parse_when` (below) for answers to the booking flow's "which day?" /
"which time?", and the NLU's `datetime` entity (`bot.nlu.entities.datetime`) for free
sentences. What differs between an answer and a free sentence is a `Reading`, not code.

Rules worth knowing (they are what Indonesian speakers mean):
- "<hari> depan" / "next <day>" and a bare weekday: the first such day after today;
  "minggu depan" / "next week": a week from today.
- "jam 1".."jam 6" with no am/pm or part of day means the afternoon (office hours).
- A part of day moves an hour: "jam 2 siang" 14:00, "jam 11 siang" 11:00, "jam 3 sore"
  15:00, "jam 7 malam" 19:00; alone it stands for pagi 09, siang 13, sore 15, malam 19.
- A day and month already past this year means next year (an answer may keep a recent
  past day so the bot can say it has passed).
No I/O: "today" is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

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
# Abbreviations that are also common words ("ya min" is "yes, admin") count only next to
# "hari"/"next"/"depan", unless a `Reading` lets some of them stand alone.
WEAK_WEEKDAYS = frozenset({"sen", "sel", "rab", "kam", "jum", "sab", "min", "mon", "tue", "tues", "wed", "thu",
                           "thurs", "fri", "sat", "sun"})
ENGLISH_DAY_ABBREVIATIONS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
RELATIVE_DAYS = {
    "hari ini": 0, "today": 0, "sekarang": 0, "skrg": 0, "nanti": 0, "tonight": 0, "this afternoon": 0,
    "this morning": 0, "this evening": 0,
    "besok": 1, "besoknya": 1, "besuk": 1, "bsk": 1, "esok": 1, "tomorrow": 1, "tmrw": 1, "tmr": 1,
    "lusa": 2, "besok lusa": 2, "day after tomorrow": 2, "the day after tomorrow": 2,
}
# "nanti dulu" is "not now"; only "nanti jam 3" / "nanti sore" is a time today
RELATIVE_NEEDS_TIME = frozenset({"nanti"})
# word -> (the hour it stands for alone, the part of day it names)
PARTS_OF_DAY = {
    "pagi": (9, "morning"), "morning": (9, "morning"),
    "siang": (13, "afternoon"), "noon": (12, "afternoon"), "afternoon": (14, "afternoon"), "sore": (15, "afternoon"),
    "petang": (17, "evening"), "malam": (19, "evening"), "evening": (19, "evening"), "night": (19, "evening"),
    "tonight": (19, "evening"),
}
# with an hour, the words that move 1..5 (midday) or 1..11 (later) into the afternoon
_MIDDAY = frozenset({"siang", "afternoon"})
_LATER = frozenset({"sore", "petang", "malam", "evening", "night", "tonight"})
_MORNING = frozenset({"pagi", "morning"})

_WD = "|".join(sorted((re.escape(k) for k in WEEKDAYS), key=len, reverse=True))
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_REL = "|".join(sorted((re.escape(k) for k in RELATIVE_DAYS), key=len, reverse=True))
_POD = "|".join(sorted(PARTS_OF_DAY, key=len, reverse=True))

# Earlier patterns win a span: the more specific reading first.
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2026-11-26
    ("iso", re.compile(r"(?<![\d/\-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d/\-:])")),
    # 27/11, 27 / 11, 27-11-2026, 5/12/26
    ("dm", re.compile(r"(?<![\w/])(?:tgl\.?\s*|tanggal\s+)?(?P<d>\d{1,2})(?:\s*/\s*|-)(?P<m>\d{1,2})(?:[/\-](?P<y>\d{2,4}))?(?![\d/:])")),
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
    # jam 10, pukul 14.00, jam 9:30, jam 3 sore, jm 10, @10
    ("jam", re.compile(rf"(?:\b(?:jam|jm|pukul|pkl\.?|pk\.?|at)\s*|@\s*)(?P<h>\d{{1,2}})(?:[.:](?P<mi>\d{{2}}))?(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.))?(?:\s+(?P<pod>{_POD}))?(?!\s*[/]\d)(?![\d])")),
    # 2pm, 10 am, 10.30pm
    ("ampm", re.compile(r"\b(?P<h>\d{1,2})(?:[.:](?P<mi>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)(?!\w)")),
    # 13:30, 14.00 (a dot only with two-digit minutes and hour 0-23)
    ("hhmm", re.compile(r"(?<![\d/.:])(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?![\d/.:])")),
    # pagi / sore / malam alone
    ("pod", re.compile(rf"\b(?P<pod>{_POD})\b")),
]
_BARE_HOUR = re.compile(r"^\s*(?P<h>\d{1,2})\s*$")
# a time part does not join a date across these
_SEPARATOR = re.compile(r"[,;]|\b(?:atau|or|dan|and)\b")
_JOIN_GAP = 25


@dataclass(frozen=True, slots=True)
class Reading:
    """What differs between reading an answer and reading a free sentence.

    `bare_hour`: a message that is only a number ("10") is an hour — true when the bot
    has just asked "what time?". `loose_abbreviations`: weekday abbreviations that count
    without "hari"/"next"/"depan". `recent_past_days`: a day/month up to this many days
    ago stays in this year (so the bot can say "20/11 has already passed") instead of
    moving to next year."""

    bare_hour: bool = False
    loose_abbreviations: frozenset[str] = frozenset()
    recent_past_days: int = 0


SENTENCE = Reading()
ANSWER = Reading(loose_abbreviations=ENGLISH_DAY_ABBREVIATIONS, recent_past_days=31)
TIME_ANSWER = Reading(bare_hour=True, loose_abbreviations=ENGLISH_DAY_ABBREVIATIONS, recent_past_days=31)


@dataclass(frozen=True, slots=True)
class Mention:
    """One date/time phrase at `text[start:end]`.

    `dated`: it has a date part (`day` is None when that date does not exist).
    `time`: a clock time said in it. `period`/`period_hour`: its part of day ("pagi"
    → "morning", 9). `week`: the date part was "minggu depan"/"next week".
    `problem`: "bad_date" ("31/02") or "bad_time" ("jam 25", "13pm")."""

    start: int
    end: int
    dated: bool = False
    day: date | None = None
    time: time | None = None
    period: str | None = None
    period_hour: int | None = None
    week: bool = False
    problem: str | None = None

    @property
    def clock(self) -> bool:
        """It says a time of day (not only a part of day)."""
        return self.time is not None or self.problem == "bad_time"


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    kind: str
    m: re.Match[str]


def _find(patterns: list[tuple[str, re.Pattern[str]]], text: str, reading: Reading) -> list[_Hit]:
    hits: list[_Hit] = []
    for kind, pat in patterns:
        for m in pat.finditer(text):
            if kind == "weekday" and _weak(m, reading):
                continue  # "ya min": not a Sunday, and leaves its span to others
            if any(h.start < m.end() and m.start() < h.end for h in hits):
                continue  # an earlier (more specific) pattern already read this span
            hits.append(_Hit(m.start(), m.end(), kind, m))
    return sorted(hits, key=lambda h: h.start)


def _weak(m: re.Match[str], reading: Reading) -> bool:
    word = m.group("wd")
    return (word in WEAK_WEEKDAYS and word not in reading.loose_abbreviations
            and not (m.group("next") or m.group("depan") == "depan"))  # "min ini bot ya" is no Sunday


def _day_month(today: date, month: int, day: int, year_s: str | None, reading: Reading) -> date:
    if year_s:
        return date(int(year_s) + (2000 if len(year_s) <= 2 else 0), month, day)
    candidate = date(today.year, month, day)
    if candidate < today - timedelta(days=reading.recent_past_days):
        candidate = date(today.year + 1, month, day)  # "5/1" said in December means next January
    return candidate


def _resolve_date(hit: _Hit, today: date, reading: Reading) -> date | None:
    m, kind = hit.m, hit.kind
    try:
        if kind in ("iso", "dm", "d_mon", "mon_d"):
            month = MONTHS[m.group("mon")] if kind in ("d_mon", "mon_d") else int(m.group("m"))
            return _day_month(today, month, int(m.group("d")), m.group("y"), reading)
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


def _read_time(hit: _Hit) -> tuple[time | None, str | None, int | None, str | None]:
    """(clock time, period, period hour, problem) of a time part."""
    groups = hit.m.groupdict()
    pod = groups.get("pod")
    period, period_hour = (PARTS_OF_DAY[pod][1], PARTS_OF_DAY[pod][0]) if pod else (None, None)
    if hit.kind == "pod":
        return None, period, period_hour, None
    hour = int(groups["h"])
    minute = int(groups.get("mi") or 0)
    ampm = (groups.get("ampm") or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None, period, period_hour, "bad_time"  # "13pm"
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif pod:
        if (pod in _MIDDAY and 1 <= hour <= 5) or (pod in _LATER and 1 <= hour <= 11):
            hour += 12
        elif pod in _MORNING and hour == 12:
            hour = 0
    elif hit.kind in ("jam", "bare") and 1 <= hour <= 6:
        hour += 12  # "jam 2" at an office means 14:00
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None, period, period_hour, "bad_time"
    return time(hour, minute), period, period_hour, None


def _lower(text: str) -> str:
    """Lower case with every offset kept ("İ".lower() is two characters)."""
    low = text.lower().replace("\u2019", "'")
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text).replace("\u2019", "'")


def read_mentions(text: str, today: date, reading: Reading = SENTENCE) -> list[Mention]:
    """Every date/time phrase in `text`, in order, relative to the local date `today`.

    A date part takes the nearest time part within a few words, unless a comma or
    "atau"/"dan" stands between; what is left stands alone. Impossible phrases are
    kept with their `problem`, so each reader decides what to do with them."""
    low = _lower(text or "")
    dates = _find(_DATE_PATTERNS, low, reading)
    times = [h for h in _find(_TIME_PATTERNS, low, reading) if not any(d.start < h.end and h.start < d.end for d in dates)]
    if not dates and not times and reading.bare_hour:
        m = _BARE_HOUR.match(low)
        if m:
            times = [_Hit(m.start("h"), m.end("h"), "bare", m)]
    mentions: list[Mention] = []
    used: set[int] = set()
    for d in dates:
        best, best_gap = None, _JOIN_GAP
        for i, t in enumerate(times):
            if i in used:
                continue
            gap = t.start - d.end if t.start >= d.end else d.start - t.end
            if gap < best_gap and not _SEPARATOR.search(low[min(d.end, t.end) : max(d.start, t.start)]):
                best, best_gap = i, gap
        if best is None and d.kind == "relative" and d.m.group("rel") in RELATIVE_NEEDS_TIME:
            continue
        day = _resolve_date(d, today, reading)
        start, end = d.start, d.end
        at = period = period_hour = problem = None
        if best is not None:
            used.add(best)
            t = times[best]
            at, period, period_hour, problem = _read_time(t)
            start, end = min(start, t.start), max(end, t.end)
        mentions.append(Mention(start, end, dated=True, day=day, time=at, period=period, period_hour=period_hour,
                                week=d.kind == "next_week", problem="bad_date" if day is None else problem))
    for i, t in enumerate(times):
        if i not in used:
            at, period, period_hour, problem = _read_time(t)
            mentions.append(Mention(t.start, t.end, time=at, period=period, period_hour=period_hour, problem=problem))
    return sorted(mentions, key=lambda x: x.start)


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


def parse_when(text: str, today: date, *, expect_time: bool = False) -> When:
    """Read a day and/or a time from a short answer, relative to the local date `today`.

    The first dated phrase gives the day, its own time part or else the first time said
    anywhere gives the time ("besok, jam 10"). With `expect_time` (answering "what
    time?") a bare number such as "10" is an hour. A time alone has no day: the caller
    knows which day was chosen. The day may be in the past; the caller says so."""
    mentions = read_mentions(text, today, TIME_ANSWER if expect_time else ANSWER)
    dated = next((m for m in mentions if m.dated), None)
    timed = dated if dated is not None and dated.clock else next((m for m in mentions if not m.dated and m.clock), None)
    period = next((m.period for m in (timed, dated, *mentions) if m is not None and m.period), None)
    problem = (timed.problem if timed is not None and timed.problem == "bad_time" else None) or \
        (dated.problem if dated is not None and dated.problem == "bad_date" else None)
    return When(day=dated.day if dated else None, time=timed.time if timed else None, period=period, problem=problem)
