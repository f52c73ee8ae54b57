"""Pure rules: distances, nearest points, opening hours in a center's own zone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time

import pytest

from bot.domain.geo import PointIndex, haversine_km, maps_link
from bot.domain.opening_hours import OpeningHoursError, format_intervals, format_week, parse_opening_hours


def test_haversine_known_distances() -> None:
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.01)  # one degree on the equator
    # Monas (Jakarta) to Tugu Pahlawan (Surabaya): about 663 km in a straight line
    assert haversine_km(-6.1754, 106.8272, -7.2458, 112.7378) == pytest.approx(663, abs=5)
    assert haversine_km(1, 2, 1, 2) == 0


def test_point_index_matches_a_brute_force_scan() -> None:
    rng = random.Random(7)
    pts = [(i, rng.uniform(-11, 6), rng.uniform(95, 141)) for i in range(300)]
    index = PointIndex(pts)
    for _ in range(50):
        lat, lon = rng.uniform(-12, 7), rng.uniform(90, 145)
        want = sorted(pts, key=lambda p: haversine_km(lat, lon, p[1], p[2]))[:3]
        got = index.nearest(lat, lon, 3)
        assert [h.key for h in got] == [p[0] for p in want]
        assert got[0].km == pytest.approx(haversine_km(lat, lon, want[0][1], want[0][2]), rel=1e-9)


def test_point_index_edges() -> None:
    assert PointIndex([]).nearest(0, 0, 3) == []
    two = PointIndex([("a", 0, 0), ("b", 0, 1)])
    assert [h.key for h in two.nearest(0, 0.9, 5)] == ["b", "a"]
    with pytest.raises(ValueError):
        two.nearest(91, 0, 1)


def test_maps_link_points_at_the_place() -> None:
    assert maps_link(-5.006, 119.5727).endswith("destination=-5.006000,119.572700")


def test_opening_hours_parse_and_canonical_text() -> None:
    h = parse_opening_hours("Sen-Kam 08.00-15.30, Jum 08.00-11.00")
    assert h.on(0) == ((time(8), time(15, 30)),)
    assert h.on(4) == ((time(8), time(11)),)
    assert h.on(5) == () and h.on(6) == ()
    assert h.to_text() == "Mon-Thu 08:00-15:30; Fri 08:00-11:00"
    assert parse_opening_hours(h.to_text()) == h
    assert not parse_opening_hours("").known


@pytest.mark.parametrize("bad", ["Mon-Fri", "Funday 08:00-16:00", "Mon 16:00-08:00", "Mon 25:00-26:00", "tomorrow 8-4"])
def test_opening_hours_reject_what_they_cannot_read(bad: str) -> None:
    with pytest.raises(OpeningHoursError):
        parse_opening_hours(bad)


def test_today_is_the_centers_local_day() -> None:
    h = parse_opening_hours("Mon-Fri 08:00-16:00")
    friday_late_utc = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # Fri 23:30 UTC
    day, intervals = h.on_date(friday_late_utc, "Asia/Jakarta")  # Sat 06:30 WIB
    assert day.weekday() == 5 and intervals == ()
    thursday_utc = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # Fri 08:30 WIT in Biak
    assert h.is_open(thursday_utc, "Asia/Jayapura")
    assert not h.is_open(thursday_utc, "Asia/Jakarta")  # still 06:30 WIB


def test_formatting_shows_the_zone_abbreviation() -> None:
    h = parse_opening_hours("Mon-Fri 08:00-16:00; Sat 08:00-12:00")
    assert format_intervals(h.on(0), "id", "WITA") == "08.00–16.00 WITA"
    assert format_intervals(h.on(0), "en", "WIT") == "08:00–16:00 WIT"
    assert format_week(h, "id", "WIB") == ["Sen–Jum: 08.00–16.00 WIB", "Sab: 08.00–12.00 WIB"]
