"""Where is that? Typed place names → a regency/city or province of Indonesia.

    gaz = Gazetteer.default()
    gaz.resolve("plut terdekat dari Maros")   # Resolution(status="match", place=Kabupaten Maros)
    gaz.resolve("semarang")                   # status="ambiguous": Kabupaten vs Kota Semarang
    gaz.resolve("Atlantis")                   # status="unknown"

Works on raw chat text: drops words like "plut", "terdekat", "di", "near", reads "kab"/"kota"/
"regency"/"city"/"provinsi" as hints, turns English directions ("South Jakarta") into the
Indonesian order, and forgives typos with rapidfuzz. Loaded once from `data/regions.csv` and
`data/provinces.csv` (built by `data/build_regions.py`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz, process

from bot.config import ROOT

DATA_DIR = ROOT / "data"

# Words that carry no place: chat filler in both languages, and our own name.
STOP_WORDS = frozenset(
    """
    plut kumkm plutkumkm ukm umkm pusat layanan usaha terpadu center centre centers centres office kantor
    terdekat dekat deket paling yang di dari ke dekat sekitar daerah wilayah lokasi alamat address location
    mana dimana manakah ada apa apakah cari carikan mencari tolong mohon minta info informasi
    saya aku sy gw gue kami tinggal domisili rumah dari asal buka jam berapa kapan
    near nearest closest the a an in at of from around where is are there any to find me my i live
    please pls show what which for plut's area
    """.split()
)
KIND_WORDS = {
    "kab": "kabupaten", "kabupaten": "kabupaten", "kabupatennya": "kabupaten", "regency": "kabupaten", "district": "kabupaten",
    "kota": "kota", "kotanya": "kota", "kodya": "kota", "kotamadya": "kota", "city": "kota", "town": "kota",
    "prov": "provinsi", "provinsi": "provinsi", "propinsi": "provinsi", "province": "provinsi",
}
DIRECTIONS_EN = {
    "north": "utara", "south": "selatan", "east": "timur", "west": "barat", "central": "tengah",
    "southeast": "tenggara", "southwest": "barat daya", "northwest": "barat laut", "northeast": "timur laut",
}
WORDS_EN = {"java": "jawa", "sumatra": "sumatera", "islands": "kepulauan", "island": "pulau", "borneo": "kalimantan"}

Kind = Literal["kabupaten", "kota", "provinsi"]


def normalise(text: str) -> str:
    """Lower case ASCII words separated by single spaces ("Kab. Gunungkidul!" → "kab gunungkidul")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True, slots=True)
class Place:
    """A province or a kabupaten/kota, with a point to measure distances from."""

    code: str
    name: str
    kind: Kind
    province_code: str
    province: str
    latitude: float | None
    longitude: float | None
    timezone: str
    seat: str = ""
    coords: Literal["seat", "province_capital", "capital", "none"] = "seat"
    """Where the point is: the regency seat, the province capital (for a regency GeoNames
    could not place, or for a province), or nowhere."""

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def label(self) -> str:
        return self.name if self.kind == "provinsi" else f"{self.name}, {self.province}"


@dataclass(frozen=True, slots=True)
class Resolution:
    status: Literal["match", "ambiguous", "unknown"]
    query: str
    place: Place | None = None
    candidates: tuple[Place, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Entry:
    place: Place
    tier: int  # 0 official name, 1 alias, 2 seat town, 3 province


class Gazetteer:
    """All provinces and kabupaten/kota, indexed for typed-place lookups."""

    def __init__(self, provinces: list[Place], regions: list[Place], aliases: dict[str, list[str]], seats: dict[str, str]) -> None:
        self.provinces = {p.code: p for p in provinces}
        self.regions = {r.code: r for r in regions}
        self._index: dict[str, list[_Entry]] = defaultdict(list)
        for r in regions:
            short = normalise(_short(r.name))
            self._add(short, r, 0)
            self._add(normalise(r.name), r, 0)
            self._add(f"{'kab' if r.kind == 'kabupaten' else 'kota'} {short}", r, 0)
            self._add(short.replace(" ", ""), r, 0)
            for alias in aliases.get(r.code, ()):
                self._add(normalise(alias), r, 1)
            if seats.get(r.code):
                self._add(normalise(seats[r.code]), r, 2)
        for p in provinces:
            self._add(normalise(p.name), p, 3)
            self._add(normalise(p.name).replace(" ", ""), p, 3)
            for alias in aliases.get(p.code, ()):
                self._add(normalise(alias), p, 3)
        self._keys = list(self._index)
        self._province_keys = {k for k, es in self._index.items() if any(e.place.kind == "provinsi" for e in es)}

    def _add(self, key: str, place: Place, tier: int) -> None:
        if not key:
            return
        entries = self._index[key]
        if not any(e.place.code == place.code for e in entries):
            entries.append(_Entry(place, tier))

    # --- loading -------------------------------------------------------------------------

    @classmethod
    def from_dir(cls, data_dir: Path) -> Gazetteer:
        provinces: list[Place] = []
        aliases: dict[str, list[str]] = {}
        seats: dict[str, str] = {}
        with (data_dir / "provinces.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                provinces.append(
                    Place(
                        code=row["code"], name=row["name"], kind="provinsi", province_code=row["code"], province=row["name"],
                        latitude=float(row["latitude"]), longitude=float(row["longitude"]), timezone=row["timezone"],
                        seat=row["capital"], coords="capital",
                    )
                )
                aliases[row["code"]] = [a for a in row["aliases"].split("|") if a]
        by_code = {p.code: p for p in provinces}
        regions: list[Place] = []
        with (data_dir / "regions.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                prov = by_code[row["province_code"]]
                if row["latitude"]:
                    lat, lon, coords = float(row["latitude"]), float(row["longitude"]), "seat"
                elif prov.latitude is not None and prov.longitude is not None:
                    lat, lon, coords = prov.latitude, prov.longitude, "province_capital"
                else:
                    raise ValueError(f"region {row['code']} has no coordinates and its province none either")
                regions.append(
                    Place(
                        code=row["code"], name=row["name"], kind=row["kind"], province_code=prov.code,  # type: ignore[arg-type]
                        province=prov.name, latitude=lat, longitude=lon, timezone=row["timezone"],
                        seat=row["seat"], coords=coords,  # type: ignore[arg-type]
                    )
                )
                aliases[row["code"]] = [a for a in row["aliases"].split("|") if a]
                seats[row["code"]] = row["seat"]
        return cls(provinces, regions, aliases, seats)

    @staticmethod
    @lru_cache(maxsize=4)
    def _cached(data_dir: str) -> Gazetteer:
        return Gazetteer.from_dir(Path(data_dir))

    @classmethod
    def default(cls, data_dir: Path | None = None) -> Gazetteer:
        """The gazetteer of `data_dir` (default: the repo's `data/`), loaded once per process."""
        return cls._cached(str((data_dir or DATA_DIR).resolve()))

    def get(self, code: str) -> Place | None:
        return self.regions.get(code) or self.provinces.get(code)

    # --- resolving -----------------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        """What place `text` names: one match, a few candidates to ask about, or unknown."""
        words, kind = _clean(text)
        query = " ".join(words)
        if not words:
            return Resolution("unknown", query)
        whole = self._index.get(query)
        if whole:
            return self._decide(query, whole, kind, None)
        # A province named after a regency narrows it down ("malang jawa timur").
        province, words = self._split_province(words)
        phrases = _phrases(words)
        for i, phrase in enumerate(phrases):
            entries = self._index.get(phrase)
            if entries:
                if all(e.place.kind == "provinsi" for e in entries) and kind != "provinsi":
                    # A regency wins over its province: "aceh tngah" is Aceh Tengah, mistyped.
                    closer = self._fuzzy_region(phrases[:i], phrase)
                    if closer is not None:
                        return self._decide(query, closer, kind, province)
                return self._decide(query, entries, kind, province)
        # Typos: the closest keys for the whole query, then for its parts.
        for phrase in phrases:
            if len(phrase) < 4:
                continue
            cutoff = 80 if len(phrase) >= 6 else 85
            hits = process.extract(phrase, self._keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8)
            if not hits:
                continue
            best = hits[0][1]
            entries = [e for key, score, _ in hits if score >= best - 0.01 for e in self._index[key]]
            return self._decide(query, entries, kind, province)
        if province is not None:
            return Resolution("match", query, province)
        return Resolution("unknown", query)

    def _fuzzy_region(self, longer: list[str], within: str) -> list[_Entry] | None:
        """Regencies whose name is a near-miss of a phrase longer than `within` that contains it."""
        for phrase in longer:
            if within not in phrase or len(phrase) < 6:
                continue
            hits = process.extract(phrase, self._keys, scorer=fuzz.ratio, score_cutoff=85, limit=4)
            regions = [e for key, _, _ in hits for e in self._index[key] if e.place.kind != "provinsi"]
            if regions:
                best = max(fuzz.ratio(phrase, normalise(e.place.name)) for e in regions)
                return [e for e in regions if fuzz.ratio(phrase, normalise(e.place.name)) >= best - 0.01] or regions
        return None

    def _split_province(self, words: list[str]) -> tuple[Place | None, list[str]]:
        for n in range(min(4, len(words) - 1), 0, -1):
            tail = " ".join(words[-n:])
            if tail in self._province_keys:
                provs = [e.place for e in self._index[tail] if e.place.kind == "provinsi"]
                return provs[0], words[:-n]
        return None, words

    def _decide(self, query: str, entries: list[_Entry], kind: Kind | None, province: Place | None) -> Resolution:
        if province is not None:
            inside = [e for e in entries if e.place.province_code == province.code]
            entries = inside or entries
        if kind is not None:
            same = [e for e in entries if e.place.kind == kind]
            entries = same or entries
        best_tier = min(e.tier for e in entries)
        # Regions win over provinces; official names over aliases over seat towns.
        top = [e.place for e in entries if e.tier == best_tier]
        unique = list({p.code: p for p in top}.values())
        if len(unique) == 1:
            return Resolution("match", query, unique[0])
        unique.sort(key=lambda p: (p.kind != "kota", p.code))
        return Resolution("ambiguous", query, None, tuple(unique[:6]))


def _short(official: str) -> str:
    return re.sub(r"(?i)^(kabupaten|kota)\s+(administrasi\s+)?", "", official)


def _clean(text: str) -> tuple[list[str], Kind | None]:
    """Place words and the kind hint, in Indonesian order ("south jakarta" → ["jakarta", "selatan"])."""
    raw = normalise(text).split()
    kind: Kind | None = None
    words: list[str] = []
    pending: list[str] = []  # English directions wait for the name they qualify
    for w in raw:
        if w in KIND_WORDS:
            kind = KIND_WORDS[w]  # type: ignore[assignment]
            continue
        if w in STOP_WORDS:
            continue
        if w in DIRECTIONS_EN:
            pending.append(DIRECTIONS_EN[w])
            continue
        w = WORDS_EN.get(w, w)
        words.append(w)
        if pending:
            words.extend(pending)
            pending = []
    words.extend(pending)
    # "kepulauan" from "... islands" belongs in front ("riau islands" → "kepulauan riau").
    if words and words[-1] == "kepulauan" and len(words) > 1:
        words = ["kepulauan", *words[:-1]]
    return words, kind


def _phrases(words: list[str]) -> list[str]:
    """Every run of consecutive words, longest first (then left to right)."""
    out: list[str] = []
    n = len(words)
    for size in range(min(n, 5), 0, -1):
        for i in range(0, n - size + 1):
            out.append(" ".join(words[i : i + size]))
    return out


def resolve_place(text: str) -> Resolution:
    """`Gazetteer.default().resolve(text)`: the plain function the NLU reuses."""
    return Gazetteer.default().resolve(text)
