"""Entity extractors: city, service_area, datetime, booking_ref (and any `regex:` in nlu/).

`EntityExtractor.extract(text, now, tz)` returns Rasa-shaped entities
`{"entity", "value", "start", "end", ...}` sorted by position. Extractors read the
user's original text so offsets point into what the user wrote.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.nlu.data import TrainingData
from bot.nlu.entities.city import CityExtractor
from bot.nlu.entities.datetime import DEFAULT_TZ, extract_datetimes
from bot.nlu.entities.service_area import SERVICE_AREAS, extract_service_areas

log = logging.getLogger(__name__)

__all__ = ["EntityExtractor", "extract_datetimes", "extract_service_areas", "SERVICE_AREAS", "DEFAULT_TZ"]


class EntityExtractor:
    def __init__(self, city: CityExtractor, regexes: dict[str, list[re.Pattern[str]]], synonyms: dict[str, str]) -> None:
        self.city = city
        self.regexes = regexes
        self.synonyms = synonyms

    @classmethod
    def build(cls, data: TrainingData, regions_csv: Path | None = None, common_words: set[str] | None = None) -> EntityExtractor:
        regexes: dict[str, list[re.Pattern[str]]] = {}
        for name, patterns in data.regexes.items():
            for p in patterns:
                try:
                    regexes.setdefault(name, []).append(re.compile(p, re.I))
                except re.error as exc:
                    log.warning("regex %s: %r is not a valid pattern (%s); skipped", name, p, exc)
        city = CityExtractor.build(data.lookups.get("city", []), data.synonyms, regions_csv, common_words or set())
        return cls(city, regexes, data.synonyms)

    def extract(self, text: str, now: datetime, tz: str = DEFAULT_TZ) -> list[dict[str, Any]]:
        text = text[:2000]
        ents: list[dict[str, Any]] = []
        for name, patterns in self.regexes.items():
            for pat in patterns:
                for m in pat.finditer(text):
                    value = m.group().upper() if name == "booking_ref" else m.group()
                    ents.append({"entity": name, "value": value, "start": m.start(), "end": m.end(),
                                 "text": m.group(), "extractor": "RegexEntityExtractor"})
        ents += self.city.extract(text)
        ents += extract_service_areas(text)
        ents += extract_datetimes(text, now, tz)
        # a booking reference is not also a city or a date
        refs = [(e["start"], e["end"]) for e in ents if e["extractor"] == "RegexEntityExtractor"]
        ents = [e for e in ents if e["extractor"] == "RegexEntityExtractor"
                or not any(s < e["end"] and e["start"] < t for s, t in refs)]
        ents.sort(key=lambda e: (e["start"], e["entity"]))
        return ents
