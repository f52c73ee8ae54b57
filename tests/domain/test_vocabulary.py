"""One vocabulary: service areas, centers, zones, distance — each read from one module."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from bot.domain.areas import AREAS, SERVICE_AREAS, ServiceArea, area_name, find_service_area
from bot.domain.centers import Center
from bot.domain.zones import DEFAULT_ZONE, ZONES, zone_abbreviation
from bot.nlu.entities import extract_service_areas
from bot.services.booking import nearest_center

ROOT = Path(__file__).resolve().parents[2]


def _say(keyword: str) -> str:
    # "it", "ti" and "pos" count inside a sentence only in capitals
    return keyword.upper() if keyword in ("it", "ti", "pos") else keyword


@pytest.mark.parametrize("area", AREAS, ids=[a.code for a in AREAS])
def test_every_keyword_names_its_own_area_for_booking_and_nlu(area: ServiceArea) -> None:
    """A keyword listed under two areas, or lost to a longer one, shows up here."""
    for kw in area.keywords:
        text = f"mau tanya soal {_say(kw)} dong"
        assert find_service_area(text) == area.code, kw
        assert [e["value"] for e in extract_service_areas(text)] == [area.code], kw


@pytest.mark.parametrize("text", ["mau ekspor keripik ke Malaysia", "how do I export my coffee"])
def test_export_is_marketing_for_booking_and_for_the_nlu(text: str) -> None:
    assert find_service_area(text) == "marketing"
    assert [e["value"] for e in extract_service_areas(text)] == ["marketing"]


def test_the_seven_areas_of_a_plut_center() -> None:
    assert SERVICE_AREAS == ("institutional", "hr", "production", "financing", "marketing", "it", "partnership")
    assert area_name("institutional", "id").startswith("Kelembagaan")
    assert area_name("partnership", "en") == "Partnerships & networking"
    assert area_name("other", "id") == "other"


def test_the_consultant_menu_uses_the_same_names() -> None:
    """The hand-off menu in flows/ is content, so it spells the names out: they must match."""
    flow = yaml.safe_load((ROOT / "flows" / "talk_to_consultant.yml").read_text(encoding="utf-8"))
    menu = next(s["menu"] for s in flow["steps"] if s.get("id") == "area")
    named = {}
    for option in menu["options"]:
        code = option["payload"].rsplit("service_area=", 1)[1]
        if code in SERVICE_AREAS:
            named[code] = (option["title"]["id"], option["title"]["en"])
    assert named == {a.code: (a.name_id, a.name_en) for a in AREAS}


def test_zones_and_their_abbreviations() -> None:
    assert DEFAULT_ZONE == "Asia/Jakarta" and DEFAULT_ZONE in ZONES
    assert [zone_abbreviation(z) for z in ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")] == [
        "WIB", "WIB", "WITA", "WIT"]
    assert zone_abbreviation("Asia/Tokyo") == "Asia/Tokyo"


def _center(code: str, lat: float, lon: float) -> Center:
    return Center(code=code, name=code, level="regency", province="", latitude=lat, longitude=lon,
                  coord_precision="building", timezone=DEFAULT_ZONE)


def test_a_missing_center_has_the_default_zone_and_no_point() -> None:
    gone = Center.missing("plut-gone")
    assert (gone.name, gone.tz, gone.has_point) == ("plut-gone", DEFAULT_ZONE, False)
    near = _center("plut-maros", -5.0, 119.57)
    assert nearest_center([gone, near], -5.1, 119.5) is near
    assert math.isnan(gone.latitude)
