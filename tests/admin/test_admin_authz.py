"""Authorization as a table: every mounted admin route × method × role.

The test fails if a route is mounted that the table does not list, so a new page
cannot be added without deciding who may use it."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from .conftest import ACCOUNTS, login

ANON, ADMIN, CADMIN, CONS = "anon", "admin", "center_admin", "consultant"
ALL_STAFF = {ADMIN, CADMIN, CONS}
PUBLIC = {ANON, ADMIN, CADMIN, CONS}

# (path template, method) -> (sample path, roles admitted)
TABLE: dict[tuple[str, str], tuple[str, set[str]]] = {
    ("/login", "GET"): ("/login", PUBLIC),
    ("/login", "POST"): ("/login", PUBLIC),
    ("/logout", "POST"): ("/logout", ALL_STAFF),
    ("/logout/everywhere", "POST"): ("/logout/everywhere", ALL_STAFF),
    ("/lang/{code}", "GET"): ("/lang/en", PUBLIC),
    ("/", "GET"): ("/", ALL_STAFF),
    ("/audit", "GET"): ("/audit", {ADMIN, CADMIN}),
    ("/dashboard", "GET"): ("/dashboard", {ADMIN, CADMIN}),
    ("/faq", "GET"): ("/faq", {ADMIN}),
    ("/faq/test", "GET"): ("/faq/test?q=halo", {ADMIN}),
    ("/faq/new", "GET"): ("/faq/new", {ADMIN}),
    ("/faq/new", "POST"): ("/faq/new", {ADMIN}),
    ("/faq/{topic}", "GET"): ("/faq/what_is_plut", {ADMIN}),
    ("/faq/{topic}", "POST"): ("/faq/what_is_plut", {ADMIN}),
    ("/faq/{topic}/publish", "POST"): ("/faq/what_is_plut/publish", {ADMIN}),
    ("/faq/{topic}/rollback", "POST"): ("/faq/what_is_plut/rollback", {ADMIN}),
    ("/faq/{topic}/archive", "POST"): ("/faq/no_such_topic/archive", {ADMIN}),
    ("/flows", "GET"): ("/flows", {ADMIN}),
    ("/flows/new", "POST"): ("/flows/new", {ADMIN}),
    ("/flows/{name}", "GET"): ("/flows/main_menu", {ADMIN}),
    ("/flows/{name}", "POST"): ("/flows/main_menu", {ADMIN}),
    ("/flows/{name}/publish", "POST"): ("/flows/main_menu/publish", {ADMIN}),
    ("/flows/{name}/rollback", "POST"): ("/flows/main_menu/rollback", {ADMIN}),
    ("/flows/{name}/archive", "POST"): ("/flows/main_menu/archive", {ADMIN}),
    ("/flows/{name}/try", "POST"): ("/flows/main_menu/try", {ADMIN}),
    ("/knowledge", "GET"): ("/knowledge", {ADMIN}),
    ("/knowledge/{topic}", "GET"): ("/knowledge/kur", {ADMIN}),
    ("/knowledge/{topic}", "POST"): ("/knowledge/kur", {ADMIN}),
    ("/knowledge/{topic}/publish", "POST"): ("/knowledge/kur/publish", {ADMIN}),
    ("/knowledge/{topic}/rollback", "POST"): ("/knowledge/kur/rollback", {ADMIN}),
    ("/knowledge/new", "GET"): ("/knowledge/new", {ADMIN}),
    ("/knowledge/new", "POST"): ("/knowledge/new", {ADMIN}),
    ("/knowledge/{topic}/entry", "POST"): ("/knowledge/kur/entry", {ADMIN}),
    ("/unanswered", "GET"): ("/unanswered", {ADMIN}),
    ("/unanswered/add", "POST"): ("/unanswered/add", {ADMIN}),
    ("/unanswered/intents/{name}/rollback", "POST"): ("/unanswered/intents/greet/rollback", {ADMIN}),
    ("/bookings", "GET"): ("/bookings", ALL_STAFF),
    ("/bookings/export.csv", "GET"): ("/bookings/export.csv", ALL_STAFF),
    ("/bookings/{id}", "GET"): ("/bookings/1", ALL_STAFF),
    ("/bookings/{id}/attendance", "POST"): ("/bookings/1/attendance", ALL_STAFF),
    ("/bookings/{id}/erase-owner", "POST"): ("/bookings/1/erase-owner", {ADMIN}),
    ("/handoffs", "GET"): ("/handoffs", ALL_STAFF),
    ("/inbox", "GET"): ("/inbox", ALL_STAFF),
    ("/inbox/events", "GET"): ("/inbox/events", ALL_STAFF),
    ("/inbox/bookings/{id}/accept", "POST"): ("/inbox/bookings/1/accept", {CONS}),
    ("/inbox/bookings/{id}/decline", "POST"): ("/inbox/bookings/1/decline", {CONS}),
    ("/inbox/handoffs/{id}/take", "POST"): ("/inbox/handoffs/1/take", {CONS}),
    ("/inbox/handoffs/{id}/answer", "POST"): ("/inbox/handoffs/1/answer", {CONS}),
    ("/inbox/handoffs/{id}/end", "POST"): ("/inbox/handoffs/1/end", {CONS}),
    ("/consultants", "GET"): ("/consultants", {ADMIN, CADMIN}),
    ("/consultants/new", "GET"): ("/consultants/new", {ADMIN, CADMIN}),
    ("/consultants/new", "POST"): ("/consultants/new", {ADMIN, CADMIN}),
    ("/consultants/export.csv", "GET"): ("/consultants/export.csv", {ADMIN, CADMIN}),
    ("/consultants/import", "POST"): ("/consultants/import", {ADMIN, CADMIN}),
    ("/consultants/{id}", "GET"): ("/consultants/1", {ADMIN, CADMIN}),
    ("/consultants/{id}", "POST"): ("/consultants/1", {ADMIN, CADMIN}),
    ("/closures", "GET"): ("/closures", {ADMIN, CADMIN}),
    ("/closures/new", "POST"): ("/closures/new", {ADMIN, CADMIN}),
    ("/closures/{id}/delete", "POST"): ("/closures/1/delete", {ADMIN, CADMIN}),
    ("/centers", "GET"): ("/centers", {ADMIN, CADMIN}),
    ("/centers/export.csv", "GET"): ("/centers/export.csv", {ADMIN, CADMIN}),
    ("/centers/import", "POST"): ("/centers/import", {ADMIN}),
    ("/centers/new", "GET"): ("/centers/new", {ADMIN}),
    ("/centers/new", "POST"): ("/centers/new", {ADMIN}),
    ("/centers/{id}", "GET"): ("/centers/1", {ADMIN, CADMIN}),
    ("/centers/{id}", "POST"): ("/centers/1", {ADMIN, CADMIN}),
    ("/centers/{id}/active", "POST"): ("/centers/1/active", {ADMIN}),
    ("/accounts", "GET"): ("/accounts", {ADMIN}),
    ("/accounts/new", "POST"): ("/accounts/new", {ADMIN}),
    ("/accounts/{id}", "GET"): ("/accounts/1", {ADMIN}),
    ("/accounts/{id}", "POST"): ("/accounts/1", {ADMIN}),
    ("/accounts/{id}/password", "POST"): ("/accounts/1/password", {ADMIN}),
}
STATIC = "/static"


def mounted_routes(client: TestClient) -> set[tuple[str, str]]:
    admin = next(r for r in client.app.routes if isinstance(r, Mount) and r.path == "/admin")
    found = set()
    for r in admin.routes:
        if isinstance(r, Route):
            for method in r.methods or ():
                if method != "HEAD":
                    found.add((r.path, method))
        elif isinstance(r, Mount):
            assert r.path == STATIC, f"unexpected mount {r.path}"
    return found


def test_every_mounted_route_is_in_the_table(client: TestClient) -> None:
    mounted = mounted_routes(client)
    assert mounted - set(TABLE) == set(), "routes without an authorization decision in TABLE"
    assert set(TABLE) - mounted == set(), "TABLE lists routes that are not mounted"


def _request(client: TestClient, method: str, path: str, csrf: str | None):
    url = "/admin" + path
    if method == "GET":
        return client.get(url)
    if path.endswith("/try"):
        return client.post(url, json={"yaml": "", "text": "x"}, headers={"x-csrf-token": csrf or ""})
    return client.post(url, data={"csrf": csrf or "", "version": "1", "name": "x", "target": "faq/x", "yaml": "flow: x"})


def _guard_outcome(res) -> str:
    # the guard sends an anonymous GET to the sign-in page; a POST it refuses with 401
    if res.request.method == "GET" and res.status_code == 303 and "/admin/login?next=" in res.headers.get("location", ""):
        return "login"
    if res.status_code in (401, 403):
        return "denied"
    return "passed"


@pytest.mark.parametrize("role", [ANON, ADMIN, CADMIN, CONS])
def test_each_role_on_each_route(client: TestClient, role: str) -> None:
    csrf = None if role == ANON else login(client, role)
    failures = []
    # the sign-outs last: they end the session the other rows need (each signs in afresh)
    for (template, method), (sample, roles) in sorted(TABLE.items(), key=lambda kv: kv[0][0].startswith("/logout")):
        if template in ("/login",) and method == "POST":
            continue  # the sign-in form has its own CSRF cookie; tested in test_admin_auth
        if template.startswith("/logout") and role != ANON:
            csrf = login(client, role)
        res = _request(client, method, sample, csrf)
        got = _guard_outcome(res)
        if role in roles:
            want = {"passed"}
        elif role == ANON:
            want = {"login"} if method == "GET" else {"denied"}
        else:
            want = {"denied"}
        if got not in want:
            failures.append(f"{role} {method} {sample}: {res.status_code} ({got}), expected {want}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", [ADMIN, CADMIN, CONS])
def test_posts_without_a_valid_csrf_token_are_refused(client: TestClient, who: str) -> None:
    csrf = login(client, who)
    for (template, method), (sample, roles) in TABLE.items():
        if method != "POST" or who not in roles or template == "/login":
            continue
        for bad in ("", csrf[:-1] + ("A" if csrf[-1] != "A" else "B")):
            res = client.post("/admin" + sample, data={"csrf": bad, "version": "1", "yaml": "flow: x"})
            assert res.status_code == 403, (sample, bad, res.status_code)
        if template.endswith("/try"):
            res = client.post("/admin" + sample, json={"yaml": "", "text": "x"})
            assert res.status_code == 403
    # and the session still works with the right token
    assert client.get("/admin/").status_code == 303


def test_a_center_admin_sees_only_their_centers_audit_entries(client: TestClient, frontdesk) -> None:
    import asyncio

    from bot.admin import audit

    async def add() -> None:
        async with frontdesk.db.transaction() as session:
            audit.record(session, None, "center.update", "center", 1, frontdesk.clock.now(), username="x", center_code="plut-sumbar", marker="own-center-1")
            audit.record(session, None, "center.update", "center", 2, frontdesk.clock.now(), username="x", center_code="plut-sumut", marker="other-center-2")
        await frontdesk.db.dispose()

    asyncio.run(add())
    login(client, CADMIN)
    page = client.get("/admin/audit").text
    assert "own-center-1" in page and "other-center-2" not in page
    client.cookies.clear()
    login(client, ADMIN)
    page = client.get("/admin/audit").text
    assert "own-center-1" in page and "other-center-2" in page
    assert re.search(ACCOUNTS[CADMIN].username, page)  # the center admin's sign-in is audited
