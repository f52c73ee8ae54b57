"""An iCalendar (RFC 5545) file for one consultation, so the user can add it to a calendar.

Written by hand: one VEVENT needs no library (the tests read it back with `icalendar`).
Times are UTC (`…Z`); calendar apps show them in the phone's zone. The file tells the
truth about the booking (RFC 5545 3.8.1.11): `STATUS:TENTATIVE` while the consultant has
not accepted, `CONFIRMED` once they have, and a cancelled or declined booking is sent as
`METHOD:CANCEL` with `STATUS:CANCELLED` and the same UID (RFC 5546 3.2.5). `SEQUENCE` goes
up with each of these changes (`calendar_sequence`), so the newer file replaces the event
instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime

PRODID = "-//PLUT Front Desk//Booking//ID"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out: list[str] = []
    current = b""
    for ch in line:
        enc = ch.encode("utf-8")
        if len(current) + len(enc) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += enc
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


STATUSES = {"pending": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED", "declined": "CANCELLED"}


def calendar_sequence(version: int, status: str) -> int:
    """SEQUENCE of a booking's file: every version (moved, reassigned, cancelled) raises it,
    and so does the consultant's accepting, which keeps the version."""
    return 2 * (version - 1) + (1 if status in ("confirmed", "attended", "no_show") else 0)


def booking_ics(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str = "",
    location: str = "",
    created_at: datetime,
    sequence: int = 0,
    cancelled: bool = False,
    status: str = "CONFIRMED",
) -> bytes:
    """One VEVENT; `status` is TENTATIVE or CONFIRMED, `cancelled` makes it a cancellation."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'PUBLISH'}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(created_at)}",
        f"DTSTART:{_stamp(starts_at)}",
        f"DTEND:{_stamp(ends_at)}",
        f"SEQUENCE:{sequence}",
        f"STATUS:{'CANCELLED' if cancelled else status}",
        f"SUMMARY:{_escape(summary)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    if location:
        lines.append(f"LOCATION:{_escape(location)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
