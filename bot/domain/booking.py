"""Booking rules: states and their transitions, references, reminders. No I/O.

A booking is `pending` until its consultant accepts (`confirmed`) or declines. A decline
hands it to another free consultant of the same field (still `pending`) or, when nobody
is free, ends it as `declined`. The user may cancel while it is active. Only *active*
bookings hold their consultant's slot; the database enforces that with a partial unique
index over (consultant_id, starts_at) for these states.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


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
