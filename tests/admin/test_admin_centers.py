"""Centers from the admin pages: validation, center scoping, deactivation, CSV import
(all rows or none) and export."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import ROOT
from bot.services import centers as svc
from bot.storage.models import AuditEntry, Center

from .conftest import login


@pytest.fixture
def seeded(frontdesk):
    async def seed() -> dict[int, str]:
        async with frontdesk.db.transaction() as session:
            await svc.seed_centers(session, ROOT)
        async with frontdesk.db.sessions() as session:
            rows = {c.id: c.code for c in (await session.execute(select(Center))).scalars()}
        await frontdesk.db.dispose()
        return rows

    return asyncio.run(seed())


def _form(client: TestClient, center_id: int) -> dict[str, str]:
    export = client.get("/admin/centers/export.csv").text
    code = None
    page = client.get(f"/admin/centers/{center_id}").text
    for row in csv.DictReader(io.StringIO(export)):
        if f"<b>code</b>: {row['code']}" in page:
            code = row
    assert code is not None
    return dict(code)


def _centers(client: TestClient) -> dict[str, Center]:
    async def read():
        async with client.app.state.frontdesk.db.sessions() as session:
            return {c.code: c for c in (await session.execute(select(Center))).scalars()}

    return client.portal.call(read)


def test_admin_edits_a_center_with_validation(client: TestClient, seeded) -> None:
    csrf = login(client, "admin")
    form = _form(client, 1) | {"csrf": csrf}
    res = client.post("/admin/centers/1", data=form | {"email": "not-an-email", "latitude": "200"})
    assert res.status_code == 422 and "not-an-email" in res.text and "not a point on the Earth" in res.text
    res = client.post("/admin/centers/1", data=form | {"phone": "0751 123456", "opening_hours": "Sen-Jum 08.00-16.00"})
    assert res.status_code == 303
    center = _centers(client)[seeded[1]]
    assert center.phone == "0751 123456" and center.opening_hours.startswith("Mon-Fri 08:00-16:00")


def test_center_admin_reaches_only_their_center(client: TestClient, seeded) -> None:
    csrf = login(client, "center_admin")  # center 1
    assert client.get("/admin/centers/1").status_code == 200
    assert client.get("/admin/centers/2").status_code == 404  # by editing the URL
    form = _form(client, 1) | {"csrf": csrf}
    res = client.post("/admin/centers/2", data=form | {"name": "Hijacked"})  # a hand-made post
    assert res.status_code == 404
    assert _centers(client)[seeded[2]].name != "Hijacked"
    listing = client.get("/admin/centers").text
    assert seeded[1] in listing and seeded[2] not in listing
    exported = list(csv.DictReader(io.StringIO(client.get("/admin/centers/export.csv").text)))
    assert [r["code"] for r in exported] == [seeded[1]]
    assert client.post("/admin/centers/1/active", data={"csrf": csrf, "active": "0"}).status_code == 403


def test_create_and_deactivate_a_center(client: TestClient, seeded) -> None:
    csrf = login(client, "admin")
    new = {c: "" for c in svc.COLUMNS} | {
        "code": "plut-uji", "name": "PLUT Uji", "level": "regency", "province": "Jawa Barat", "latitude": "-6.9",
        "longitude": "107.6", "coord_precision": "building", "timezone": "Asia/Jakarta", "csrf": csrf,
    }
    assert client.post("/admin/centers/new", data=new | {"timezone": "Europe/Paris"}).status_code == 422
    res = client.post("/admin/centers/new", data=new)
    assert res.status_code == 303
    assert client.post("/admin/centers/new", data=new).status_code == 422  # same code again
    center = _centers(client)["plut-uji"]
    assert client.post(f"/admin/centers/{center.id}/active", data={"csrf": csrf, "active": "0"}).status_code == 303

    async def active_codes():
        async with client.app.state.frontdesk.db.sessions() as session:
            return {c.code for c in await svc.list_centers(session)}

    assert "plut-uji" not in client.portal.call(active_codes)  # the bot no longer offers it

    async def trail():
        async with client.app.state.frontdesk.db.sessions() as session:
            return [a for a, in await session.execute(select(AuditEntry.action).where(AuditEntry.target_type == "center"))]

    assert client.portal.call(trail) == ["center.create", "center.deactivate"]


def test_csv_import_is_all_or_nothing_and_shows_row_errors(client: TestClient, seeded) -> None:
    csrf = login(client, "admin")
    exported = client.get("/admin/centers/export.csv").text
    rows = list(csv.DictReader(io.StringIO(exported)))
    rows[0]["name"] = "Nama Baru Yang Valid"
    rows[2]["email"] = "broken@"
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(svc.COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    res = client.post("/admin/centers/import", data={"csrf": csrf}, files={"file": ("centers.csv", out.getvalue().encode(), "text/csv")})
    assert res.status_code == 422 and "line 4" in res.text and "broken@" in res.text
    assert _centers(client)[rows[0]["code"]].name != "Nama Baru Yang Valid"  # nothing half-imported
    rows[2]["email"] = ""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(svc.COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    res = client.post("/admin/centers/import", data={"csrf": csrf}, files={"file": ("centers.csv", out.getvalue().encode(), "text/csv")})
    assert res.status_code == 200 and 'id="imported"' in res.text
    assert _centers(client)[rows[0]["code"]].name == "Nama Baru Yang Valid"
