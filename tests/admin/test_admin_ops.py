"""Consultants, availability, closures, bookings and handoffs from the admin pages,
with every role's reach checked by editing URLs and posting forms by hand."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import ROOT
from bot.domain.slots import parse_availability
from bot.services import booking as booking_svc
from bot.services.centers import seed_centers
from bot.storage.models import AuditEntry, Booking, Closure, Consultant, User

from .conftest import login

HOURS = "Mon-Fri 08:00-12:00, 13:00-15:00"


@pytest.fixture
def world(frontdesk):
    """Centers; consultant 1 at plut-sumbar (the center admin's and consultant's center),
    2 also at plut-sumbar, 3 at plut-sumut; one past and one future booking each."""

    async def build() -> dict[str, int]:
        now = datetime.now(UTC)
        ids: dict[str, int] = {}
        async with frontdesk.db.transaction() as session:
            await seed_centers(session, ROOT)
            for key, code, name in (("own", "plut-sumbar", "Konsultan A"), ("colleague", "plut-sumbar", "Konsultan B"),
                                    ("other", "plut-sumut", "Konsultan C")):
                c = await booking_svc.add_consultant(session, center_code=code, name=name, areas=["financing"],
                                                     windows=parse_availability(HOURS), now=now)
                ids[key] = c.id
            user = User(channel="web", external_id="u1", created_at=now, language_locked=False)
            session.add(user)
            await session.flush()
            for n, (key, code, delta) in enumerate((("own", "plut-sumbar", -2), ("colleague", "plut-sumbar", -3), ("other", "plut-sumut", -1),
                                                    ("own", "plut-sumbar", 48))):
                start = now + timedelta(hours=delta)
                b = Booking(ref=f"PLUT-T{n}X{n}", user_id=user.id, consultant_id=ids[key], center_code=code, service_area="financing",
                            starts_at=start, ends_at=start + timedelta(minutes=45), status="confirmed", name=f"Pelaku {n}",
                            business_name="Keripik", phone="0812", language="id", consent_at=now, created_at=now, updated_at=now)
                session.add(b)
                await session.flush()
                ids[f"booking_{n}"] = b.id
        await frontdesk.db.dispose()
        assert ids["own"] == 1  # the consultant account is consultant 1
        return ids

    return asyncio.run(build())


def _db(client: TestClient, fn):
    async def run():
        async with client.app.state.frontdesk.db.sessions() as session:
            return await fn(session)

    return client.portal.call(run)


def test_center_admin_manages_own_consultants_only(client: TestClient, world) -> None:
    csrf = login(client, "center_admin")
    page = client.get("/admin/consultants").text
    assert "Konsultan A" in page and "Konsultan C" not in page
    assert client.get(f"/admin/consultants/{world['other']}").status_code == 404
    form = {"csrf": csrf, "name": "Konsultan C2", "areas": ["marketing"], "availability": HOURS, "active": "1"}
    assert client.post(f"/admin/consultants/{world['other']}", data=form).status_code == 404  # hand-made post
    # a new consultant lands in the center admin's center whatever the form says
    res = client.post("/admin/consultants/new", data=form | {"center_code": "plut-sumut"})
    assert res.status_code == 403
    res = client.post("/admin/consultants/new", data=form | {"name": "Konsultan Baru"})
    assert res.status_code == 303
    new = _db(client, lambda s: s.scalar(select(Consultant).where(Consultant.name == "Konsultan Baru")))
    assert new.center_code == "plut-sumbar" and new.areas == ["marketing"]
    # validation
    res = client.post("/admin/consultants/new", data=form | {"name": "X", "areas": [], "availability": "Monday at noon"})
    assert res.status_code == 422 and 'id="errors"' in res.text
    # deactivate
    res = client.post(f"/admin/consultants/{world['colleague']}", data=form | {"name": "Konsultan B", "active": ""})
    assert res.status_code == 303
    assert _db(client, lambda s: s.get(Consultant, world["colleague"])).active is False
    actions = _db(client, lambda s: s.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "consultant")))
    assert list(actions) == ["consultant.create", "consultant.deactivate"]


def test_consultants_csv_import_is_all_or_nothing(client: TestClient, world) -> None:
    csrf = login(client, "center_admin")
    exported = client.get("/admin/consultants/export.csv").text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["center_code"] for r in rows} == {"plut-sumbar"}
    good = exported + "plut-sumbar,Konsultan Impor,hr it,Mon-Thu 08:00-12:00,yes\n"
    bad = good + "plut-sumut,Penyusup,hr,Mon 08:00-12:00,yes\nplut-sumbar,Jam Salah,hr,whenever,yes\n"
    res = client.post("/admin/consultants/import", data={"csrf": csrf}, files={"file": ("c.csv", bad.encode(), "text/csv")})
    assert res.status_code == 422
    assert "line 5" in res.text and "not your center" in res.text and "line 6" in res.text
    assert _db(client, lambda s: s.scalar(select(Consultant).where(Consultant.name == "Konsultan Impor"))) is None
    res = client.post("/admin/consultants/import", data={"csrf": csrf}, files={"file": ("c.csv", good.encode(), "text/csv")})
    assert res.status_code == 200 and 'id="imported"' in res.text
    imported = _db(client, lambda s: s.scalar(select(Consultant).where(Consultant.name == "Konsultan Impor")))
    assert imported.center_code == "plut-sumbar" and imported.areas == ["hr", "it"]


def test_closures_are_validated_and_scoped(client: TestClient, world) -> None:
    csrf = login(client, "center_admin")
    res = client.post("/admin/closures/new", data={"csrf": csrf, "first_day": "2026-12-25", "last_day": "2026-12-24"})
    assert res.status_code == 422
    res = client.post("/admin/closures/new", data={"csrf": csrf, "first_day": "2026-12-24", "last_day": "2026-12-26", "reason": "Natal"})
    assert res.status_code == 303
    res = client.post("/admin/closures/new", data={"csrf": csrf, "first_day": "2026-12-31", "consultant_id": str(world["other"])})
    assert res.status_code == 404  # another center's consultant
    closures = list(_db(client, lambda s: s.scalars(select(Closure))))
    assert [(c.center_code, str(c.first_day), str(c.last_day)) for c in closures] == [("plut-sumbar", "2026-12-24", "2026-12-26")]
    client.cookies.clear()
    csrf_other = login(client, "other_center_admin")
    assert client.post(f"/admin/closures/{closures[0].id}/delete", data={"csrf": csrf_other}).status_code == 404
    client.cookies.clear()
    csrf = login(client, "center_admin")
    assert client.post(f"/admin/closures/{closures[0].id}/delete", data={"csrf": csrf}).status_code == 303


def test_bookings_by_role_filters_detail_attendance_and_export(client: TestClient, world) -> None:
    csrf = login(client, "consultant")
    page = client.get("/admin/bookings").text
    assert "PLUT-T0X0" in page and "PLUT-T3X3" in page and "PLUT-T1X1" not in page and "PLUT-T2X2" not in page
    assert client.get(f"/admin/bookings/{world['booking_1']}").status_code == 404  # a colleague's
    assert client.post(f"/admin/bookings/{world['booking_1']}/attendance", data={"csrf": csrf, "attendance": "no_show"}).status_code == 404
    res = client.post(f"/admin/bookings/{world['booking_0']}/attendance", data={"csrf": csrf, "attendance": "attended"})
    assert res.status_code == 303
    res = client.post(f"/admin/bookings/{world['booking_3']}/attendance", data={"csrf": csrf, "attendance": "no_show"})
    assert res.status_code == 403  # it has not happened yet
    client.cookies.clear()

    csrf = login(client, "center_admin")
    page = client.get("/admin/bookings").text
    assert "PLUT-T1X1" in page and "PLUT-T2X2" not in page
    assert client.get("/admin/bookings?center=plut-sumut").text.count("PLUT-T2X2") == 0  # the filter cannot widen the scope
    assert "PLUT-T0X0" in client.get("/admin/bookings?status=attended").text
    assert "PLUT-T0X0" not in client.get("/admin/bookings?area=marketing").text
    assert "PLUT-T0X0" in client.get("/admin/bookings?area=financing").text
    later = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    by_date = client.get(f"/admin/bookings?from={later}").text
    assert "PLUT-T3X3" in by_date and "PLUT-T0X0" not in by_date
    assert "PLUT-T1X1" not in client.get("/admin/bookings?status=attended").text
    client.post(f"/admin/bookings/{world['booking_1']}/attendance", data={"csrf": csrf, "attendance": "no_show"})
    export = list(csv.DictReader(io.StringIO(client.get("/admin/bookings/export.csv").text)))
    assert {r["ref"]: r["status"] for r in export} == {"PLUT-T0X0": "attended", "PLUT-T1X1": "no_show", "PLUT-T3X3": "confirmed"}

    dash = client.get("/admin/dashboard?center=plut-sumut").text  # a center admin's dashboard stays on their center
    assert 'id="fig-bookings_scheduled">2<' in dash and 'id="fig-no_show_rate">50%' in dash
    assert 'id="fig-bookings_made">3<' in dash  # the booking for the day after tomorrow was made today
    client.cookies.clear()

    login(client, "admin")
    assert 'id="fig-bookings_scheduled">3<' in client.get("/admin/dashboard").text
    assert 'id="fig-bookings_made">4<' in client.get("/admin/dashboard").text
    assert 'id="fig-bookings_scheduled">1<' in client.get("/admin/dashboard?center=plut-sumut").text
    export = list(csv.DictReader(io.StringIO(client.get("/admin/bookings/export.csv?center=plut-sumut").text)))
    assert [r["ref"] for r in export] == ["PLUT-T2X2"]
    dash = client.get("/admin/dashboard").text
    assert 'id="fig-no_show_rate">50%' in dash


def test_handoff_queue_shows_status_and_waiting_time(client: TestClient, world) -> None:
    from bot.storage.models import HandoffRequest as Handoff

    async def add(session):
        now = client.app.state.frontdesk.clock.now()
        user = (await session.execute(select(User))).scalars().first()
        session.add(Handoff(user_id=user.id, center_code="plut-sumbar", service_area="financing", question="tolong bantu",
                            status="open", created_at=now - timedelta(minutes=25)))
        other = User(channel="web", external_id="u2", created_at=now, language_locked=False)
        session.add(other)
        await session.flush()
        session.add(Handoff(user_id=other.id, center_code="plut-sumbar", service_area="marketing", question="sudah dijawab",
                            status="closed", consultant_id=world["own"], created_at=now - timedelta(hours=2),
                            taken_at=now - timedelta(hours=2) + timedelta(minutes=8), closed_at=now - timedelta(hours=1), rating=4))
        third = User(channel="web", external_id="u3", created_at=now, language_locked=False)
        session.add(third)
        await session.flush()
        session.add(Handoff(user_id=third.id, center_code="plut-sumut", question="pusat lain", status="open", created_at=now))
        await session.commit()

    _db(client, add)
    login(client, "center_admin")
    page = client.get("/admin/handoffs").text
    assert "tolong bantu" in page and "25 m" in page and "8 m" in page and "pusat lain" not in page
    dash = client.get("/admin/dashboard").text
    assert 'id="fig-handoff_wait">8 min' in dash and 'id="fig-rating">4.0' in dash
    client.cookies.clear()
    login(client, "consultant")  # their own, and the open ones of their center nobody took yet
    page = client.get("/admin/handoffs").text
    assert "sudah dijawab" in page and "tolong bantu" in page and "pusat lain" not in page


def test_an_admin_erases_a_booking_owners_data_on_request(client: TestClient, world) -> None:
    page = f"/admin/bookings/{world['booking_3']}"
    csrf = login(client, "center_admin")
    assert "erase-owner" not in client.get(page).text  # admins only
    assert client.post(f"{page}/erase-owner", data={"csrf": csrf, "confirm": "1"}).status_code == 403
    client.cookies.clear()

    csrf = login(client, "admin")
    assert 'id="erase-owner"' in client.get(page).text
    assert client.post(f"{page}/erase-owner", data={"csrf": "forged", "confirm": "1"}).status_code == 403
    assert client.post(f"{page}/erase-owner", data={"csrf": csrf}).status_code == 400  # not confirmed
    names = _db(client, lambda s: _names(s))
    assert names == {"PLUT-T0X0": "Pelaku 0", "PLUT-T1X1": "Pelaku 1", "PLUT-T2X2": "Pelaku 2", "PLUT-T3X3": "Pelaku 3"}

    res = client.post(f"{page}/erase-owner", data={"csrf": csrf, "confirm": "1"})
    assert res.status_code == 303
    after = client.get(res.headers["location"]).text
    assert "Data pribadi pemilik booking sudah dihapus." in after  # the admin reads Indonesian
    assert 'id="erase-owner"' not in after and "Pelaku 3" not in after

    async def check(session):  # type: ignore[no-untyped-def]
        rows = {b.ref: b for b in (await session.execute(select(Booking))).scalars()}
        audit = (await session.execute(select(AuditEntry).where(AuditEntry.action == "personal_data.erase"))).scalar_one()
        return rows, audit

    rows, audit = _db(client, check)
    assert {b.name for b in rows.values()} == {""} and {b.phone for b in rows.values()} == {None}
    assert rows["PLUT-T3X3"].status == "cancelled" and rows["PLUT-T0X0"].status == "confirmed"  # only the upcoming one
    assert audit.username == "ana" and audit.user_id is not None and audit.detail["bookings_cancelled"] == ["PLUT-T3X3"]
    assert audit.detail["bookings_kept"] == 4


async def _names(session):  # type: ignore[no-untyped-def]
    return {b.ref: b.name for b in (await session.execute(select(Booking))).scalars()}
