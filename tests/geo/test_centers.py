"""Centers: the CSV's validation, all-or-nothing import, export, and nearest-center answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from bot.app import FrontDesk
from bot.config import ROOT
from bot.services.centers import (
    CentersInvalid,
    center_directory,
    import_centers,
    list_centers,
    nearest_centers,
    read_centers_csv,
    seed_centers,
    write_centers_csv,
)
from bot.storage.db import Database
from bot.storage.models import Center

CENTERS = (ROOT / "data" / "centers.csv").read_text(encoding="utf-8")
HEADER = CENTERS.splitlines()[0]


def test_the_shipped_centers_are_valid_and_honest() -> None:
    records, errors = read_centers_csv(CENTERS)
    assert errors == []
    assert len(records) >= 25
    for r in records:
        assert r.source, r.code
        # No public report gives a building's coordinates or the centers' phone numbers yet.
        assert r.coord_precision == "regency_seat"
        assert not (r.phone or r.whatsapp or r.email)


def test_bad_rows_are_reported_with_their_line_numbers() -> None:
    good = CENTERS.splitlines()[1]
    text = "\n".join(
        [
            HEADER,
            good,  # line 2
            "plut-x,PLUT X,national,Bali,,,,-8.1,115.1,regency_seat,,,,,Asia/Makassar,,,,",  # 3: level
            'plut-y,PLUT Y,regency,Bali,,,"multi\nline address",north,115.1,regency_seat,,,,,Asia/Makassar,,,,',  # 4-5
            "plut-z,PLUT Z,regency,Bali,,,,-8.1,115.1,gps,12ab,,not-mail,Mon 9-5,Europe/Paris,,,,",  # 6
            good,  # 7: duplicate code
        ]
    )
    records, errors = read_centers_csv(text)
    lines = sorted({e.line for e in errors})
    assert lines == [3, 4, 6, 7]
    by_line = {e.line: [x.message for x in errors if x.line == e.line] for e in errors}
    assert any("level" in m for m in by_line[3])
    assert any("not numbers" in m for m in by_line[4])
    assert len(by_line[6]) == 5  # precision, phone, e-mail, hours, zone
    assert "also on line 2" in by_line[7][0]


def test_missing_columns_are_reported_on_the_header_line() -> None:
    records, errors = read_centers_csv("code,name\nplut-a,PLUT A\n")
    assert records == [] and errors[0].line == 1 and "latitude" in errors[0].message


async def _import_is_all_or_nothing(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(delete(Center))
        await import_centers(session, CENTERS)
    before = None
    async with db.transaction() as session:
        before = write_centers_csv(await list_centers(session))
    changed = CENTERS.replace("Eks Terminal Marusu", "Alamat baru")
    bad = changed + "plut-bad,PLUT Bad,regency,Bali,,,,999,115,regency_seat,,,,,Asia/Makassar,,,,\n"
    with pytest.raises(CentersInvalid) as info:
        async with db.transaction() as session:
            await import_centers(session, bad)
    assert [e.line for e in info.value.errors] == [len(bad.splitlines())]
    async with db.transaction() as session:
        assert write_centers_csv(await list_centers(session)) == before
    async with db.transaction() as session:
        result = await import_centers(session, changed)
    assert (result.inserted, result.updated) == (0, 1)
    async with db.transaction() as session:
        maros = (await session.execute(select(Center).where(Center.code == "plut-maros"))).scalar_one()
        assert maros.address.startswith("Alamat baru")
        assert (await session.execute(select(func.count()).select_from(Center))).scalar_one() == len(CENTERS.splitlines()) - 1


async def test_import_is_all_or_nothing(db_url: str) -> None:
    """Runs on SQLite and on PostgreSQL (the shared `db_url` fixture)."""
    db = Database(db_url)
    try:
        await _import_is_all_or_nothing(db)
    finally:
        await db.dispose()


async def test_export_round_trips(frontdesk: FrontDesk) -> None:
    async with frontdesk.db.transaction() as session:
        exported = write_centers_csv(await list_centers(session))
    records, errors = read_centers_csv(exported)
    assert errors == [] and {r.code for r in records} == {r.code for r in read_centers_csv(CENTERS)[0]}


async def test_seeding_only_fills_an_empty_table(frontdesk: FrontDesk) -> None:
    async with frontdesk.db.transaction() as session:
        assert await seed_centers(session, ROOT) == 0


@pytest.mark.parametrize(
    ("where", "lat", "lon", "code"),
    [
        ("Semarang, Simpang Lima", -6.9903, 110.4229, "plut-kab-semarang"),
        ("Singaraja", -8.1120, 115.0910, "plut-buleleng"),
        ("Kendari", -3.9720, 122.5150, "plut-kota-kendari"),
        ("Biak", -1.1760, 136.0820, "plut-biak-numfor"),
        ("Maros airport", -5.0616, 119.5540, "plut-maros"),
        ("Labuan Bajo harbour", -8.4960, 119.8790, "plut-manggarai-barat"),
    ],
)
async def test_gps_points_get_the_right_nearest_center(frontdesk: FrontDesk, where: str, lat: float, lon: float, code: str) -> None:
    async with frontdesk.db.transaction() as session:
        directory = await center_directory(session)
    found = nearest_centers(directory, lat, lon)
    assert found.results[0][0].code == code, where
    assert len(found.results) == 3
    kms = [km for _, km in found.results]
    assert kms == sorted(kms) and kms[0] < 40
    assert not found.outside


async def test_a_point_at_sea_still_gets_the_nearest_centers(frontdesk: FrontDesk) -> None:
    async with frontdesk.db.transaction() as session:
        directory = await center_directory(session)
    found = nearest_centers(directory, -20.0, 110.0)  # Indian Ocean, south of Java
    assert found.outside
    assert len(found.results) == 3 and found.results[0][1] > 1000


async def test_the_directory_reloads_after_an_import(frontdesk: FrontDesk) -> None:
    async with frontdesk.db.transaction() as session:
        first = await center_directory(session)
    new = HEADER + "\nplut-test,PLUT Test,regency,Bali,51.08,Kabupaten Buleleng,,-8.2,115.0,building,,,,Mon-Fri 08:00-16:00,Asia/Makassar,,,test,\n"
    async with frontdesk.db.transaction() as session:
        await import_centers(session, new)
    async with frontdesk.db.transaction() as session:
        second = await center_directory(session)
    assert second is not first and "plut-test" in second.by_code and "plut-test" not in first.by_code
