"""The admin accounts page: create, change role and center scope, disable, set a new
password; admins only, audited, and the changes take effect on the next request."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import ROOT
from bot.domain.slots import parse_availability
from bot.services import booking as booking_svc
from bot.services.centers import seed_centers
from bot.storage.models import AdminSession, AdminUser, AuditEntry

from .conftest import ACCOUNTS, PASSWORD, login

NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def centers(frontdesk):
    async def build() -> None:
        async with frontdesk.db.transaction() as session:
            await seed_centers(session, ROOT)
            for code in ("plut-sumbar", "plut-sumut"):
                await booking_svc.add_consultant(session, center_code=code, name=f"Konsultan {code}", areas=["financing"],
                                                 windows=parse_availability("Mon-Fri 08:00-12:00"), now=frontdesk.clock.now())
        await frontdesk.db.dispose()

    asyncio.run(build())


def _db(client: TestClient, fn):
    async def run():
        async with client.app.state.frontdesk.db.sessions() as session:
            return await fn(session)

    return client.portal.call(run)


def _user(client: TestClient, username: str) -> AdminUser:
    async def get(session):
        return (await session.execute(select(AdminUser).where(AdminUser.username == username))).scalar_one_or_none()

    return _db(client, get)


def _sign_in(client: TestClient, username: str, password: str) -> int:
    page = client.get("/admin/login")
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/admin/login", data={"csrf": token, "username": username, "password": password, "next": "/admin/"}).status_code


def test_an_admin_creates_an_account_for_a_consultant(client: TestClient, centers) -> None:
    csrf = login(client, "admin")
    form = {"csrf": csrf, "username": "Eka", "display_name": "Eka S.", "role": "consultant", "center_code": "plut-sumbar",
            "consultant_id": "1", "password": NEW_PASSWORD}
    # bad input: nothing is stored, and the page says what to change
    for bad in ({"role": "root"}, {"center_code": ""}, {"consultant_id": "2"}, {"password": "short"},
                {"username": "x" * 10_000}, {"consultant_id": "9" * 40}, {"username": "ana"}):
        res = client.post("/admin/accounts/new", data=form | bad)
        assert res.status_code == 422, bad
        assert 'id="errors"' in res.text
    assert _user(client, "eka") is None
    res = client.post("/admin/accounts/new", data=form)
    assert res.status_code == 303
    eka = _user(client, "eka")
    assert (eka.role, eka.center_code, eka.consultant_id, eka.display_name) == ("consultant", "plut-sumbar", 1, "Eka S.")
    assert "eka" in client.get("/admin/accounts").text
    client.cookies.clear()
    assert _sign_in(client, "eka", NEW_PASSWORD) == 303
    assert client.get("/admin/inbox").status_code == 200


def test_role_scope_disable_and_password(client: TestClient, centers) -> None:
    csrf = login(client, "admin")
    budi = _user(client, ACCOUNTS["center_admin"].username)
    # the center admin of plut-sumbar moves to plut-sumut
    res = client.post(f"/admin/accounts/{budi.id}", data={"csrf": csrf, "role": "center_admin", "center_code": "plut-sumut",
                                                          "active": "1"})
    assert res.status_code == 303
    assert _user(client, "budi").center_code == "plut-sumut"
    # an admin account has no center, whatever the form says
    client.post(f"/admin/accounts/{budi.id}", data={"csrf": csrf, "role": "admin", "center_code": "plut-sumut", "active": "1"})
    assert (_user(client, "budi").role, _user(client, "budi").center_code) == ("admin", None)

    # disabling ends the account's sessions at once
    other = TestClient(client.app, follow_redirects=False)
    assert _sign_in(other, "dewi", PASSWORD) == 303
    assert other.get("/admin/inbox").status_code == 200
    dewi = _user(client, "dewi")
    res = client.post(f"/admin/accounts/{dewi.id}", data={"csrf": csrf, "role": "consultant", "center_code": "plut-sumbar",
                                                          "consultant_id": "1"})  # no "active"
    assert res.status_code == 303
    assert other.get("/admin/inbox").status_code == 303  # back to the sign-in page
    assert _sign_in(other, "dewi", PASSWORD) == 401

    # a new password: the old one stops working
    client.post(f"/admin/accounts/{dewi.id}", data={"csrf": csrf, "role": "consultant", "center_code": "plut-sumbar",
                                                    "consultant_id": "1", "active": "1"})
    assert client.post(f"/admin/accounts/{dewi.id}/password", data={"csrf": csrf, "password": "short"}).status_code == 422
    assert client.post(f"/admin/accounts/{dewi.id}/password", data={"csrf": csrf, "password": NEW_PASSWORD}).status_code == 303
    assert _sign_in(other, "dewi", PASSWORD) == 401
    assert _sign_in(other, "dewi", NEW_PASSWORD) == 303

    async def trail(session):
        return [a.action for a in (await session.execute(select(AuditEntry).where(AuditEntry.action.like("admin_user.%"))
                                                         .order_by(AuditEntry.id))).scalars()]

    assert _db(client, trail) == ["admin_user.update", "admin_user.update", "admin_user.disable", "admin_user.update",
                                  "admin_user.password_reset"]


def test_an_admin_cannot_lock_themselves_out(client: TestClient, centers) -> None:
    csrf = login(client, "admin")
    ana = _user(client, "ana")
    res = client.post(f"/admin/accounts/{ana.id}", data={"csrf": csrf, "role": "center_admin", "center_code": "plut-sumbar",
                                                         "active": "1"})
    assert res.status_code == 422
    res = client.post(f"/admin/accounts/{ana.id}", data={"csrf": csrf, "role": "admin"})  # not active
    assert res.status_code == 422
    assert (_user(client, "ana").role, _user(client, "ana").active) == ("admin", True)
    assert client.get("/admin/accounts/99999").status_code == 404
    assert client.get("/admin/accounts/abc").status_code == 404

    async def sessions(session):
        return len(list((await session.execute(select(AdminSession))).scalars()))

    assert _db(client, sessions) >= 1
