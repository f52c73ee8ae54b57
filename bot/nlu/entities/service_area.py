"""The `service_area` entity: which of the seven consulting fields a message is about.

Values are the booking system's codes; the codes, names and keywords (and why a disputed
word such as "ekspor" goes where it goes) live in `bot.domain.areas`, the one vocabulary
booking, hand-off and the admin pages read too.
"""

from __future__ import annotations

from typing import Any

from bot.domain.areas import SERVICE_AREAS, find_service_areas

__all__ = ["SERVICE_AREAS", "extract_service_areas"]


def extract_service_areas(text: str) -> list[dict[str, Any]]:
    return [
        {"entity": "service_area", "value": m.code, "start": m.start, "end": m.end, "text": m.text,
         "extractor": "ServiceAreaExtractor"}
        for m in find_service_areas(text)
    ]
