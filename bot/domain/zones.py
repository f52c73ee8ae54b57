"""Indonesia's time zones: the IANA names centers are stored with, and what people call them.

Indonesia has three zones, WIB (UTC+7), WITA (UTC+8) and WIT (UTC+9). Asia/Pontianak is
WIB too (West Kalimantan keeps its own IANA entry). Times are stored in UTC and shown in
the center's zone with its abbreviation ("10.00 WITA").
"""

from __future__ import annotations

WIB = "Asia/Jakarta"
WITA = "Asia/Makassar"
WIT = "Asia/Jayapura"

DEFAULT_ZONE = WIB
"""The zone when nothing better is known: the ministry's, and where most centers are."""

ZONE_ABBR: dict[str, str] = {WIB: "WIB", "Asia/Pontianak": "WIB", WITA: "WITA", WIT: "WIT"}

ZONES: tuple[str, ...] = tuple(ZONE_ABBR)
"""Every zone a center may be in."""


def zone_abbreviation(tz: str) -> str:
    """`WIB`, `WITA` or `WIT`; any other zone is shown by its name."""
    return ZONE_ABBR.get(tz, tz)
