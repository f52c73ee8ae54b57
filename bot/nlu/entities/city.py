"""The `city` entity: Indonesian regencies and cities, by name, nickname or near-miss.

The names come from the regions gazetteer (`data/regions.csv`: code, name, kind,
province, aliases, ...) when it exists, otherwise from the `city` lookup table and
synonyms in `nlu/`. Nicknames in the training data's synonyms ("Jogja", "Solo") work
in both cases. Typos ("Makasar", "Surabya") match by edit similarity, but only for
words the classifier does not already know as ordinary words ("malam" is not "Malang").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_PREFIX = re.compile(r"^(?:kota\s+administrasi|kota\s+adm\.?|kabupaten|kab\.?|kota)\s+", re.I)
# names that are ordinary words too: only with "kota"/"kab" before them
_NEEDS_PREFIX = frozenset({"batu", "banjar", "agam", "tengah", "barat", "timur", "utara", "selatan", "pasar",
                           "kota", "sinjai", "bone", "dompu", "kaur", "lahat", "nias", "muna", "buru", "seram"})
FUZZY_CUTOFF = 88.0


@dataclass
class _Place:
    value: str
    extras: dict[str, Any] = field(default_factory=dict)
    kind: str | None = None


def _key(name: str) -> str:
    return " ".join(_WORD.findall(_PREFIX.sub("", name.strip().lower())))


class CityExtractor:
    def __init__(self, names: dict[str, list[_Place]], common_words: set[str]) -> None:
        self.names = names
        self.common = common_words
        self._fuzzy_keys = [k for k in names if len(k) >= 5 and k not in _NEEDS_PREFIX]
        self._max_words = max((k.count(" ") + 1 for k in names), default=1)
        # Two-word names with a typo in the second word ("aceh tngah"): tried only after a word
        # that starts such a name, so ordinary messages cost nothing.
        self._pairs: dict[str, list[str]] = {}
        for k in names:
            first, _, second = k.partition(" ")
            if second and " " not in second and len(k) >= 8:
                self._pairs.setdefault(first, []).append(k)

    @classmethod
    def build(cls, lookup: list[str], synonyms: dict[str, str], regions_csv: Path | None,
              common_words: set[str]) -> CityExtractor:
        names: dict[str, list[_Place]] = {}

        def add(alias: str, place: _Place) -> None:
            k = _key(alias)
            if k and all(p.value != place.value for p in names.get(k, [])):
                names.setdefault(k, []).append(place)

        canonical: dict[str, _Place] = {}
        if regions_csv is not None and regions_csv.exists():
            with regions_csv.open(encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    name = (row.get("name") or "").strip()
                    if not name:
                        continue
                    extras = {k: row[k] for k in ("code", "province", "timezone") if row.get(k)}
                    place = _Place(name, extras, (row.get("kind") or "").strip().lower() or None)
                    canonical.setdefault(_key(name), place)
                    add(name, place)
                    for alias in re.split(r"[;|,]", row.get("aliases") or ""):
                        if alias.strip():
                            add(alias, place)
        else:
            for name in lookup:
                place = _Place(name)
                canonical.setdefault(_key(name), place)
                add(name, place)
        for alias, value in synonyms.items():
            target = canonical.get(_key(value))
            if target is not None:
                add(alias, target)
            elif not canonical and value in lookup:
                add(alias, _Place(value))
        city_words = {w for k in names for w in k.split()}
        return cls(names, {w for w in common_words if w not in city_words})

    def extract(self, text: str) -> list[dict[str, Any]]:
        words = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text[:2000])]
        out: list[dict[str, Any]] = []
        i = 0
        while i < len(words):
            found = None
            for n in range(min(self._max_words, len(words) - i), 0, -1):
                span = words[i : i + n]
                key = " ".join(w for w, _, _ in span)
                places = self.names.get(key)
                score = 100.0
                if places is None and len(key) >= 5 and n == 1 and key not in self.common and not key.isdigit():
                    hit = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
                    if hit is not None:
                        places, score = self.names[hit[0]], hit[1]
                if places is None and n == 2 and span[0][0] in self._pairs and span[1][0] not in self.common:
                    hit = process.extractOne(key, self._pairs[span[0][0]], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
                    if hit is not None:
                        places, score = self.names[hit[0]], hit[1]
                if places is None:
                    continue
                prefix = words[i - 1][0] if i > 0 else ""
                prefixed = prefix in ("kota", "kab", "kabupaten")
                if key in _NEEDS_PREFIX and not prefixed:
                    continue
                start = words[i - 1][1] if prefixed else span[0][1]
                found = (n, self._choose(places, prefix), start, span[-1][2], score)
                break
            if found is None:
                i += 1
                continue
            n, place, start, end, score = found
            ent = {"entity": "city", "value": place.value, "start": start, "end": end,
                   "text": text[start:end], "confidence_entity": round(score / 100, 2), "extractor": "CityExtractor"}
            ent.update(place.extras)
            out.append(ent)
            i += n
        return out

    @staticmethod
    def _choose(places: list[_Place], prefix: str) -> _Place:
        want = {"kota": "kota", "kab": "kabupaten", "kabupaten": "kabupaten"}.get(prefix)
        for p in places:
            if want and p.kind == want:
                return p
        for p in places:
            if p.kind == "kota":
                return p
        return places[0]
