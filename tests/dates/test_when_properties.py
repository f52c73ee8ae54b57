"""Property: every way of saying a day in the next 60 days (and a time) reads as that day and
time, or as a question that offers it — never as another day."""

from __future__ import annotations

from datetime import date, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.when import parse_when

WD_ID = ["senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu"]
WD_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MON_ID = ["januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september", "oktober", "november", "desember"]
MON_ID_SHORT = ["jan", "feb", "mar", "apr", "mei", "jun", "jul", "agt", "sep", "okt", "nov", "des"]
MON_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def date_phrases(today: date, day: date) -> list[str]:
    """Ways to say `day` on `today` that a speaker would use for it."""
    ahead = (day - today).days
    wd, d, m = day.weekday(), day.day, day.month
    wd_id = "hari minggu" if wd == 6 else WD_ID[wd]  # "minggu ini/depan" is this/next week
    out = [
        f"{d} {MON_ID[m - 1]}", f"tgl {d} {MON_ID_SHORT[m - 1]}", f"tanggal {d} {MON_ID[m - 1]}", f"{d}/{m}",
        f"{d:02d}/{m:02d}/{day.year}", f"{MON_EN[m - 1]} {_ordinal(d)}", f"the {_ordinal(d)} of {MON_EN[m - 1]}",
        f"{WD_ID[wd]} {d} {MON_ID_SHORT[m - 1]}", f"{WD_EN[wd]}, {MON_EN[m - 1]} {d}", day.isoformat(),
    ]
    if ahead < 28:  # the first such day of a month from today
        out += [f"{WD_ID[wd]} tgl {d}", f"{WD_EN[wd]} the {_ordinal(d)}", f"tgl {d}", f"hari {WD_ID[wd]} tanggal {d}"]
    if ahead <= 2:
        out.append(["hari ini", "besok", "lusa"][ahead])
        out.append(["today", "tomorrow", "the day after tomorrow"][ahead])
    if 1 <= ahead <= 20:
        out += [f"{ahead} hari lagi", f"in {ahead} days"]
    if ahead <= 6:
        out += [WD_ID[wd], WD_EN[wd], f"{wd_id} ini", f"this {WD_EN[wd]}"]
    if _week_start(day) == _week_start(today) + timedelta(days=7):
        out += [f"minggu depan {WD_ID[wd]}", f"{WD_ID[wd]} minggu depan", f"next week {WD_EN[wd]}", f"{WD_EN[wd]} next week"]
    if 1 <= ahead and _week_start(day) <= _week_start(today) + timedelta(days=7) and (ahead >= 7 or _week_start(day) == _week_start(today)):
        out += [f"{wd_id} depan", f"next {WD_EN[wd]}"]  # this week's or next week's: asked when both fit
    if wd >= 5 and ahead <= 6 and (today.weekday() != 6 or ahead == 0):
        out += ["akhir pekan", "weekend"]  # said on a Sunday, the weekend is that Sunday (bot/domain/when.py)
    return out


def time_phrases(at: time) -> list[str]:
    h, mi = at.hour, at.minute
    h12 = h % 12 or 12
    out = [f"jam {h}.{mi:02d}", f"{h:02d}:{mi:02d}", f"pukul {h:02d}.{mi:02d}", f"{h12}:{mi:02d}{'am' if h < 12 else 'pm'}"]
    if mi == 0:
        out += [f"jam {h}", f"{h12}{'am' if h < 12 else 'pm'}", f"at {h12} {'am' if h < 12 else 'pm'}"]
        if 7 <= h <= 12 or 13 <= h <= 18:
            out.append(f"jam {h12}")  # office hours: "jam 2" is 14.00
        if h <= 11:
            out.append(f"jam {h} pagi")
        if 11 <= h <= 14:
            out.append(f"jam {h12} siang")
        if 15 <= h <= 17:
            out.append(f"jam {h12} sore")
    if mi == 30:
        nxt = h + 1
        if 7 <= nxt <= 18:
            out += [f"setengah {nxt % 12 or 12}", f"jam setengah {nxt % 12 or 12}"]
        out.append(f"half past {h12}")
    if mi in (15, 30, 45):
        out.append(f"jam {h12 if 7 <= h <= 18 else h} lewat {mi}")
    if mi == 15:
        out.append(f"quarter past {h12}")
    if mi == 45 and 7 <= h + 1 <= 18:
        out += [f"jam {(h + 1) % 12 or 12} kurang seperempat", f"quarter to {(h + 1) % 12 or 12}"]
    return out


@st.composite
def said(draw: st.DrawFn) -> tuple[date, date, time | None, str]:
    today = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
    day = today + timedelta(days=draw(st.integers(0, 60)))
    phrase = draw(st.sampled_from(date_phrases(today, day)))
    if draw(st.booleans()):
        return today, day, None, phrase
    at = time(draw(st.integers(7, 17)), draw(st.sampled_from([0, 15, 30, 45])))
    said_time = draw(st.sampled_from(time_phrases(at)))
    return today, day, at, f"{phrase} {said_time}"


@settings(max_examples=1500, deadline=None)
@given(said())
def test_a_day_said_is_that_day_or_a_question(case: tuple[date, date, time | None, str]) -> None:
    today, day, at, phrase = case
    when = parse_when(phrase, today)
    if when.asks:
        assert day in when.choices, (phrase, today, when)
    else:
        assert when.day == day, (phrase, today, when)
    assert when.time == at, (phrase, today, when)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)), st.text(max_size=60))
def test_any_text_gives_a_real_day_or_none(today: date, text: str) -> None:
    when = parse_when(text, today)
    assert when.day is None or isinstance(when.day, date)
    assert not when.asks or len(when.choices) >= 2
