"""Slot rules without a database: hours and breaks, holidays, closures, notice, horizon, buffer, zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.slots import (
    AvailabilityError,
    Closure,
    ConsultantSchedule,
    SlotPolicy,
    format_availability,
    generate_slots,
    is_national_holiday,
    nearest_times,
    parse_availability,
)

MON_FRI = parse_availability("Mon-Fri 08:00-12:00, 13:00-15:00")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # Monday 09:00 WIB


def local(slots, tz):  # type: ignore[no-untyped-def]
    return [s.starts_at.astimezone(ZoneInfo(tz)).strftime("%a %d %H:%M") for s in slots]


def one(cid: int = 1, windows=MON_FRI, areas=("marketing",)) -> ConsultantSchedule:  # type: ignore[no-untyped-def]
    return ConsultantSchedule(cid, windows, frozenset(areas))


def test_breaks_and_window_ends_are_respected() -> None:
    slots = generate_slots([one()], tz="Asia/Jakarta", now=NOW, day=date(2026, 11, 24))
    assert local(slots, "Asia/Jakarta") == ["Tue 24 08:00", "Tue 24 09:00", "Tue 24 10:00", "Tue 24 11:00", "Tue 24 13:00", "Tue 24 14:00"]


def test_minimum_notice_hides_slots_too_soon() -> None:
    slots = generate_slots([one()], tz="Asia/Jakarta", now=NOW, day=date(2026, 11, 23))
    # 09:00 now + 2 h notice: 09:00 and 10:00 are too soon; 11:00 is the first offered.
    assert local(slots, "Asia/Jakarta") == ["Mon 23 11:00", "Mon 23 13:00", "Mon 23 14:00"]
    relaxed = generate_slots([one()], tz="Asia/Jakarta", now=NOW, day=date(2026, 11, 23), policy=SlotPolicy(min_notice=timedelta(0)))
    assert local(relaxed, "Asia/Jakarta")[0] == "Mon 23 09:00"


def test_horizon_limits_how_far_ahead() -> None:
    slots = generate_slots([one()], tz="Asia/Jakarta", now=NOW)
    assert max(s.starts_at for s in slots) <= NOW + timedelta(days=14)
    assert max(s.starts_at for s in slots) > NOW + timedelta(days=13)
    short = generate_slots([one()], tz="Asia/Jakarta", now=NOW, policy=SlotPolicy(horizon=timedelta(days=2)))
    assert {s.starts_at.astimezone(ZoneInfo("Asia/Jakarta")).day for s in short} == {23, 24, 25}


def test_national_holidays_are_skipped() -> None:
    christmas = date(2026, 12, 25)
    assert is_national_holiday(christmas)
    slots = generate_slots([one()], tz="Asia/Jakarta", now=datetime(2026, 12, 21, 9, tzinfo=UTC))
    days = {s.starts_at.astimezone(ZoneInfo("Asia/Jakarta")).date() for s in slots}
    assert christmas not in days
    assert date(2026, 12, 24) in days or is_national_holiday(date(2026, 12, 24))
    assert date(2026, 12, 28) in days


def test_center_closure_and_consultant_leave() -> None:
    a, b = one(1), one(2)
    closed = generate_slots([a, b], tz="Asia/Jakarta", now=NOW, closures=[Closure(date(2026, 11, 24), date(2026, 11, 25))])
    assert not [s for s in closed if s.starts_at.astimezone(ZoneInfo("Asia/Jakarta")).date() in (date(2026, 11, 24), date(2026, 11, 25))]
    leave = generate_slots([a, b], tz="Asia/Jakarta", now=NOW, day=date(2026, 11, 24), closures=[Closure(date(2026, 11, 24), date(2026, 11, 24), 1)])
    assert {s.consultant_id for s in leave} == {2}


def test_buffer_spaces_sessions_and_busy_blocks_with_buffer() -> None:
    policy = SlotPolicy(duration=timedelta(minutes=45), buffer=timedelta(minutes=15))
    slots = generate_slots([one()], tz="Asia/Jakarta", now=NOW, day=date(2026, 11, 24), policy=policy)
    assert local(slots, "Asia/Jakarta") == ["Tue 24 08:00", "Tue 24 09:00", "Tue 24 10:00", "Tue 24 11:00", "Tue 24 13:00", "Tue 24 14:00"]
    # A 09:10-09:40 appointment (e.g. made by hand) blocks 09:00 and, with the buffer, 10:00 is still free.
    tz = ZoneInfo("Asia/Jakarta")
    busy = {1: [(datetime(2026, 11, 24, 9, 10, tzinfo=tz), datetime(2026, 11, 24, 9, 40, tzinfo=tz))]}
    after = generate_slots([one()], tz="Asia/Jakarta", now=NOW, day=date(2026, 11, 24), policy=policy, busy=busy)
    assert "Tue 24 09:00" not in local(after, "Asia/Jakarta") and "Tue 24 10:00" in local(after, "Asia/Jakarta")
    busy2 = {1: [(datetime(2026, 11, 24, 10, 50, tzinfo=tz), datetime(2026, 11, 24, 10, 55, tzinfo=tz))]}
    after2 = generate_slots([one()], tz="Asia/Jakarta", now=NOW, day=date(2026, 11, 24), policy=policy, busy=busy2)
    assert "Tue 24 11:00" not in local(after2, "Asia/Jakarta")  # 10:55 + 15 min buffer reaches 11:10


@pytest.mark.parametrize(("tz", "offset"), [("Asia/Jakarta", 7), ("Asia/Makassar", 8), ("Asia/Jayapura", 9)])
def test_slots_are_laid_in_the_centers_zone(tz: str, offset: int) -> None:
    slots = generate_slots([one()], tz=tz, now=datetime(2026, 11, 23, 0, 0, tzinfo=UTC), day=date(2026, 11, 24))
    first = slots[0].starts_at
    assert first.tzinfo is not None and first.utcoffset() == timedelta(0)
    assert first.astimezone(ZoneInfo(tz)).time() == time(8, 0)
    assert first == datetime(2026, 11, 24, 8, 0, tzinfo=UTC) - timedelta(hours=offset)


def test_day_is_the_centers_local_day() -> None:
    # 23:30 UTC on the 23rd is already the 24th in Jayapura (UTC+9); min notice counts from then.
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    slots = generate_slots([one()], tz="Asia/Jayapura", now=now)
    first = slots[0].starts_at.astimezone(ZoneInfo("Asia/Jayapura"))
    assert (first.date(), first.time()) == (date(2026, 11, 24), time(11, 0))


def test_area_filter_and_nearest() -> None:
    slots = generate_slots([one(1, areas=("marketing",)), one(2, areas=("it",))], tz="Asia/Jakarta", now=NOW, area="it")
    assert {s.consultant_id for s in slots} == {2}
    target = datetime(2026, 11, 24, 12, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    near = nearest_times(slots, target, n=2)
    assert [t.astimezone(ZoneInfo("Asia/Jakarta")).hour for t in near] == [11, 13]


def test_availability_text_round_trip_and_errors() -> None:
    w = parse_availability("Sen-Kam 08.00-12.00, 13.00-15.00; Jum 08:00-11:00")
    assert format_availability(w) == "Mon 08:00-12:00, 13:00-15:00; Tue 08:00-12:00, 13:00-15:00; Wed 08:00-12:00, 13:00-15:00; Thu 08:00-12:00, 13:00-15:00; Fri 08:00-11:00"
    for bad in ("Mon 25:00-26:00", "Funday 08:00-10:00", "Mon 10:00-09:00", ""):
        with pytest.raises(AvailabilityError):
            parse_availability(bad)


@pytest.mark.parametrize(
    "policy",
    [SlotPolicy(), SlotPolicy(duration=timedelta(minutes=45), buffer=timedelta(minutes=15)),
     SlotPolicy(duration=timedelta(minutes=40), buffer=timedelta(minutes=5), min_notice=timedelta(0), horizon=timedelta(days=3))],
)
@pytest.mark.parametrize("start_day", [23, 52])  # 52: Dec 22, with Christmas ahead
def test_consultants_offering_agrees_with_generate_slots(policy: SlotPolicy, start_day: int) -> None:
    from bot.domain.slots import consultants_offering, slot_is_free

    schedules = [
        one(1), one(2, parse_availability("Mon-Sat 07:30-11:10; Sun 09:00-10:00"), ("it",)),
        one(3, parse_availability("Tue-Fri 13:15-16:00, 08:00-10:00"), ("marketing", "it")),
    ]
    closures = [Closure(date(2026, 11, 26), date(2026, 11, 27), None), Closure(date(2026, 11, 30), date(2026, 12, 2), 3)]
    tz = "Asia/Makassar"
    now = datetime(2026, 11, 1, 9, 0, tzinfo=ZoneInfo(tz)) + timedelta(days=start_day - 1)
    taken = generate_slots(schedules, tz=tz, now=now, policy=policy, closures=closures)[::4]
    busy = {}
    for s in taken:
        busy.setdefault(s.consultant_id, []).append((s.starts_at, s.ends_at))
    for area in (None, "marketing", "it", "hr"):
        offered = generate_slots(schedules, tz=tz, now=now, policy=policy, closures=closures, area=area)
        free = generate_slots(schedules, tz=tz, now=now, policy=policy, closures=closures, area=area, busy=busy)
        # Every 5 minutes over the horizon and a little beyond, including days before `now`.
        t = now.replace(hour=0, minute=0) - timedelta(days=1)
        while t < now + policy.horizon + timedelta(days=2):
            want = sorted(s.consultant_id for s in offered if s.starts_at == t)
            got = consultants_offering(schedules, t, tz=tz, now=now, policy=policy, closures=closures, area=area)
            assert got == want, t
            want_free = sorted(s.consultant_id for s in free if s.starts_at == t)
            assert [c for c in got if slot_is_free(busy.get(c, []), t, policy)] == want_free, t
            t += timedelta(minutes=5)
