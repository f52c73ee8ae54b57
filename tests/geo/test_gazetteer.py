"""The regions gazetteer (data/*.csv) and the typed-place resolver."""

from __future__ import annotations

import csv

import pytest

from bot.config import ROOT
from bot.services.gazetteer import Gazetteer, resolve_place

DATA = ROOT / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_all_provinces_and_regencies_with_codes_and_zones() -> None:
    provinces, regions = _rows("provinces.csv"), _rows("regions.csv")
    assert len(provinces) == 38
    assert len(regions) == 514
    assert len({r["code"] for r in regions}) == 514
    prov_codes = {p["code"] for p in provinces}
    for r in regions:
        assert r["code"].split(".")[0] == r["province_code"] in prov_codes
        assert r["kind"] in ("kabupaten", "kota")
        assert r["timezone"] in ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")
    assert sum(r["kind"] == "kota" for r in regions) == 98  # 416 kabupaten + 98 kota (Kemendagri 2025)


def test_every_regency_has_coordinates_or_is_listed_with_a_reason() -> None:
    regions = _rows("regions.csv")
    unplaced = {u["code"]: u for u in _rows("regions_unplaced.csv")}
    for r in regions:
        if r["latitude"]:
            lat, lon = float(r["latitude"]), float(r["longitude"])
            assert -11.5 < lat < 6.5 and 94.5 < lon < 141.5, r["name"]  # inside Indonesia's extent
            assert r["coord_source"].startswith(("geonames:", "manual:")), r["name"]
        else:
            assert r["code"] in unplaced, f"{r['name']} has no coordinates and is not listed as unplaced"
            assert unplaced[r["code"]]["reason"]
    assert set(unplaced) == {r["code"] for r in regions if not r["latitude"]}


def test_hand_fixes_cite_a_source() -> None:
    for fix in _rows("regions_manual.csv"):
        assert fix["source"].strip(), fix


def test_time_zones_follow_the_province() -> None:
    gaz = Gazetteer.default()
    assert gaz.regions["33.22"].timezone == "Asia/Jakarta"  # Kab. Semarang, WIB
    assert gaz.regions["51.08"].timezone == "Asia/Makassar"  # Buleleng, WITA
    assert gaz.regions["91.06"].timezone == "Asia/Jayapura"  # Biak Numfor, WIT


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("plut terdekat dari Maros", "73.09"),
        ("PLUT di Jogja", "34.71"),
        ("where is the center in Kendari", "74.71"),
        ("Smarang kota", "33.74"),
        ("kab semarang", "33.22"),
        ("Kab. Semarang", "33.22"),
        ("Semarang Regency", "33.22"),
        ("semarang city", "33.74"),
        ("Kab. Malang", "35.07"),
        ("kota malang", "35.73"),
        ("Solo", "33.72"),
        ("Surakarta", "33.72"),
        ("Ujung Pandang", "73.71"),
        ("makasar", "73.71"),
        ("Singaraja", "51.08"),
        ("plut buleleng", "51.08"),
        ("Labuan Bajo", "53.15"),
        ("South Jakarta", "31.74"),
        ("jakarta selatan", "31.74"),
        ("Yogya", "34.71"),
        ("Surabya", "35.78"),
        ("Kendary", "74.71"),
        ("biak", "91.06"),
        ("Biak Numfor", "91.06"),
        ("di sleman", "34.04"),
        ("gunung kidul", "34.03"),
        ("Sidrap", "73.14"),
        ("Baubau", "74.72"),
        ("Toba Samosir", "12.12"),
        ("Palangka Raya", "62.71"),
        ("Pangkep", "73.10"),
        ("Wakatobi", "74.07"),
        ("lombok tengah", "52.02"),
        ("Lombok Utara", "52.08"),
        ("near batam", "21.71"),
        ("mojokerto city", "35.76"),
        ("kota palu", "72.71"),
        ("Sigi", "72.10"),
        ("Samarinda", "64.72"),
        ("klungkung", "51.05"),
        ("gianyar", "51.04"),
        ("Medan", "12.71"),
        ("Padang", "13.71"),
        ("Tangsel", "36.74"),
        ("malang jawa timur kota", "35.73"),
        ("sy di aceh tngah", "11.04"),  # a regency with a typo wins over its province
        ("aceh besar", "11.06"),
    ],
)
def test_typed_places_resolve_to_the_right_regency(text: str, code: str) -> None:
    res = resolve_place(text)
    assert res.status == "match", (text, res)
    assert res.place is not None and res.place.code == code, (text, res.place)


@pytest.mark.parametrize(
    ("text", "code"),
    [("Central Java", "33"), ("Jawa Tengah", "33"), ("DIY", "34"), ("Bali", "51"), ("Riau Islands", "21"), ("Sumut", "12")],
)
def test_provinces_resolve(text: str, code: str) -> None:
    res = resolve_place(text)
    assert res.status == "match" and res.place is not None
    assert res.place.kind == "provinsi" and res.place.code == code


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("semarang", {"33.22", "33.74"}),
        ("Smarang", {"33.22", "33.74"}),
        ("plut di malang", {"35.07", "35.73"}),
        ("bandung", {"32.04", "32.73"}),
        ("Jayapura, Papua", {"91.03", "91.71"}),
    ],
)
def test_ambiguous_names_offer_the_candidates(text: str, codes: set[str]) -> None:
    res = resolve_place(text)
    assert res.status == "ambiguous"
    assert {p.code for p in res.candidates} == codes


@pytest.mark.parametrize("text", ["Atlantis", "plut terdekat", "qwertyuiop", "??", ""])
def test_unknown_places(text: str) -> None:
    res = resolve_place(text)
    assert res.status == "unknown" and res.place is None and not res.candidates


def test_a_regency_without_a_seat_point_falls_back_to_the_provincial_capital() -> None:
    gaz = Gazetteer.default()
    place = gaz.regions["64.02"]  # Kutai Kartanegara: Tenggarong is not in GeoNames cities500
    assert place.coords == "province_capital"
    assert (place.latitude, place.longitude) == (gaz.provinces["64"].latitude, gaz.provinces["64"].longitude)
