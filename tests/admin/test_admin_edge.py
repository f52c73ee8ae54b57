"""Ids and dates a signed-in person types into admin URLs and forms: a clean 404 or 400,
never a 500 (issue 15, defect 11); and the bookings CSV cannot carry a formula (defect 5)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from bot.storage.models import Booking, Closure

from .conftest import login
from .test_admin_ops import _db, world  # noqa: F401  the same world of centers, consultants and bookings

HUGE = "99999999999999999999"
BIG = "99999999999"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_impossible_ids_in_urls_are_404(client: TestClient) -> None:
    csrf = login(client, "admin")
    for path in (f"/admin/bookings/{HUGE}", f"/admin/bookings/{BIG}", f"/admin/centers/{BIG}", f"/admin/centers/{HUGE}",
                 "/admin/centers/²", "/admin/bookings/²", f"/admin/consultants/{HUGE}", "/admin/consultants/%D9%A3"):
        res = client.get(path)
        assert res.status_code == 404, (path, res.status_code)
    for path, form in ((f"/admin/closures/{HUGE}/delete", {}), ("/admin/closures/²/delete", {}),
                       (f"/admin/bookings/{BIG}/attendance", {"attended": "yes"}),
                       (f"/admin/centers/{BIG}/active", {}),
                       ("/admin/faq/jam_buka/publish", {"version": HUGE}), ("/admin/faq/jam_buka/publish", {"version": "²"}),
                       ("/admin/closures/new", {"first_day": "2026-12-24", "consultant_id": HUGE})):
        res = client.post(path, data={"csrf": csrf, **form})
        assert res.status_code == 404, (path, form, res.status_code)
    assert _db(client, lambda s: s.scalar(select(Closure.id))) is None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_out_of_range_dates_are_400(client: TestClient) -> None:
    csrf = login(client, "admin")
    for path in ("/admin/dashboard?from=9999-12-31", "/admin/dashboard?to=9999-12-31", "/admin/dashboard?from=0001-01-01",
                 "/admin/bookings?to=9999-12-31", "/admin/bookings/export.csv?from=0001-01-01"):
        res = client.get(path)
        assert res.status_code == 400, (path, res.status_code)
    assert client.get("/admin/dashboard?from=2026-11-01&to=2026-11-30").status_code == 200
    res = client.post("/admin/closures/new", data={"csrf": csrf, "first_day": "9999-12-31", "center_code": "plut-sumbar"})
    assert res.status_code in (400, 422), res.status_code
    assert _db(client, lambda s: s.scalar(select(Closure.id))) is None


def test_the_bookings_csv_neutralises_formulas(client: TestClient, world) -> None:  # noqa: F811
    names = ["=HYPERLINK(\"http://evil.example\",\"klik\")", "@SUM(A1:A9)", "+62812", "-1+1", "\tTab", "\rCR"]

    async def poison(session):
        for n, name in enumerate(names[:4]):
            await session.execute(update(Booking).where(Booking.id == world[f"booking_{n}"])
                                  .values(name=name, business_name=names[(n + 4) % len(names)]))
        await session.commit()

    _db(client, poison)
    login(client, "admin")
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/bookings/export.csv").text, newline="")))
    cells = [r["name"] for r in rows] + [r["business_name"] for r in rows]
    assert len(rows) == 4
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'=HYPERLINK(\"http://evil.example\",\"klik\")" in cells and "'@SUM(A1:A9)" in cells
    assert "Pelaku" not in " ".join(cells)


def test_form_posts_are_read_within_the_body_cap(client: TestClient) -> None:
    """Admin form posts go through the same capped reader as the webhooks: a body over
    `MAX_FORM_BODY` is refused with 413 before it is parsed (Starlette's own reader takes any
    number of fields under a megabyte each), and nothing is stored."""
    from bot.admin.web import MAX_FORM_BODY

    csrf = login(client, "admin")
    fields = {f"note{i}": "x" * 900_000 for i in range(MAX_FORM_BODY // 900_000 + 1)}
    res = client.post("/admin/closures/new", data={"csrf": csrf, "first_day": "2026-12-24", "center_code": "plut-sumbar",
                                                   **fields})
    assert res.status_code == 413, res.status_code
    assert "text/html" in res.headers["content-type"]
    assert _db(client, lambda s: s.scalar(select(Closure.id))) is None

    big = b"code,name\n" + b"x" * MAX_FORM_BODY
    res = client.post("/admin/centers/import", data={"csrf": csrf}, files={"file": ("centers.csv", big, "text/csv")})
    assert res.status_code == 413, res.status_code
    # A file over the import's own limit but under the cap still gets the page's own words.
    res = client.post("/admin/centers/import", data={"csrf": csrf},
                      files={"file": ("centers.csv", b"code,name\n" + b"x" * (2 * 1024 * 1024 + 10), "text/csv")})
    assert res.status_code == 422 and "lebih besar dari 2 MB" in res.text, res.status_code


def test_a_malformed_form_post_is_a_clean_400_page(client: TestClient) -> None:
    login(client, "admin")
    for content_type, body in (("multipart/form-data", b"--x\r\nnot a part"),  # no boundary
                               ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n"),
                               ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % i for i in range(1001)))):
        res = client.post("/admin/closures/new", content=body, headers={"content-type": content_type})
        assert res.status_code == 400, (content_type, res.status_code)
        assert "text/html" in res.headers["content-type"] and "tidak dapat dibaca" in res.text, (content_type, res.text[:200])
    assert _db(client, lambda s: s.scalar(select(Closure.id))) is None
