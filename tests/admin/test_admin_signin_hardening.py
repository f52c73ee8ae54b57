"""Sign-in under concurrency (issue 15, defects 3 and 4) and "sign out everywhere"."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import httpx
import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from bot.admin import auth
from bot.app import FrontDesk

from .conftest import PASSWORD, login

TOKEN = "login-form-token"


async def _attempts(frontdesk: FrontDesk, tries: list[tuple[str, str]], username: str = "ana") -> Counter[int]:
    """Post every (address, password) sign-in at once through the real app; count the answers."""
    from bot.web.app import create_app

    app = create_app(frontdesk, background=False)
    await frontdesk.start()
    try:
        async def one(ip: str, password: str) -> int:
            transport = httpx.ASGITransport(app=app, client=(ip, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://admin.test",
                                         cookies={auth.LOGIN_CSRF_COOKIE: TOKEN}) as c:
                res = await c.post("/admin/login", data={"csrf": TOKEN, "username": username, "password": password})
                return res.status_code

        codes = await asyncio.gather(*(one(ip, pw) for ip, pw in tries))
    finally:
        await frontdesk.close()
    return Counter(codes)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_thirty_sign_ins_at_once_from_one_address_check_at_most_five(frontdesk: FrontDesk, backend: str) -> None:
    codes = asyncio.run(_attempts(frontdesk, [("10.0.0.1", "wrong password!")] * 30))
    assert codes[401] <= auth.MAX_FAILURES_PER_USER, codes
    assert codes[401] + codes[429] == 30, codes


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_right_password_among_29_wrong_from_30_addresses_is_checked_at_most_five_times(
        frontdesk: FrontDesk, backend: str) -> None:
    tries = [(f"10.0.1.{n}", "wrong password!") for n in range(29)]
    tries.insert(15, ("10.0.1.200", PASSWORD))
    codes = asyncio.run(_attempts(frontdesk, tries))
    assert codes[401] + codes[303] <= auth.MAX_FAILURES_PER_USER, codes
    assert codes[429] >= 25, codes


class _WatchedHasher(PasswordHasher):
    """The real argon2 hasher, noting on which threads it runs and how many at once."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        with self.lock:
            self.threads.add(threading.get_ident())
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


def test_password_checks_run_off_the_event_loop_a_few_at_a_time(frontdesk: FrontDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    watched = _WatchedHasher()
    monkeypatch.setattr(auth, "_hasher", watched)
    loop_thread = threading.get_ident()  # asyncio.run runs the loop on this thread
    codes = asyncio.run(_attempts(frontdesk, [(f"10.0.2.{n}", "whatever pw") for n in range(12)], username="nobody"))
    assert codes[401] == 5 and codes[429] == 7, codes
    assert watched.threads and loop_thread not in watched.threads
    assert 1 <= watched.most <= auth.HASHING_THREADS


def test_sign_out_everywhere_ends_every_session_of_the_account(client: TestClient) -> None:
    other = TestClient(client.app, follow_redirects=False)
    login(other, "admin")
    third = TestClient(client.app, follow_redirects=False)
    login(third, "center_admin")  # another account keeps its session
    csrf = login(client, "admin")
    assert other.get("/admin/audit").status_code == 200
    res = client.post("/admin/logout/everywhere", data={"csrf": csrf})
    assert res.status_code == 303
    assert client.get("/admin/audit").status_code == 303  # back to the sign-in page
    assert other.get("/admin/audit").status_code == 303
    assert third.get("/admin/audit").status_code == 200


def test_signing_out_ends_that_session_even_for_a_copied_cookie(client: TestClient) -> None:
    csrf = login(client, "admin")
    stolen = client.cookies.get(auth.SESSION_COOKIE)
    assert client.post("/admin/logout", data={"csrf": csrf}).status_code == 303
    replay = TestClient(client.app, follow_redirects=False, cookies={auth.SESSION_COOKIE: stolen})
    assert replay.get("/admin/audit").status_code == 303
