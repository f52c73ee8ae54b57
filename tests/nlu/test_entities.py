"""Entities: datetime (against a fixed clock, WIB and WITA), city, service_area, booking_ref."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.nlu.data import load_training_data
from bot.nlu.embedded import EmbeddedNLU
from bot.nlu.entities import EntityExtractor, extract_datetimes, extract_service_areas
from tests.nlu.conftest import NOW, ROOT

# NOW is Wednesday 25 November 2026, 09:00 WIB = 10:00 WITA.
DATE_PHRASES = [
    ("besok jam 10", "2026-11-26T10:00:00", "hour"),
    ("senin depan jam 14.00", "2026-11-30T14:00:00", "hour"),
    ("lusa pagi", "2026-11-27T09:00:00", "hour"),
    ("tgl 5 desember jam 9", "2026-12-05T09:00:00", "hour"),
    ("27/11 jam 13:30", "2026-11-27T13:30:00", "minute"),
    ("next monday 2pm", "2026-11-30T14:00:00", "hour"),
    ("tomorrow at 10am", "2026-11-26T10:00:00", "hour"),
    ("jumat jam 3 sore", "2026-11-27T15:00:00", "hour"),
    ("hari ini jam 2", "2026-11-25T14:00:00", "hour"),
    ("tanggal 2 januari", "2027-01-02T00:00:00", "day"),
    ("december 5 at 9:30am", "2026-12-05T09:30:00", "minute"),
]


@pytest.mark.parametrize(("tz", "offset"), [("Asia/Jakarta", "+07:00"), ("Asia/Makassar", "+08:00")])
@pytest.mark.parametrize(("phrase", "local", "grain"), DATE_PHRASES)
def test_date_phrases_resolve(phrase: str, local: str, grain: str, tz: str, offset: str) -> None:
    text = f"mau konsultasi {phrase} ya min"
    ents = extract_datetimes(text, NOW, tz)
    assert len(ents) == 1, ents
    ent = ents[0]
    assert ent["value"] == local + offset
    assert ent["grain"] == grain
    assert text[ent["start"]:ent["end"]] == phrase


def test_time_alone_means_the_next_such_time_in_the_users_zone() -> None:
    # 09:00 in Jakarta: "jam 9.30" is still today; 10:00 in Makassar: "jam 9.30" is tomorrow
    assert extract_datetimes("jam 9.30", NOW, "Asia/Jakarta")[0]["value"] == "2026-11-25T09:30:00+07:00"
    assert extract_datetimes("jam 9.30", NOW, "Asia/Makassar")[0]["value"] == "2026-11-26T09:30:00+08:00"


def test_local_date_follows_the_zone_near_midnight() -> None:
    late = datetime.fromisoformat("2026-11-25T23:30:00+07:00")  # already Thursday in WITA
    assert extract_datetimes("besok jam 10", late, "Asia/Jakarta")[0]["value"] == "2026-11-26T10:00:00+07:00"
    assert extract_datetimes("besok jam 10", late, "Asia/Makassar")[0]["value"] == "2026-11-27T10:00:00+08:00"


@pytest.mark.parametrize("text", [
    "tanggal 31 februari", "besok jam 25", "31/13 jam 10", "jam 10.75", "selamat malam", "pagi min",
    "harganya 10.000", "kapan2 aja", "13pm", "nomor 0812-3456",
])
def test_unresolvable_phrases_give_no_entity(text: str) -> None:
    assert extract_datetimes(text, NOW) == []


@pytest.mark.parametrize(("text", "value", "span"), [
    ("2026-11-26 09:00", "2026-11-26T09:00:00+07:00", "2026-11-26 09:00"),  # ISO, as booking answers read it
    ("ya min jam 10", "2026-11-25T10:00:00+07:00", "jam 10"),  # "min" is no Sunday and takes no hour
    ("fri 10am", "2026-11-25T10:00:00+07:00", "10am"),  # a lone abbreviation is no day in a sentence
    ("besuk jam 9", "2026-11-26T09:00:00+07:00", "besuk jam 9"),
    ("nanti jam 3", "2026-11-25T15:00:00+07:00", "nanti jam 3"),
])
def test_shared_grammar_in_a_sentence(text: str, value: str, span: str) -> None:
    ents = extract_datetimes(text, NOW)
    assert [(e["value"], text[e["start"]:e["end"]]) for e in ents] == [(value, span)]


@pytest.mark.parametrize("text", ["nanti dulu ya kak", "min ini bot ya", "lanjut nanti ya"])
def test_not_now_is_no_date(text: str) -> None:
    assert extract_datetimes(text, NOW) == []


def test_a_recent_past_day_is_next_year_in_a_sentence() -> None:
    # the booking answer keeps 20/11 this year to say it has passed; a sentence means next year
    assert extract_datetimes("20/11", NOW)[0]["value"] == "2027-11-20T00:00:00+07:00"


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor.build(load_training_data(ROOT / "nlu"), None, {"malam", "selamat", "modal", "pagi"})


def _cities(extractor: EntityExtractor, text: str) -> list[str]:
    return [e["value"] for e in extractor.extract(text, NOW) if e["entity"] == "city"]


@pytest.mark.parametrize(("text", "city"), [
    ("plut di jogja dmn", "Yogyakarta"),
    ("ada plut di Solo?", "Surakarta"),
    ("alamat plut makassar", "Makassar"),
    ("plut Makasar dimana", "Makassar"),  # typo
    ("sy di surabya", "Surabaya"),        # typo
    ("labuan bajo ada plut?", "Manggarai Barat"),
    ("kab maros", "Maros"),
    ("plut lombok tengah", "Lombok Tengah"),
])
def test_city(extractor: EntityExtractor, text: str, city: str) -> None:
    assert _cities(extractor, text) == [city]


@pytest.mark.parametrize("text", ["selamat malam min", "butuh modal", "pagi kak", "mau konsultasi"])
def test_ordinary_words_are_not_cities(extractor: EntityExtractor, text: str) -> None:
    assert _cities(extractor, text) == []


def test_city_prefers_the_gazetteer(tmp_path: Path) -> None:
    csv = tmp_path / "regions.csv"
    csv.write_text(
        "code,name,kind,province,aliases,latitude,longitude,timezone\n"
        "34.71,Kota Yogyakarta,kota,DI Yogyakarta,Jogja;Yogya,-7.8,110.37,Asia/Jakarta\n"
        "32.04,Kabupaten Bandung,kabupaten,Jawa Barat,,-7.0,107.5,Asia/Jakarta\n"
        "32.73,Kota Bandung,kota,Jawa Barat,,-6.9,107.6,Asia/Jakarta\n"
        "73.71,Kota Makassar,kota,Sulawesi Selatan,Ujung Pandang,-5.1,119.4,Asia/Makassar\n",
        encoding="utf-8",
    )
    ex = EntityExtractor.build(load_training_data(ROOT / "nlu"), csv, set())
    got = {e["text"]: (e["value"], e.get("code")) for e in ex.extract("dari jogja ke makasar lalu kab bandung", NOW)
           if e["entity"] == "city"}
    assert got == {"jogja": ("Kota Yogyakarta", "34.71"), "makasar": ("Kota Makassar", "73.71"),
                   "kab bandung": ("Kabupaten Bandung", "32.04")}
    assert [e["value"] for e in ex.extract("plut bandung", NOW) if e["entity"] == "city"] == ["Kota Bandung"]
    # a name only in the small lookup table is not used once the gazetteer is there
    assert [e for e in ex.extract("plut sleman", NOW) if e["entity"] == "city"] == []


@pytest.mark.parametrize(("text", "areas"), [
    ("mau konsultasi pemasaran", ["marketing"]),
    ("butuh modal usaha", ["financing"]),
    ("ngurus izin usaha", ["institutional"]),
    ("masalah SDM di usaha saya", ["hr"]),
    ("help with marketing and financing", ["marketing", "financing"]),
    ("konsultan IT ada?", ["it"]),
    ("proses produksi keripik", ["production"]),
    ("cari mitra kerjasama", ["partnership"]),
    ("it is fine", []),
])
def test_service_area(text: str, areas: list[str]) -> None:
    assert list(dict.fromkeys(e["value"] for e in extract_service_areas(text))) == areas


def test_booking_ref(extractor: EntityExtractor) -> None:
    ents = extractor.extract("tolong cek plut-7k3m9q ya", NOW)
    refs = [e for e in ents if e["entity"] == "booking_ref"]
    assert [(r["value"], r["start"], r["end"]) for r in refs] == [("PLUT-7K3M9Q", 11, 22)]
    assert [e for e in ents if e["entity"] == "city"] == []


async def test_parse_carries_all_entity_types(nlu: EmbeddedNLU) -> None:
    parse = await nlu.parse("reschedule PLUT-4HX2P8 ke besok jam 10 konsultan pemasaran di jogja", now=NOW)
    kinds = {e["entity"]: e["value"] for e in parse["entities"]}
    assert kinds == {"booking_ref": "PLUT-4HX2P8", "datetime": "2026-11-26T10:00:00+07:00",
                     "service_area": "marketing", "city": "Yogyakarta"}
    wita = await nlu.parse("besok jam 10", now=NOW, tz="Asia/Makassar")
    assert wita["entities"][0]["value"] == "2026-11-26T10:00:00+08:00"


def test_city_with_the_real_gazetteer() -> None:
    ex = EntityExtractor.build(load_training_data(ROOT / "nlu"), ROOT / "data" / "regions.csv", {"malam", "selamat"})
    got = [(e["value"], e["timezone"]) for e in ex.extract("dari jogja ke makasar, lalu labuan bajo", NOW)
           if e["entity"] == "city"]
    assert got == [("Kota Yogyakarta", "Asia/Jakarta"), ("Kota Makassar", "Asia/Makassar"),
                   ("Kabupaten Manggarai Barat", "Asia/Makassar")]
    assert [e for e in ex.extract("selamat malam, batu", NOW) if e["entity"] == "city"] == []
