"""The `Booking` entity: each change of state, the rule it checks and the event it records.

Plain objects stand in for the database row; no database, no event loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.booking import (
    AttendanceRecorded,
    Booking,
    BookingAccepted,
    BookingCancelled,
    BookingDeclined,
    BookingReassigned,
    BookingRequested,
    BookingRescheduled,
    InvalidTransition,
    NotTheConsultant,
    SlotUnavailable,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
START = NOW + timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass
class Row:
    ref: str = "PLUT-7K3M"
    consultant_id: int = 1
    starts_at: datetime = START
    ends_at: datetime = START + HOUR
    status: str = "pending"
    version: int = 1
    declined_by: list[Any] = field(default_factory=list)
    updated_at: datetime = NOW - HOUR


def booking(**fields: Any) -> Booking:
    return Booking(Row(**fields))


def test_initial_fields_are_a_pending_booking_of_version_one() -> None:
    f = Booking.initial_fields(START, HOUR, NOW)
    assert (f["status"], f["version"], f["declined_by"], f["ends_at"], f["updated_at"]) == ("pending", 1, [], START + HOUR, NOW)


def test_requested_records_the_request() -> None:
    b = Booking.requested(Row(), now=NOW)
    assert b.events == [BookingRequested("PLUT-7K3M", 1, 1, START)]


def test_a_request_for_a_past_time_is_refused() -> None:
    with pytest.raises(SlotUnavailable):
        Booking.requested(Row(starts_at=NOW - HOUR, ends_at=NOW), now=NOW)
    with pytest.raises(InvalidTransition):
        Booking.requested(Row(status="confirmed"), now=NOW)


def test_accept_confirms_once() -> None:
    b = booking()
    assert b.accept(1, now=NOW) is True
    assert (b.state.status, b.state.version, b.state.updated_at) == ("confirmed", 1, NOW)
    assert b.events == [BookingAccepted("PLUT-7K3M", 1, 1)]
    assert b.accept(1, now=NOW) is False  # a second tap changes nothing
    assert len(b.events) == 1


def test_only_the_assigned_consultant_accepts_or_declines() -> None:
    b = booking()
    with pytest.raises(NotTheConsultant):
        b.accept(2, now=NOW)
    with pytest.raises(NotTheConsultant):
        b.decline(2)
    assert (b.state.status, b.events) == ("pending", [])


@pytest.mark.parametrize("status", ["cancelled", "declined", "attended"])
def test_an_ended_booking_cannot_be_accepted_or_declined(status: str) -> None:
    with pytest.raises(InvalidTransition):
        booking(status=status).accept(1, now=NOW)
    with pytest.raises(InvalidTransition):
        booking(status=status).decline(1)


def test_decline_then_reassign_to_another_consultant() -> None:
    b = booking(status="confirmed", declined_by=[3])
    assert b.decline(1) == [1, 3]
    b.reassign(2, now=NOW)
    assert (b.state.consultant_id, b.state.status, b.state.version, b.state.declined_by) == (2, "pending", 2, [1, 3])
    assert b.events == [BookingReassigned("PLUT-7K3M", 2, declined_by=1, consultant_id=2)]


def test_a_booking_never_goes_back_to_a_consultant_who_declined() -> None:
    b = booking()
    b.decline(1)
    with pytest.raises(InvalidTransition):
        b.reassign(1, now=NOW)


def test_decline_with_nobody_free_ends_the_booking() -> None:
    b = booking()
    b.decline(1)
    b.end_declined(now=NOW)
    assert (b.state.status, b.state.version) == ("declined", 2)
    assert b.events == [BookingDeclined("PLUT-7K3M", 2, declined_by=1, starts_at=START)]
    with pytest.raises(InvalidTransition):
        b.end_declined(now=NOW)


def test_cancel() -> None:
    b = booking(status="confirmed")
    b.cancel(now=NOW)
    assert (b.state.status, b.state.version, b.state.updated_at) == ("cancelled", 2, NOW)
    assert b.events == [BookingCancelled("PLUT-7K3M", 2, 1, START)]


def test_cancel_refuses_twice_and_after_the_end() -> None:
    with pytest.raises(InvalidTransition):
        booking(status="cancelled").cancel(now=NOW)
    over = booking(starts_at=NOW - 2 * HOUR, ends_at=NOW - HOUR)
    with pytest.raises(InvalidTransition, match="past"):
        over.cancel(now=NOW)
    assert over.state.status == "pending"


def test_reschedule_with_the_same_consultant_keeps_the_confirmation() -> None:
    b = booking(status="confirmed")
    later = START + timedelta(days=2)
    b.reschedule(later, HOUR, 1, now=NOW)
    assert (b.state.starts_at, b.state.ends_at, b.state.status, b.state.version) == (later, later + HOUR, "confirmed", 2)
    assert b.events == [BookingRescheduled("PLUT-7K3M", 2, START, later, 1, 1)]


def test_reschedule_to_another_consultant_waits_for_their_accept() -> None:
    b = booking(status="confirmed")
    later = START + HOUR
    b.reschedule(later, HOUR, 4, now=NOW)
    assert (b.state.consultant_id, b.state.status) == (4, "pending")
    assert b.events == [BookingRescheduled("PLUT-7K3M", 2, START, later, 1, 4)]


def test_reschedule_refuses_an_ended_or_past_booking_and_a_past_time() -> None:
    with pytest.raises(InvalidTransition):
        booking(status="declined").reschedule(START + HOUR, HOUR, 1, now=NOW)
    with pytest.raises(InvalidTransition, match="past"):
        booking(starts_at=NOW - 2 * HOUR, ends_at=NOW - HOUR).check_reschedule(now=NOW)
    b = booking()
    with pytest.raises(SlotUnavailable):
        b.reschedule(NOW - HOUR, HOUR, 1, now=NOW)
    assert (b.state.starts_at, b.events) == (START, [])


def test_forget_last_event_when_the_database_refused_the_change() -> None:
    b = booking()
    b.decline(1)
    b.reassign(2, now=NOW)
    assert isinstance(b.forget_last_event(), BookingReassigned)
    assert b.events == []


def test_record_attendance_once_the_consultation_has_begun_and_correct_it() -> None:
    b = booking(starts_at=NOW - HOUR, ends_at=NOW)
    b.record_attendance("no_show", now=NOW)
    b.record_attendance("attended", now=NOW)
    assert (b.state.status, b.state.version) == ("attended", 3)
    assert b.events == [AttendanceRecorded("PLUT-7K3M", 2, "no_show"), AttendanceRecorded("PLUT-7K3M", 3, "attended")]


def test_attendance_is_not_recorded_before_the_start_or_for_a_cancelled_booking() -> None:
    with pytest.raises(InvalidTransition):
        booking().record_attendance("attended", now=NOW)
    with pytest.raises(InvalidTransition):
        booking(status="cancelled", starts_at=NOW - HOUR, ends_at=NOW).record_attendance("attended", now=NOW)
    with pytest.raises(ValueError):
        booking(starts_at=NOW - HOUR, ends_at=NOW).record_attendance("pending", now=NOW)
