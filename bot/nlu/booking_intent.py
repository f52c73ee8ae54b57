""""booking …" with a field, a day or a center is a new booking, not a look at an old one.

The classifier learned "booking" mostly from "cek booking saya", so "ya udh booking pemasaran
aja, hari jumat pagi" leaned to `check_booking` below the threshold and met the fallback.
Looking at, moving or cancelling a booking needs words about an existing one ("booking
saya", "cek", "status", "batal", "pindah") or its reference; without them, the word
"booking" next to what a new booking needs starts one; so does "consultation" with a field,
when the classifier already leaned to booking. Pure: text, ranking and entities in.
"""

from __future__ import annotations

import re
from typing import Any

BOOK_INTENT = "book_consultation"
CONFIDENCE = 0.9

_BOOK = re.compile(r"\b(?:booking|book|boking|bokking|bookin|booked|reservasi|reserve|pesan|pesen)\b")
_CONSULT = re.compile(r"\b(?:konsultasi|konsul|konsultan|consultation|consult|consulting)\b")
_EXISTING = re.compile(
    r"\b(?:booking(?:an)?\s*(?:saya|sy|ku|aku|gue|gw|sya)|(?:my|our|the)\s+booking|bookingku|bookinganku|"
    r"cek|check|status|lihat|liat|kode|code|reference|ref|batal\w*|cancel\w*|pindah\w*|resched\w*|ganti|ubah|geser|"
    r"undur|majukan|move|change|konfirmasi|confirm\w*|"
    # "what have I got booked?": a booking made already
    r"(?:have|did|had)\s+(?:i|we)\s+(?:got\s+)?booked)\b|\bplut-[0-9a-z]{4,}")
_NEW_BOOKING_ENTITIES = frozenset({"service_area", "datetime", "city"})


def prefer_new_booking(text: str, ranking: list[tuple[str, float]], entities: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """`ranking` with `book_consultation` first when the message books something new."""
    if not ranking or (ranking[0][0] == BOOK_INTENT and ranking[0][1] >= CONFIDENCE):
        return ranking
    low = text.lower()
    kinds = {e.get("entity") for e in entities}
    names_new = bool(kinds & _NEW_BOOKING_ENTITIES) or ranking[0][0] == "check_booking"
    # "I need a consultation on digital marketing": the classifier's own first guess, made sure
    said = _BOOK.search(low) or (ranking[0][0] == BOOK_INTENT and _CONSULT.search(low) and "?" not in low)
    if not said or not names_new or "booking_ref" in kinds or _EXISTING.search(low):
        return ranking
    current = dict(ranking)
    current[BOOK_INTENT] = max(current.get(BOOK_INTENT, 0.0), CONFIDENCE)
    return sorted(current.items(), key=lambda kv: kv[1], reverse=True)
