"""Booking rules: the `Booking` entity, its states and events, references, reminders. No I/O.

A booking is `pending` until its consultant accepts (`confirmed`) or declines. A decline
hands it to another free consultant of the same field (still `pending`) or, when nobody
is free, ends it as `declined`. The user may cancel or move it while it is active and
ahead; staff record afterwards whether the owner came. Only *active* bookings hold their
consultant's slot; the database enforces that with a partial unique index over
(consultant_id, starts_at) for these states.

Every change of state is a method of `Booking`, which checks its rule, raises a
`BookingError` when it is broken, and records what happened as an event in
`Booking.events` (cosmicpython's `Product.allocate` recording `events.Allocated`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    ATTENDED = "attended"
    """Set by center staff after the consultation took place."""
    NO_SHOW = "no_show"
    """Set by center staff when the owner did not come."""


ACTIVE_STATUSES: tuple[str, ...] = (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value)
"""The states that occupy a consultant's slot (the partial unique index names them too)."""


class BookingError(Exception):
    """A broken booking rule. `code` names the rule for the message shown to the user."""

    code = "booking_error"


class SlotTaken(BookingError):
    """Someone else holds or booked this slot first."""

    code = "slot_taken"


class SlotUnavailable(BookingError):
    """The time is not a slot any more: past, too soon, beyond the horizon, closed or outside hours."""

    code = "slot_unavailable"


class BookingNotFound(BookingError):
    """No booking with that reference belongs to this person (we do not tell which)."""

    code = "not_found"


class InvalidTransition(BookingError):
    code = "invalid_transition"

    def __init__(self, status: str, change: str) -> None:
        super().__init__(f"a {status} booking cannot be {change}")
        self.status, self.change = status, change


class NotTheConsultant(BookingError):
    """Only the consultant a booking is assigned to may accept or decline it."""

    code = "not_the_consultant"


# change -> (states it may start from, state it leads to; None keeps the state)
_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "accepted": (frozenset({"pending"}), "confirmed"),
    "declined": (frozenset({"pending", "confirmed"}), "declined"),
    "reassigned": (frozenset({"pending", "confirmed"}), "pending"),
    "cancelled": (frozenset({"pending", "confirmed"}), "cancelled"),
    "rescheduled": (frozenset({"pending", "confirmed"}), None),
    # staff record what happened once the consultation has begun; either may be corrected
    "attended": (frozenset({"pending", "confirmed", "no_show"}), "attended"),
    "no_show": (frozenset({"pending", "confirmed", "attended"}), "no_show"),
}


def transition(status: str, change: str) -> str:
    """The state after `change`, or `InvalidTransition` (e.g. cancelling a cancelled booking)."""
    allowed, target = _TRANSITIONS[change]
    if status not in allowed:
        raise InvalidTransition(status, change)
    return target or status


def is_active(status: str) -> bool:
    return status in ACTIVE_STATUSES


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingEvent:
    """Something that happened to a booking; `version` is the booking's version after it."""

    ref: str
    version: int


@dataclass(frozen=True, slots=True)
class BookingRequested(BookingEvent):
    consultant_id: int
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class BookingAccepted(BookingEvent):
    consultant_id: int


@dataclass(frozen=True, slots=True)
class BookingReassigned(BookingEvent):
    """A consultant declined and another one of the field, free then, took the booking over."""

    declined_by: int
    consultant_id: int


@dataclass(frozen=True, slots=True)
class BookingDeclined(BookingEvent):
    """A consultant declined and nobody else was free: the booking has ended."""

    declined_by: int
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class BookingCancelled(BookingEvent):
    consultant_id: int
    starts_at: datetime
    reason: str | None = None
    """Why, when it is not the owner's plain wish: `ERASURE` (the owner had their data erased)."""


ERASURE = "erasure"
"""The reason of a booking cancelled because its owner asked for their personal data to be erased."""


@dataclass(frozen=True, slots=True)
class BookingRescheduled(BookingEvent):
    previous_start: datetime
    starts_at: datetime
    previous_consultant_id: int
    consultant_id: int


@dataclass(frozen=True, slots=True)
class AttendanceRecorded(BookingEvent):
    status: str
    """`attended` or `no_show`."""


# --- the entity -------------------------------------------------------------------------------


class BookingFields(Protocol):
    """The state a `Booking` reads and changes. The database row
    (`bot.storage.models.Booking`) has these fields, and so can any plain object."""

    ref: str
    consultant_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    version: int
    declined_by: list[Any]
    updated_at: datetime


@dataclass(eq=False)
class Booking:
    """A consultation booking with its rules: one method per change of state.

    The entity wraps the fields it governs (`BookingFields`, in practice the ORM row)
    instead of copying them: the row stays the one copy of the state, so there is nothing
    to map back and the unit of work flushes exactly what a method changed. The methods
    never touch the database; a use case loads the row, calls one of them, and reads
    `events` to decide whom to tell.
    """

    state: BookingFields
    events: list[BookingEvent] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return self.state.ref

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def is_active(self) -> bool:
        return is_active(self.state.status)

    @staticmethod
    def initial_fields(starts_at: datetime, duration: timedelta, now: datetime) -> dict[str, Any]:
        """The state of a booking about to be requested: pending, version 1, declined by nobody."""
        return {"starts_at": starts_at, "ends_at": starts_at + duration, "status": BookingStatus.PENDING.value,
                "version": 1, "declined_by": [], "created_at": now, "updated_at": now}

    @classmethod
    def requested(cls, state: BookingFields, *, now: datetime) -> Booking:
        """The booking just written for a slot: pending, and not in the past."""
        if state.status != BookingStatus.PENDING:
            raise InvalidTransition(state.status, "requested")
        if state.starts_at < now:
            raise SlotUnavailable("that time has passed")
        booking = cls(state)
        booking._record(BookingRequested(state.ref, state.version, state.consultant_id, state.starts_at))
        return booking

    def _record(self, event: BookingEvent) -> None:
        self.events.append(event)

    def _changed(self, now: datetime) -> None:
        self.state.version += 1
        self.state.updated_at = now

    def _check_consultant(self, consultant_id: int) -> None:
        if self.state.consultant_id != consultant_id:
            raise NotTheConsultant(self.state.ref)

    def _check_ahead(self, change: str, now: datetime) -> None:
        if self.state.ends_at <= now:
            raise InvalidTransition("past", change)

    def accept(self, consultant_id: int, *, now: datetime) -> bool:
        """The assigned consultant accepts. False (and no event) when it was already
        confirmed: a second tap on Accept changes nothing. The version stays, so the
        user's notice keeps the idempotency key it had."""
        self._check_consultant(consultant_id)
        if self.state.status == BookingStatus.CONFIRMED:
            return False
        self.state.status = transition(self.state.status, "accepted")
        self.state.updated_at = now
        self._record(BookingAccepted(self.state.ref, self.state.version, consultant_id))
        return True

    def decline(self, consultant_id: int) -> list[int]:
        """The assigned consultant cannot take it: remembered, so no reassignment goes back
        to them. Returns everyone who declined. Follow with `reassign` or `end_declined`."""
        self._check_consultant(consultant_id)
        transition(self.state.status, "declined")
        declined = sorted({*(self.state.declined_by or []), consultant_id})
        self.state.declined_by = declined
        return declined

    def reassign(self, consultant_id: int, *, now: datetime) -> None:
        """Another consultant of the field, free at that time, takes the declined booking over."""
        if consultant_id in (self.state.declined_by or []):
            raise InvalidTransition(self.state.status, "reassigned to a consultant who declined it")
        self.state.status = transition(self.state.status, "reassigned")
        declined_by = self.state.consultant_id
        self.state.consultant_id = consultant_id
        self._changed(now)
        self._record(BookingReassigned(self.state.ref, self.state.version, declined_by, consultant_id))

    def end_declined(self, *, now: datetime) -> None:
        """Nobody else is free: the declined booking ends."""
        self.state.status = transition(self.state.status, "declined")
        self._changed(now)
        self._record(BookingDeclined(self.state.ref, self.state.version, self.state.consultant_id, self.state.starts_at))

    def cancel(self, *, now: datetime, reason: str | None = None) -> None:
        """The user cancels a booking that is active and not over yet (`reason` ERASURE: because
        they asked for their data to be erased)."""
        self._check_ahead("cancelled", now)
        self.state.status = transition(self.state.status, "cancelled")
        self._changed(now)
        self._record(BookingCancelled(self.state.ref, self.state.version, self.state.consultant_id, self.state.starts_at,
                                      reason))

    def check_reschedule(self, *, now: datetime) -> None:
        """`InvalidTransition` unless the booking may still be moved (active and ahead);
        lets a use case refuse before it looks for free consultants."""
        transition(self.state.status, "rescheduled")
        self._check_ahead("rescheduled", now)

    def reschedule(self, starts_at: datetime, duration: timedelta, consultant_id: int, *, now: datetime) -> None:
        """Move the booking to `starts_at` with `consultant_id` (the same one when free). A new
        consultant has not accepted yet, so the booking is pending again."""
        self.check_reschedule(now=now)
        if starts_at < now:
            raise SlotUnavailable("that time has passed")
        previous_start, previous_consultant = self.state.starts_at, self.state.consultant_id
        if consultant_id != previous_consultant:
            self.state.status = transition(self.state.status, "reassigned")
        self.state.consultant_id = consultant_id
        self.state.starts_at, self.state.ends_at = starts_at, starts_at + duration
        self._changed(now)
        self._record(BookingRescheduled(self.state.ref, self.state.version, previous_start, starts_at,
                                        previous_consultant, consultant_id))

    def record_attendance(self, status: str, *, now: datetime) -> None:
        """Staff record whether the owner came (`attended` or `no_show`), once the
        consultation has begun; a wrong record may be corrected."""
        if status not in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW):
            raise ValueError(f"attendance is attended or no_show, not {status!r}")
        if self.state.starts_at > now:
            raise InvalidTransition("future", status)
        self.state.status = transition(self.state.status, status)
        self._changed(now)
        self._record(AttendanceRecorded(self.state.ref, self.state.version, status))

    def forget_last_event(self) -> BookingEvent:
        """Drop the last event: the database refused the change it recorded (a savepoint
        rolled back, the row was reloaded), so it did not happen."""
        return self.events.pop()


# --- references -------------------------------------------------------------------------------

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""32 symbols without 0/O and 1/I, which people mix up when they read or type them."""
REFERENCE_PREFIX = "PLUT-"
REFERENCE_LENGTH = 4
_REF_IN_TEXT = re.compile(r"\bPLUT\s*[-_ ]?\s*([A-Z0-9]{4})\b|\b([A-Z0-9]{4})\b", re.IGNORECASE)


def new_reference(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """`PLUT-7K3M`: short enough to read over the phone, about a million possibilities;
    the database's unique constraint catches the rare repeat and the caller draws again."""
    return REFERENCE_PREFIX + "".join(REFERENCE_ALPHABET[randbelow(32)] for _ in range(REFERENCE_LENGTH))


def find_reference(text: str) -> str | None:
    """The booking reference in a message ("batalkan plut 7k3m", "PLUT-7K3M"), normalised,
    or None. A bare 4-symbol code counts only when it holds a digit (so "mau" or "BISA" do not)."""
    for m in _REF_IN_TEXT.finditer(text or ""):
        code = (m.group(1) or m.group(2)).upper()
        if m.group(2) is not None and not any(c.isdigit() for c in code):
            continue
        if all(c in REFERENCE_ALPHABET for c in code):
            return REFERENCE_PREFIX + code
    return None


# --- reminders --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str
    at: datetime


REMINDERS: tuple[tuple[str, timedelta], ...] = (
    ("reminder.day_before", timedelta(hours=24)),
    ("reminder.2h", timedelta(hours=2)),
)


def reminders_for(starts_at: datetime, now: datetime) -> list[Reminder]:
    """The reminders still ahead: a day before and two hours before the consultation."""
    return [Reminder(kind, starts_at - before) for kind, before in REMINDERS if starts_at - before > now]
