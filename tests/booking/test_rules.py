"""Booking states, references, free-text days and times, .ics: pure rules."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.booking import (
    REFERENCE_ALPHABET,
    InvalidTransition,
    find_reference,
    new_reference,
    reminders_for,
    transition,
)
from bot.domain.areas import find_service_area
from bot.domain.ics import booking_ics
from bot.domain.when import parse_when

MONDAY = date(2026, 11, 23)


def test_transitions() -> None:
    assert transition("pending", "accepted") == "confirmed"
    assert transition("pending", "cancelled") == "cancelled"
    assert transition("confirmed", "reassigned") == "pending"
    assert transition("confirmed", "rescheduled") == "confirmed"
    for status, change in (("cancelled", "cancelled"), ("declined", "accepted"), ("confirmed", "accepted"), ("cancelled", "rescheduled")):
        with pytest.raises(InvalidTransition):
            transition(status, change)


def test_references_are_short_and_unambiguous() -> None:
    rng = random.Random(5)
    refs = {new_reference(rng.randrange) for _ in range(2000)}
    assert len(refs) > 1990
    for ref in refs:
        assert ref.startswith("PLUT-") and len(ref) == 9
        assert not set(ref[5:]) & set("01OI") and set(ref[5:]) <= set(REFERENCE_ALPHABET)
    assert find_reference("batalkan plut-7k3m ya") == "PLUT-7K3M"
    assert find_reference("cek PLUT 7K3M") == "PLUT-7K3M"
    assert find_reference("kode 7K3M") == "PLUT-7K3M"
    assert find_reference("mau BISA jumat") is None
    assert find_reference("PLUT-1O0I") is None


def test_service_area_words() -> None:
    assert find_service_area("mau konsultasi pemasaran di PLUT Maros besok jam 10") == "marketing"
    assert find_service_area("butuh modal usaha") == "financing"
    assert find_service_area("I want to book it tomorrow") is None
    assert find_service_area("konsultasi IT dong") == "it"
    assert find_service_area("urus izin NIB") == "institutional"


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("besok jam 10", date(2026, 11, 24), time(10)),
        ("lusa pagi", date(2026, 11, 25), None),
        ("jumat", date(2026, 11, 27), None),
        ("senin depan jam 14.00", date(2026, 11, 30), time(14)),
        ("27/11 jam 13:30", date(2026, 11, 27), time(13, 30)),
        ("tgl 5 desember jam 9", date(2026, 12, 5), time(9)),
        ("jam 2 siang", None, time(14)),
        ("tomorrow at 10am", date(2026, 11, 24), time(10)),
        ("next monday 2pm", date(2026, 11, 30), time(14)),
        ("December 1", date(2026, 12, 1), None),
        ("2026-11-26 09:00", date(2026, 11, 26), time(9)),
    ],
)
def test_parse_when(text: str, day: date | None, at: time | None) -> None:
    when = parse_when(text, MONDAY)
    assert (when.day, when.time, when.problem) == (day, at, None)


def test_parse_when_problems_and_bare_hours() -> None:
    assert parse_when("jam 25", MONDAY).problem == "bad_time"
    assert parse_when("31/02", MONDAY).problem == "bad_date"
    assert parse_when("10", MONDAY, expect_time=True).time == time(10)
    assert parse_when("10", MONDAY).time is None
    assert parse_when("halo", MONDAY).empty
    assert parse_when("20/11", MONDAY).day == date(2026, 11, 20)  # in the past: the caller says so


# Where the booking reader and the NLU's `datetime` used to disagree; both now read one grammar.
@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("jam 2", None, time(14)),  # office hours, as the NLU read it (was 02:00)
        ("hari ini jam 3", MONDAY, time(15)),
        ("jam 11 siang", None, time(11)),  # siang moves only 1..5 (was 23:00)
        ("jam 7 malam", None, time(19)),
        ("minggu depan", date(2026, 11, 30), None),  # next week, not next Sunday (was 29/11)
        ("jumat atau senin", date(2026, 11, 27), None),  # the first day said (was Monday)
        ("tgl 20", date(2026, 12, 20), None),  # "tgl N" alone: the next such day (was nothing)
        ("3 hari lagi", date(2026, 11, 26), None),
        ("nanti jam 3", MONDAY, time(15)),
        ("27 / 11", date(2026, 11, 27), None),
    ],
)
def test_parse_when_reads_the_shared_grammar(text: str, day: date | None, at: time | None) -> None:
    when = parse_when(text, MONDAY)
    assert (when.day, when.time, when.problem) == (day, at, None)


def test_parse_when_answer_rules() -> None:
    assert parse_when("2", MONDAY, expect_time=True).time == time(14)  # a bare hour follows "jam 2"
    assert parse_when("13pm", MONDAY).problem == "bad_time"  # am/pm wants 1..12, as in the NLU
    assert parse_when("fri 10am", MONDAY).day == date(2026, 11, 27)  # an answer may abbreviate the day
    assert parse_when("besok, jam 10", MONDAY).time == time(10)  # a comma does not split an answer
    assert parse_when("nanti dulu", MONDAY).empty  # "not now" is no day
    assert parse_when("ya min", MONDAY).empty and parse_when("min ini bot ya", MONDAY).empty
    assert parse_when("31/02 jam 10", MONDAY).problem == "bad_date"
    assert parse_when("besok jam 25", MONDAY).problem == "bad_time"


def test_reminders_skip_what_has_passed() -> None:
    start = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert [r.kind for r in reminders_for(start, start - timedelta(days=3))] == ["reminder.day_before", "reminder.2h"]
    assert [r.kind for r in reminders_for(start, start - timedelta(hours=5))] == ["reminder.2h"]
    assert reminders_for(start, start - timedelta(hours=1)) == []


def test_ics_file() -> None:
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    data = booking_ics(uid="PLUT-7K3M@x", starts_at=start, ends_at=start + timedelta(hours=1), summary="Konsultasi, pemasaran; PLUT",
                       description="x" * 200, location="PLUT Kab. Maros", created_at=start - timedelta(days=1), sequence=2).decode()
    assert "DTSTART:20261124T020000Z\r\n" in data and "DTEND:20261124T030000Z" in data and "SEQUENCE:2" in data
    assert "SUMMARY:Konsultasi\\, pemasaran\\; PLUT" in data
    assert all(len(line.encode()) <= 75 for line in data.split("\r\n"))
    assert data.endswith("END:VCALENDAR\r\n")


def test_ics_files_tell_the_booking_state() -> None:
    import icalendar

    from bot.domain.ics import STATUSES, calendar_sequence

    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

    def event(status: str, version: int) -> tuple[str, str, int]:
        data = booking_ics(uid="PLUT-7K3M@x", starts_at=start, ends_at=start + timedelta(hours=1), summary="s", created_at=start,
                           sequence=calendar_sequence(version, status), status=STATUSES[status],
                           cancelled=status in ("cancelled", "declined"))
        cal = icalendar.Calendar.from_ical(data)
        ev = next(iter(cal.walk("VEVENT")))
        return str(cal["METHOD"]), str(ev["STATUS"]), int(ev["SEQUENCE"])

    made, accepted, moved, cancelled = event("pending", 1), event("confirmed", 1), event("confirmed", 2), event("cancelled", 3)
    assert made[:2] == ("PUBLISH", "TENTATIVE") and accepted[:2] == ("PUBLISH", "CONFIRMED")
    assert cancelled[:2] == ("CANCEL", "CANCELLED")
    assert made[2] < accepted[2] < moved[2] < cancelled[2]  # each newer file replaces the older


def test_attendance_is_recorded_after_the_fact_and_can_be_corrected() -> None:
    from bot.domain.booking import InvalidTransition, transition

    assert transition("confirmed", "attended") == "attended"
    assert transition("pending", "no_show") == "no_show"
    assert transition("no_show", "attended") == "attended"
    for status in ("cancelled", "declined"):
        try:
            transition(status, "attended")
        except InvalidTransition:
            continue
        raise AssertionError(f"a {status} booking cannot have been attended")
