"""Signing in: argon2 hashes, throttling, cookie flags, the sign-in form's CSRF, sign-out."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import pytest

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.admin import auth
from bot.config import ROOT
from bot.storage.models import AdminUser, AuditEntry
from .conftest import ACCOUNTS, CSRF_FIELD, PASSWORD, login


def _login_post(client: TestClient, username: str, password: str):
    token = CSRF_FIELD.search(client.get("/admin/login").text).group(1)
    return client.post("/admin/login", data={"csrf": token, "username": username, "password": password})


def test_password_is_stored_as_argon2_hash(frontdesk) -> None:
    async def read() -> str:
        async with frontdesk.db.sessions() as session:
            user = (await session.execute(select(AdminUser).where(AdminUser.username == "ana"))).scalar_one()
        await frontdesk.db.dispose()
        return user.password_hash

    stored = asyncio.run(read())
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert auth.verify_password(stored, PASSWORD) and not auth.verify_password(stored, PASSWORD + "x")


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    res = _login_post(client, "ana", PASSWORD)
    assert res.status_code == 303
    cookie = next(h for h in res.headers.get_list("set-cookie") if h.startswith(auth.SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http in this test; https below


def test_session_cookie_is_secure_behind_https(frontdesk) -> None:
    from bot.web.app import create_app

    with TestClient(create_app(frontdesk, background=False), base_url="https://admin.example", follow_redirects=False) as c:
        res = _login_post(c, "ana", PASSWORD)
        cookie = next(h for h in res.headers.get_list("set-cookie") if h.startswith(auth.SESSION_COOKIE + "="))
        assert "Secure" in cookie


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_wrong_password_five_times_is_throttled(client: TestClient, backend: str) -> None:
    for _ in range(auth.MAX_FAILURES_PER_USER):
        res = _login_post(client, "ana", "wrong password!")
        assert res.status_code == 401
    res = _login_post(client, "ana", PASSWORD)  # even the right password waits now
    assert res.status_code == 429
    assert auth.SESSION_COOKIE not in client.cookies
    # another user from another address is not affected by ana's throttle
    res = _login_post(client, "budi", PASSWORD)
    assert res.status_code == 303


def test_sign_in_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/admin/login")
    res = client.post("/admin/login", data={"csrf": "forged", "username": "ana", "password": PASSWORD})
    assert res.status_code == 403
    client.cookies.clear()
    res = client.post("/admin/login", data={"username": "ana", "password": PASSWORD})
    assert res.status_code == 403


def test_unknown_user_and_wrong_password_look_the_same(client: TestClient) -> None:
    a = _login_post(client, "nobody", "whatever password")
    b = _login_post(client, "ana", "whatever password")
    assert a.status_code == b.status_code == 401
    assert re.search("Nama pengguna atau kata sandi salah", a.text)  # Indonesian by default


def test_sign_out_ends_the_session(client: TestClient) -> None:
    csrf = login(client, "admin")
    token = client.cookies.get(auth.SESSION_COOKIE)
    assert client.post("/admin/logout", data={"csrf": csrf}).status_code == 303
    client.cookies.set(auth.SESSION_COOKIE, token, path="/admin")  # replaying the old cookie
    assert client.get("/admin/dashboard").status_code == 303


def test_pages_switch_to_english(client: TestClient) -> None:
    login(client, "admin")
    assert "Keluar" in client.get("/admin/dashboard").text
    client.get("/admin/lang/en?next=/admin/dashboard")
    assert "Sign out" in client.get("/admin/dashboard").text


def test_next_parameter_cannot_leave_the_admin(client: TestClient) -> None:
    token = CSRF_FIELD.search(client.get("/admin/login").text).group(1)
    res = client.post("/admin/login", data={"csrf": token, "username": "ana", "password": PASSWORD, "next": "//evil.example/x"})
    assert res.headers["location"] == "/admin/"
    assert client.get("/admin/lang/en?next=https://evil.example").headers["location"] == "/admin/"


def test_create_user_command(database_url: str, frontdesk) -> None:
    async def seed() -> None:
        from bot.services.centers import seed_centers

        async with frontdesk.db.transaction() as session:
            await seed_centers(session, ROOT)
        await frontdesk.db.dispose()

    asyncio.run(seed())
    env = {**os.environ, "DATABASE_URL": database_url, "FRONTDESK_DEMO_SEED": "false", "FRONTDESK_ADMIN_PASSWORD": "a long enough pw",
           "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "bot", "admin", "create-user", "eko", "--role", "center_admin", "--center", "plut-maros"],
                         env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    bad = subprocess.run([sys.executable, "-m", "bot", "admin", "create-user", "fajar", "--role", "center_admin"],
                         env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert bad.returncode == 2 and "--center" in bad.stderr
    unknown = subprocess.run([sys.executable, "-m", "bot", "admin", "create-user", "gita", "--role", "center_admin", "--center", "plut-atlantis"],
                             env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert unknown.returncode == 2 and "plut-atlantis" in unknown.stderr

    async def read():
        async with frontdesk.db.sessions() as session:
            user = (await session.execute(select(AdminUser).where(AdminUser.username == "eko"))).scalar_one()
            entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "admin_user.create"))).scalar_one()
        await frontdesk.db.dispose()
        return user, entry

    user, entry = asyncio.run(read())
    assert (user.role, user.center_code) == ("center_admin", "plut-maros") and auth.verify_password(user.password_hash, "a long enough pw")
    assert entry.detail["new_user"] == "eko"
    assert ACCOUNTS  # accounts fixture ran


def test_every_admin_string_has_an_indonesian_translation() -> None:
    from babel.messages.pofile import read_po

    from bot.admin.web import used_msgids
    from bot.config import ROOT

    with open(ROOT / "locales/id/LC_MESSAGES/frontdesk.po", "rb") as f:
        catalog = read_po(f)
    missing = sorted(m for m in used_msgids() if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"add Indonesian translations for: {missing}"
