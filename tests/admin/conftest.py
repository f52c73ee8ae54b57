"""Fixtures for the admin tests: a migrated database per test (copied from a template
migrated once), a real FrontDesk and Starlette app, and one account per role."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.admin import auth
from bot.app import FrontDesk
from bot.config import load_settings

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    center_code: str | None = None
    consultant_id: int | None = None


ACCOUNTS = {
    "admin": Account("ana", "admin"),
    "center_admin": Account("budi", "center_admin", center_code="plut-sumbar"),
    "other_center_admin": Account("citra", "center_admin", center_code="plut-sumut"),
    "consultant": Account("dewi", "consultant", center_code="plut-sumbar", consultant_id=1),
}


@pytest.fixture
def backend() -> str:
    """SQLite unless a test parametrizes `backend` with "postgres" as well."""
    return "sqlite"


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database (the shared fixtures of tests/conftest.py)."""
    return request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")


def make_frontdesk(database_url: str, **overrides: object) -> FrontDesk:
    settings = load_settings(DATABASE_URL=database_url, FRONTDESK_DEMO_SEED=False, **overrides)
    return FrontDesk(settings)


async def _create_accounts(fd: FrontDesk) -> None:
    async with fd.db.transaction() as session:
        for acc in ACCOUNTS.values():
            await auth.create_user(session, username=acc.username, password=PASSWORD, role=acc.role, now=fd.clock.now(),
                                   center_code=acc.center_code, consultant_id=acc.consultant_id)


@pytest.fixture
def frontdesk(database_url: str) -> FrontDesk:
    fd = make_frontdesk(database_url)
    asyncio.run(_create_accounts(fd))
    asyncio.run(fd.db.dispose())  # the app's loop opens its own connections
    return fd


@pytest.fixture
def client(frontdesk: FrontDesk) -> Iterator[TestClient]:
    from bot.web.app import create_app

    with TestClient(create_app(frontdesk, background=False), follow_redirects=False) as c:
        yield c


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def login(client: TestClient, who: str, password: str = PASSWORD) -> str:
    """Sign in as one of ACCOUNTS; returns the session's CSRF token."""
    page = client.get("/admin/login")
    token = CSRF_FIELD.search(page.text).group(1)
    res = client.post("/admin/login", data={"csrf": token, "username": ACCOUNTS[who].username, "password": password, "next": "/admin/"})
    assert res.status_code == 303, res.text
    return csrf_of(client)


def csrf_of(client: TestClient) -> str:
    page = client.get("/admin/audit") if True else None
    m = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
    assert m and m.group(1), page.status_code
    return m.group(1)
