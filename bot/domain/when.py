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
    "november": 11, "nov": 11, "nopember": 11, "nop": 11, "novemb": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12, "desmber": 12, "desembr": 12, "dsember": 12,
}
WEEKDAYS = {
    "senin": 0, "sen": 0, "monday": 0, "mon": 0,
    "selasa": 1, "sel": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "rabu": 2, "rab": 2, "wednesday": 2, "wed": 2,
    "kamis": 3, "kam": 3, "thursday": 3, "thu": 3, "thurs": 3,
    "jumat": 4, "jum'at": 4, "jumaat": 4, "jum": 4, "friday": 4, "fri": 4,
    "sabtu": 5, "sab": 5, "saturday": 5, "sat": 5,
    "minggu": 6, "ahad": 6, "min": 6, "sunday": 6, "sun": 6,
    # typos and Javanese names owners type
    "snin": 0, "sennin": 0, "slasa": 1, "selsa": 1, "rebo": 2, "rabo": 2, "kemis": 3, "kamist": 3,
    "jumaat": 4, "jmat": 4, "jumad": 4, "sabru": 5, "sbtu": 5, "thursdya": 3, "thrusday": 3, "wednesady": 2,
    "wensday": 2, "tuseday": 1, "fryday": 4, "firday": 4, "mondya": 0,
}
# Abbreviations that are also common words ("ya min" is "yes, admin") count only next to
# "hari"/"next"/"depan", unless a `Reading` lets some of them stand alone.
WEAK_WEEKDAYS = frozenset({"sen", "sel", "rab", "kam", "jum", "sab", "min", "mon", "tue", "tues", "wed", "thu",
                           "thurs", "fri", "sat", "sun"})
ENGLISH_DAY_ABBREVIATIONS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
RELATIVE_DAYS = {
    "hari ini": 0, "today": 0, "sekarang": 0, "skrg": 0, "nanti": 0, "tonight": 0, "this afternoon": 0,
    "this morning": 0, "this evening": 0,
    "besok": 1, "besoknya": 1, "besuk": 1, "bsk": 1, "bsok": 1, "besk": 1, "bseok": 1, "esok": 1, "esok hari": 1,
    "tomorrow": 1, "tmrw": 1, "tmr": 1, "tomorow": 1, "tommorow": 1, "tommorrow": 1, "tomorrw": 1,
    "lusa": 2, "besok lusa": 2, "lsa": 2, "day after tomorrow": 2, "the day after tomorrow": 2,
}
# relative days that also name a part of day
_RELATIVE_PERIOD = {"tonight": "tonight", "this afternoon": "afternoon", "this morning": "morning", "this evening": "evening"}
# "nanti dulu" is "not now"; only "nanti jam 3" / "nanti sore" is a time today
RELATIVE_NEEDS_TIME = frozenset({"nanti"})
# word -> (the hour it stands for alone, the part of day it names)
PARTS_OF_DAY = {
    "pagi": (9, "morning"), "pagian": (9, "morning"), "pgi": (9, "morning"), "morning": (9, "morning"),
    "siang": (13, "midday"), "siangan": (13, "midday"), "lunchtime": (12, "midday"), "around noon": (12, "midday"),
    "afternoon": (14, "afternoon"), "sore": (15, "afternoon"), "sorean": (15, "afternoon"), "sore2": (15, "afternoon"),
    "after lunch": (13, "afternoon"), "abis makan siang": (13, "afternoon"), "habis makan siang": (13, "afternoon"),
    "setelah makan siang": (13, "afternoon"), "sesudah makan siang": (13, "afternoon"), "abis lunch": (13, "afternoon"),
    "habis lunch": (13, "afternoon"), "abis dzuhur": (13, "afternoon"), "habis dzuhur": (13, "afternoon"),
    "ba'da dzuhur": (13, "afternoon"), "bakda dzuhur": (13, "afternoon"), "habis zuhur": (13, "afternoon"),
    "abis zuhur": (13, "afternoon"), "abis istirahat": (13, "afternoon"),
    "petang": (17, "evening"), "malam": (19, "evening"), "malem": (19, "evening"), "mlm": (19, "evening"),
    "evening": (19, "evening"), "night": (19, "evening"), "tonight": (19, "evening"),
}
# The local hours [from, to) a part of day covers when it filters the times offered.
PERIOD_HOURS = {"morning": (0, 12), "midday": (11, 15), "afternoon": (12, 18), "evening": (17, 24)}
# with an hour, the words that move 1..5 (midday) or 1..11 (later) into the afternoon
_MIDDAY = frozenset({"siang", "siangan", "afternoon", "lunchtime", "around noon"})
_LATER = frozenset({"sore", "sorean", "sore2", "petang", "malam", "malem", "mlm", "evening", "night", "tonight"})
_MORNING = frozenset({"pagi", "pagian", "pgi", "morning"})

_WD = "|".join(sorted((re.escape(k) for k in WEEKDAYS), key=len, reverse=True))
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_REL = "|".join(sorted((re.escape(k) for k in RELATIVE_DAYS), key=len, reverse=True))
_POD = "|".join(sorted((re.escape(k) for k in PARTS_OF_DAY), key=len, reverse=True))
_TGL = r"(?:tgl|tggl|tangal|tanggal|tangga|tg)\.?"
_DEPAN = r"(?:depan|dpn|dpan)"
_WEEK = r"(?:minggu|mgg|mg|pekan|minggu2)"
_ORD = r"(?:st|nd|rd|th)"

# Earlier patterns win a span: the more specific reading first.
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2026-11-26
    ("iso", re.compile(r"(?<![\d/\-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d/\-:])")),
    # 27/11, 27 / 11, 27-11-2026, 5/12/26 (12/15: only month/day can be meant)
    ("dm", re.compile(rf"(?<![\w/])(?:{_TGL}\s*)?(?P<d>\d{{1,2}})(?:\s*/\s*|-)(?P<m>\d{{1,2}})(?:[/\-](?P<y>\d{{2,4}}))?(?![\d/:])")),
    # tgl 5 desember (2026), 5 dec, 15th of december, december 5(th)
    ("d_mon", re.compile(rf"(?:(?:{_TGL}|the)\s*)?(?P<d>\d{{1,2}}){_ORD}?\s+(?:of\s+)?(?P<mon>{_MON})\.?(?:\s+(?P<y>\d{{4}}))?\b")),
    ("mon_d", re.compile(rf"\b(?P<mon>{_MON})\.?\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}?\b(?:,?\s+(?P<y>\d{{4}}))?")),
    # "tgl 5", "the 17th", "17th", "tgl 5 bulan depan": day of this or next month
    ("d_only", re.compile(rf"(?:\b{_TGL}\s*(?P<d>\d{{1,2}})\b|\b(?:the\s+)?(?P<d2>\d{{1,2}}){_ORD}\b)(?!\s*[/:.]\d)"
                          r"(?:\s+(?P<nm>(?:bulan|bln)\s+(?:depan|dpn)|next\s+month))?")),
    # minggu depan senin, senin minggu depan, next week monday, monday next week
    ("week_wd", re.compile(rf"\b(?:{_WEEK}\s+(?:{_DEPAN}|ini)|(?:next|this)\s+week)\s*,?\s*(?:(?:hari|on)\s+)?(?P<wd>{_WD})\b")),
    ("wd_week", re.compile(rf"\b(?:hari\s+)?(?P<wd>{_WD})\s+(?:(?:of|in)\s+)?(?:{_WEEK}\s+(?:{_DEPAN}|ini)|(?:next|this)\s+week)\b")),
    # akhir pekan, weekend, next weekend: Saturday or Sunday
    ("weekend", re.compile(rf"\b(?:(?P<next>next|this|coming)\s+)?(?:akhir\s+(?:pekan|minggu)|weekend|wiken|wikend|week\s+end)(?:\s+(?P<depan>{_DEPAN}|ini))?\b")),
    # senin depan, next monday, hari senin, this friday
    ("weekday", re.compile(rf"\b(?:(?P<next>next|this|coming|hari)\s+)?(?P<wd>{_WD})\b(?:\s+(?P<depan>{_DEPAN}|ini|besok))?")),
    # minggu depan / next week / minggu ini / this week: a week, not one day
    ("next_week", re.compile(rf"\b{_WEEK}\s+{_DEPAN}\b|\bnext\s+week\b")),
    ("this_week", re.compile(rf"\b{_WEEK}\s+ini\b|\bthis\s+week\b")),
    ("relative", re.compile(rf"\b(?P<rel>{_REL})\b")),
    ("in_days", re.compile(r"\b(?:dalam\s+|in\s+)?(?P<n>\d{1,2})\s+(?:hari|days?)\s+(?:lagi|ke\s*depan|from\s+now)\b"
                           r"|\b(?:in|dalam)\s+(?P<n2>\d{1,2})\s+(?:days?|hari)\b")),
]
_JAM = r"(?:jam|jm|jem|pukul|pkl\.?|pk\.?|at|around|sekitar)"
_HALF = r"(?:setengah|stengah|stgh|setgh|sthg|setenga)"
_AMPM = r"(?:am|pm|a\.m\.|p\.m\.)"

_TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # setengah 11 (10.30), jam setengah 3 sore, half past 10
    ("half", re.compile(rf"(?:\b{_JAM}\s*)?\b{_HALF}\s*(?P<h>\d{{1,2}})\b(?!\s*[/:.]\d)(?:\s*(?P<ampm>{_AMPM}))?(?:\s+(?P<pod>{_POD}))?")),
    ("half_past", re.compile(rf"\b(?P<q>half|quarter)\s+(?P<op>past|to)\s+(?P<h>\d{{1,2}})\b(?:\s*(?P<ampm>{_AMPM}))?(?:\s+(?:in\s+the\s+)?(?P<pod>{_POD}))?")),
    # jam 2 lewat 15, jam 10 kurang seperempat, jam 9 lebih 15 menit
    ("lewat", re.compile(rf"\b{_JAM}\s*(?P<h>\d{{1,2}})\s+(?P<op>lewat|lwt|lebih|lbh|kurang|krg)\s+(?P<q>seperempat|\d{{1,2}})(?:\s*(?:menit|mnt|mnit))?\b(?:\s+(?P<pod>{_POD}))?")),
    # malam jam 7, sore jam 3: the part of day said first
    ("pod_jam", re.compile(rf"\b(?P<pod>{_POD})\s+{_JAM}\s*(?P<h>\d{{1,2}})(?:[.:](?P<mi>\d{{2}}))?(?![\d])")),
    # jam 10, pukul 14.00, jam 9:30, jam 3 sore, jm 10, @10, jam 10an
    ("jam", re.compile(rf"(?:\b{_JAM}\s*|@\s*)(?P<h>\d{{1,2}})(?:[.:](?P<mi>\d{{2}}))?(?:an)?(?:\s*(?P<ampm>{_AMPM}))?(?:\s*o'?clock)?(?:\s+(?:in\s+the\s+)?(?P<pod>{_POD}))?(?!\s*[/]\d)(?![\d])")),
    # 2pm, 10 am, 10.30pm
    ("ampm", re.compile(rf"\b(?P<h>\d{{1,2}})(?:[.:](?P<mi>\d{{2}}))?\s*(?P<ampm>{_AMPM})(?!\w)")),
    # 10 o'clock
    ("oclock", re.compile(r"\b(?P<h>\d{1,2})\s*o'?clock\b")),
    # 13:30, 14.00 (a dot only with two-digit minutes and hour 0-23), 10.30 pagi
    ("hhmm", re.compile(rf"(?<![\d/.:])(?P<h>\d{{1,2}})[:.](?P<mi>\d{{2}})(?![\d/.:])(?:\s+(?P<pod>{_POD})\b)?")),
    # 10 pagi, 2 siang (an hour right before a part of day)
    ("num_pod", re.compile(rf"(?<![\d/.:])\b(?P<h>\d{{1,2}})\s+(?:in\s+the\s+)?(?P<pod>{_POD})\b")),
    # noon, tengah hari: twelve o'clock
    ("noon", re.compile(r"\b(?:noon|midday|tengah\s+hari|jam\s+12\s+siang)\b")),
    # pagi / sore / malam alone
    ("pod", re.compile(rf"\b(?P<pod>{_POD})\b")),
]
_BARE_HOUR = re.compile(r"^\s*(?P<h>\d{1,2})\s*$")
# a time part does not join a date across these
_SEPARATOR = re.compile(r"[,;]|\b(?:atau|or|dan|and)\b")
_JOIN_GAP = 25
# what may stand between two date parts that name one day ("senin, tgl 14", "Thursday the 17th")
_DATE_GLUE = re.compile(r"^[\s,()\-]*(?:(?:hari|yang|yg|on|ini)\s*)?[\s,()\-]*$")
_NAMED_DAY = frozenset({"iso", "dm", "d_mon", "mon_d", "d_only"})
_SAID_DAY = frozenset({"weekday", "week_wd", "wd_week", "relative", "in_days"})


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

    `dated`: it has a date part (`day` is None when that date does not exist, or when the
    words allow several days: then `choices` holds them). `time`: a clock time said in it.
    `period`/`period_hour`: its part of day ("pagi" → "morning", 9). `week`: the date part
    named a week ("minggu depan"), `day` is then a day in it. `problem`: "bad_date"
    ("31/02"), "bad_time" ("jam 25", "13pm"), "ambiguous" ("rabu depan" said on a Tuesday:
    tomorrow or the week after) or "conflict" ("senin tgl 15" when the 15th is a Tuesday);
    the last two carry the readings in `choices`, for the caller to ask."""

    start: int
    end: int
    dated: bool = False
    day: date | None = None
    time: time | None = None
    period: str | None = None
    period_hour: int | None = None
    week: bool = False
    problem: str | None = None
    choices: tuple[date, ...] = ()

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


@dataclass(frozen=True, slots=True)
class _Day:
    """What a date part says: one day, or several readings (`problem` says why)."""

    day: date | None
    choices: tuple[date, ...] = ()
    problem: str | None = None


def _find(patterns: list[tuple[str, re.Pattern[str]]], text: str, reading: Reading,
          taken: list[_Hit] | None = None) -> list[_Hit]:
    hits: list[_Hit] = list(taken or [])
    own: list[_Hit] = []
    for kind, pat in patterns:
        for m in pat.finditer(text):
            if kind == "weekday" and (_weak(m, reading) or _names_a_week(m)):
                continue  # "ya min": not a Sunday, and leaves its span to others
            if any(h.start < m.end() and m.start() < h.end for h in hits):
                continue  # an earlier (more specific) pattern already read this span
            hit = _Hit(m.start(), m.end(), kind, m)
            hits.append(hit)
            own.append(hit)
    return sorted(own, key=lambda h: h.start)


def _names_a_week(m: re.Match[str]) -> bool:
    """"minggu depan"/"minggu ini" is a week, not a Sunday ("hari minggu depan" is a Sunday)."""
    return m.group("wd") == "minggu" and m.group("depan") in ("depan", "dpn", "dpan", "ini") and not m.group("next")


def _weak(m: re.Match[str], reading: Reading) -> bool:
    word = m.group("wd")
    return (word in WEAK_WEEKDAYS and word not in reading.loose_abbreviations
            and not (m.group("next") or m.group("depan") in ("depan", "dpn", "dpan")))  # "min ini bot ya" is no Sunday


def _day_month(today: date, month: int, day: int, year_s: str | None, reading: Reading) -> date:
    if year_s:
        return date(int(year_s) + (2000 if len(year_s) <= 2 else 0), month, day)
    candidate = date(today.year, month, day)
    if candidate < today - timedelta(days=reading.recent_past_days):
        candidate = date(today.year + 1, month, day)  # "5/1" said in December means next January
    return candidate


def _next_day_of_month(today: date, day: int, next_month: bool) -> date:
    """The next `day` of a month from today (today counts); a month without that day is skipped
    ("tgl 31" said in November is 31 December); ValueError when no month has it."""
    if not 1 <= day <= 31:
        raise ValueError(day)
    year, month = today.year, today.month
    if next_month:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif day < today.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for _ in range(12):
        try:
            return date(year, month, day)
        except ValueError:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError(day)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _resolve_date(hit: _Hit, today: date, reading: Reading) -> _Day:
    m, kind = hit.m, hit.kind
    try:
        if kind in ("iso", "dm", "d_mon", "mon_d"):
            month = MONTHS[m.group("mon")] if kind in ("d_mon", "mon_d") else int(m.group("m"))
            day = int(m.group("d"))
            if kind == "dm" and month > 12 and day <= 12 and not m.group("y"):
                day, month = month, day  # "12/15": only month/day can be meant
            return _Day(_day_month(today, month, day, m.group("y"), reading))
        if kind == "d_only":
            return _Day(_next_day_of_month(today, int(m.group("d") or m.group("d2")), bool(m.group("nm"))))
    except ValueError:
        return _Day(None, problem="bad_date")  # 31 februari, 13/13
    if kind in ("week_wd", "wd_week"):
        text = m.group(0)
        monday = _week_start(today) + (timedelta(0) if re.search(r"\b(?:ini|this)\b", text) else timedelta(days=7))
        return _Day(monday + timedelta(days=WEEKDAYS[m.group("wd")]))
    if kind == "weekend":
        later = bool(m.group("depan") in ("depan", "dpn", "dpan") or m.group("next") == "next")
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today - timedelta(days=1)
        if later:
            saturday += timedelta(days=7)
        days = tuple(d for d in (saturday, saturday + timedelta(days=1)) if d >= today)
        return _Day(None, days, "ambiguous") if len(days) > 1 else _Day(days[0])
    if kind == "weekday":
        word, depan, prefix = m.group("wd"), m.group("depan"), m.group("next")
        ahead = (WEEKDAYS[word] - today.weekday()) % 7
        if depan == "ini" or prefix in ("this", "coming"):
            return _Day(today + timedelta(days=ahead))
        nearest = today + timedelta(days=ahead or 7)
        if depan in ("depan", "dpn", "dpan") or prefix == "next":
            # "rabu depan" said on a Tuesday: tomorrow, or the Wednesday of next week?
            if _week_start(nearest) == _week_start(today):
                return _Day(None, (nearest, nearest + timedelta(days=7)), "ambiguous")
            return _Day(nearest)
        if ahead == 0:
            return _Day(None, (today, nearest), "ambiguous")  # "selasa" said on a Tuesday
        return _Day(nearest)
    if kind == "next_week":
        return _Day(today + timedelta(days=7))
    if kind == "this_week":
        return _Day(today)
    if kind == "relative":
        return _Day(today + timedelta(days=RELATIVE_DAYS[m.group("rel")]))
    if kind == "in_days":
        return _Day(today + timedelta(days=int(m.group("n") or m.group("n2"))))
    return _Day(None, problem="bad_date")


def _nearest_weekday(day: date, weekday: int) -> date:
    """The day with `weekday` closest to `day` (ties go forward)."""
    ahead = (weekday - day.weekday()) % 7
    return day + timedelta(days=ahead) if ahead <= 3 else day - timedelta(days=7 - ahead)


def _join_days(said: _Hit, said_day: _Day, named: _Hit, named_day: _Day) -> _Day:
    """One day named twice ("senin tgl 14", "besok tgl 25"): the day when both agree; both
    readings when they do not, for the caller to ask."""
    if named_day.day is None:
        return named_day
    if said.kind in ("weekday", "week_wd", "wd_week"):
        weekday = WEEKDAYS[said.m.group("wd")]
        if named_day.day.weekday() == weekday:
            return named_day
        return _Day(None, tuple(sorted({named_day.day, _nearest_weekday(named_day.day, weekday)})), "conflict")
    if said_day.day == named_day.day:
        return named_day
    days = {named_day.day, *([said_day.day] if said_day.day else said_day.choices)}
    return _Day(None, tuple(sorted(days)), "conflict")


def _office_hour(hour: int) -> int:
    return hour + 12 if 1 <= hour <= 6 else hour  # "jam 2" at an office means 14:00


def _read_time(hit: _Hit) -> tuple[time | None, str | None, int | None, str | None]:
    """(clock time, period, period hour, problem) of a time part."""
    groups = hit.m.groupdict()
    pod = groups.get("pod")
    period, period_hour = (PARTS_OF_DAY[pod][1], PARTS_OF_DAY[pod][0]) if pod else (None, None)
    if hit.kind == "pod":
        return None, period, period_hour, None
    if hit.kind == "noon":
        return time(12), "midday", 12, None
    hour = int(groups["h"])
    minute = int(groups.get("mi") or 0)
    back = 0  # minutes before the hour said: "setengah 11", "jam 11 kurang 15", "quarter to 11"
    if hit.kind == "half":
        back = 30
    elif hit.kind == "half_past":
        quarter = 30 if groups["q"] == "half" else 15
        minute, back = (quarter, 0) if groups["op"] == "past" else (0, quarter)
    elif hit.kind == "lewat":
        q = groups["q"]
        amount = 15 if q == "seperempat" else int(q)
        if not 0 < amount < 60:
            return None, period, period_hour, "bad_time"
        minute, back = (0, amount) if groups["op"] in ("kurang", "krg") else (amount, 0)
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
    elif hit.kind in ("jam", "bare", "half", "lewat", "half_past", "oclock"):
        hour = _office_hour(hour)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None, period, period_hour, "bad_time"
    if back:
        if hour == 0:
            return None, period, period_hour, "bad_time"
        hour, minute = divmod(hour * 60 - back, 60)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None, period, period_hour, "bad_time"
    return time(hour, minute), period, period_hour, None


def _lower(text: str) -> str:
    """Lower case with every offset kept ("İ".lower() is two characters)."""
    low = text.lower().replace("\u2019", "'")
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text).replace("\u2019", "'")


def _date_parts(low: str, today: date, reading: Reading) -> list[tuple[int, int, _Hit, _Day]]:
    """The date parts of `low`, with two parts that name one day joined ("senin tgl 14")."""
    hits = _find(_DATE_PATTERNS, low, reading)
    parts = [(h.start, h.end, h, _resolve_date(h, today, reading)) for h in hits]
    out: list[tuple[int, int, _Hit, _Day]] = []
    for part in parts:
        if out:
            start, end, prev, prev_day = out[-1]
            pair = {prev.kind in _SAID_DAY and part[2].kind in _NAMED_DAY, prev.kind in _NAMED_DAY and part[2].kind in _SAID_DAY}
            if True in pair and _DATE_GLUE.match(low[end:part[0]]):
                said, said_day, named, named_day = (prev, prev_day, part[2], part[3]) if prev.kind in _SAID_DAY \
                    else (part[2], part[3], prev, prev_day)
                out[-1] = (start, part[1], named, _join_days(said, said_day, named, named_day))
                continue
        out.append(part)
    return out


def read_mentions(text: str, today: date, reading: Reading = SENTENCE) -> list[Mention]:
    """Every date/time phrase in `text`, in order, relative to the local date `today`.

    A date part takes the nearest time part within a few words, unless a comma or
    "atau"/"dan" stands between; what is left stands alone. Impossible, ambiguous and
    conflicting phrases are kept with their `problem`, so each reader decides what to do."""
    low = _lower(text or "")
    dates = _date_parts(low, today, reading)
    times = _find(_TIME_PATTERNS, low, reading, taken=[d[2] for d in dates])
    if not dates and not times and reading.bare_hour:
        m = _BARE_HOUR.match(low)
        if m:
            times = [_Hit(m.start("h"), m.end("h"), "bare", m)]
    mentions: list[Mention] = []
    used: set[int] = set()
    for d_start, d_end, d, said in dates:
        best, best_gap = None, _JOIN_GAP
        for i, t in enumerate(times):
            if i in used:
                continue
            gap = t.start - d_end if t.start >= d_end else d_start - t.end
            if gap < best_gap and not _SEPARATOR.search(low[min(d_end, t.end) : max(d_start, t.start)]):
                best, best_gap = i, gap
        if best is None and d.kind == "relative" and d.m.group("rel") in RELATIVE_NEEDS_TIME:
            continue
        start, end = d_start, d_end
        at = period = period_hour = problem = None
        if best is not None:
            used.add(best)
            t = times[best]
            at, period, period_hour, problem = _read_time(t)
            start, end = min(start, t.start), max(end, t.end)
        elif d.kind == "relative" and d.m.group("rel") in _RELATIVE_PERIOD:
            period_hour, period = PARTS_OF_DAY[_RELATIVE_PERIOD[d.m.group("rel")]]
        mentions.append(Mention(start, end, dated=True, day=said.day, time=at, period=period, period_hour=period_hour,
                                week=d.kind in ("next_week", "this_week"), problem=said.problem or problem,
                                choices=said.choices))
    for i, t in enumerate(times):
        if i not in used:
            at, period, period_hour, problem = _read_time(t)
            mentions.append(Mention(t.start, t.end, time=at, period=period, period_hour=period_hour, problem=problem))
    return sorted(mentions, key=lambda x: x.start)


# An answer longer than this is no date answer; reading further would cost time for nothing
# (joining each date part with the nearest time part grows with their product).
MAX_ANSWER_CHARS = 1000


@dataclass(frozen=True, slots=True)
class When:
    """What an answer says: a day, a time of day, a part of day, or a `problem`
    ("bad_time" for "jam 25", "bad_date" for "31/02"; "ambiguous" or "conflict" with the
    readings in `choices`, to be asked). `week`: a week was named ("minggu depan"), not a day."""

    day: date | None = None
    time: time | None = None
    period: str | None = None
    problem: str | None = None
    choices: tuple[date, ...] = ()
    week: bool = False

    @property
    def empty(self) -> bool:
        return self.day is None and self.time is None and self.period is None and self.problem is None

    @property
    def asks(self) -> bool:
        """The words allow several days: ask which, never pick one."""
        return self.problem in ("ambiguous", "conflict")


def parse_when(text: str, today: date, *, expect_time: bool = False) -> When:
    """Read a day and/or a time from a short answer, relative to the local date `today`.

    The first dated phrase gives the day, its own time part or else the first time said
    anywhere gives the time ("besok, jam 10"). With `expect_time` (answering "what
    time?") a bare number such as "10" is an hour. A time alone has no day: the caller
    knows which day was chosen. The day may be in the past; the caller says so. Two
    different days in one answer ("jumat atau senin") keep the first; two readings of one
    phrase ("rabu depan" on a Tuesday) come back as `choices` with problem "ambiguous"."""
    mentions = read_mentions(text[:MAX_ANSWER_CHARS], today, TIME_ANSWER if expect_time else ANSWER)
    dated = next((m for m in mentions if m.dated), None)
    timed = dated if dated is not None and dated.clock else next((m for m in mentions if not m.dated and m.clock), None)
    period = next((m.period for m in (timed, dated, *mentions) if m is not None and m.period), None)
    problem = (timed.problem if timed is not None and timed.problem == "bad_time" else None) or \
        (dated.problem if dated is not None and dated.problem else None)
    return When(day=dated.day if dated else None, time=timed.time if timed else None, period=period, problem=problem,
                choices=dated.choices if dated else (), week=bool(dated and dated.week))


def in_period(at: time, period: str | None) -> bool:
    """A clock time falls in a part of day ("sore": 12.00–17.59); any time when none was said."""
    if period is None:
        return True
    low, high = PERIOD_HOURS[period]
    return low <= at.hour < high
