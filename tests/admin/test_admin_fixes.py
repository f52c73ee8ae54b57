"""The admin fixes: dashboard counts labelled (made vs scheduled), times in each center's
zone, date filters on each center's own days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from bot.config import ROOT
from bot.domain.slots import parse_availability
from bot.services import booking as booking_svc
from bot.services.centers import seed_centers
from bot.storage.models import Booking, HandoffRequest, User

from .conftest import login

LATE = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
"""23:30 WIB on 1 December, which is already 01:30 WIT on 2 December."""


@pytest.fixture
def two_zones(frontdesk):
    async def build() -> None:
        now = datetime.now(UTC)
        async with frontdesk.db.transaction() as session:
            await seed_centers(session, ROOT)
            user = User(channel="web", external_id="z1", created_at=now, language_locked=False)
            session.add(user)
            await session.flush()
            for n, code in enumerate(("plut-sumbar", "plut-biak-numfor")):
                c = await booking_svc.add_consultant(session, center_code=code, name=f"Konsultan {n}", areas=["financing"],
                                                     windows=parse_availability("Mon-Fri 08:00-12:00"), now=now)
                session.add(Booking(ref=f"PLUT-Z{n}Z{n}", user_id=user.id, consultant_id=c.id, center_code=code,
                                    service_area="financing", starts_at=LATE, ends_at=LATE + timedelta(minutes=45),
                                    status="confirmed", name=f"Pelaku {code}", phone="0812", language="id", consent_at=now,
                                    created_at=LATE - timedelta(days=2), updated_at=now))
            session.add(HandoffRequest(user_id=user.id, center_code="plut-biak-numfor", question="jam berapa buka?",
                                       status="closed", created_at=LATE, closed_at=LATE))
        await frontdesk.db.dispose()

    asyncio.run(build())


def test_date_filters_count_each_centers_own_day(client: TestClient, two_zones) -> None:
    login(client, "admin")
    second = client.get("/admin/bookings?from=2026-12-02&to=2026-12-02").text
    assert "PLUT-Z1Z1" in second and "PLUT-Z0Z0" not in second  # Biak's 2 December began at 15:00 UTC
    first = client.get("/admin/bookings?from=2026-12-01&to=2026-12-01").text
    assert "PLUT-Z0Z0" in first and "PLUT-Z1Z1" not in first
    dash = client.get("/admin/dashboard?from=2026-12-02&to=2026-12-02").text
    assert 'id="fig-bookings_scheduled">1<' in dash


def test_times_are_shown_in_the_centers_zone(client: TestClient, two_zones) -> None:
    login(client, "admin")
    listed = client.get("/admin/bookings").text
    assert "2026-12-02 01:30 WIT" in listed and "2026-12-01 23:30 WIB" in listed
    assert "UTC" not in listed
    handoffs = client.get("/admin/handoffs").text
    assert "2026-12-02 01:30 WIT" in handoffs and " UTC" not in handoffs
    audit = client.get("/admin/audit").text
    assert " UTC" not in audit and " WIB" in audit  # the sign-in, in the default zone


def test_the_dashboard_tells_bookings_made_from_consultations_scheduled(client: TestClient, two_zones) -> None:
    login(client, "admin")
    # both were made at 16:30 UTC on 29 November: the 29th at the WIB center, the 30th at the WIT one
    dash = client.get("/admin/dashboard?from=2026-11-29&to=2026-11-30").text
    assert 'id="fig-bookings_made">2<' in dash and 'id="fig-bookings_scheduled">0<' in dash
    assert 'id="fig-bookings_made">1<' in client.get("/admin/dashboard?from=2026-11-30&to=2026-11-30").text
    assert "Booking dibuat dalam periode ini" in dash and "Konsultasi terjadwal dalam periode ini" in dash


def test_every_admin_page_names_its_favicon(client: TestClient) -> None:
    page = client.get("/admin/login").text
    assert '<link rel="icon" href="/admin/static/favicon.svg"' in page
    icon = client.get("/admin/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml") and "<svg" in icon.text


def test_faq_follow_ups_are_chosen_by_name(client: TestClient) -> None:
    import html
    import re

    from .test_admin_content import selected_options

    csrf = login(client, "admin")
    page = client.get("/admin/faq/cost").text
    assert '<select name="fu0_payload" class="target">' in page
    assert re.search(r'<option value="intent:find_center"[^>]*>Cari PLUT terdekat</option>', page)
    assert re.search(r'<option value="act:faq.answer\?intent=faq/what_is_plut"[^>]*>[^<:]+</option>', page)  # topics by their titles
    form = {k: v for k, v in re.findall(r'<input name="([a-z0-9_]+)" value="([^"]*)"', page)} | selected_options(page)
    form |= {"csrf": csrf, "examples": html.unescape(re.search(r'<textarea name="examples"[^>]*>(.*?)</textarea>', page, re.S).group(1)),
             "answer_id": "Gratis.", "answer_en": "Free."}

    async def versions(session):
        from sqlalchemy import func, select

        from bot.storage.models import ContentVersion
        return await session.scalar(select(func.count()).select_from(ContentVersion))

    def count() -> int:
        async def run():
            async with client.app.state.frontdesk.db.sessions() as session:
                return await versions(session)
        return client.portal.call(run)

    before = count()
    hand_made = client.post("/admin/faq/cost", data=form | {"fu0_id": "X", "fu0_en": "X", "fu0_payload": "act:booking.accept?ref=PLUT-1"})
    assert hand_made.status_code == 422 and "pilih tujuan setiap tombol lanjutan dari daftar" in hand_made.text
    assert count() == before  # not even a draft
    chosen = client.post("/admin/faq/cost", data=form | {"fu0_id": "Cari PLUT", "fu0_en": "Find a center", "fu0_payload": "intent:find_center"})
    assert chosen.status_code == 303 and count() == before + 1
    page = client.get("/admin/faq/cost").text
    assert re.search(r'<option value="intent:find_center"[^>]*selected>Cari PLUT terdekat</option>', page)


def test_an_faq_entry_is_archived_and_restored(client: TestClient) -> None:
    from sqlalchemy import select

    from bot.storage.models import AuditEntry

    from .test_admin_content import COST_QUESTION, _ask

    csrf = login(client, "admin")
    answer = _ask(client, COST_QUESTION)
    assert "gratis" in answer
    assert client.post("/admin/faq/cost/archive", data={"csrf": "wrong"}).status_code == 403
    assert client.post("/admin/faq/no_such_entry/archive", data={"csrf": csrf}).status_code == 404
    res = client.post("/admin/faq/cost/archive", data={"csrf": csrf})
    assert res.status_code == 303 and "done=archived" in res.headers["location"]
    assert _ask(client, COST_QUESTION) != answer  # no longer answered from the entry
    listed = client.get("/admin/faq").text
    assert 'id="archived"' in listed and 'href="/admin/faq/cost"' in listed.split('id="archived"', 1)[1].split("</p>", 1)[0]
    editor = client.get("/admin/faq/cost").text
    assert 'id="archived-note"' in editor and "Konsultasi" in editor  # its last content is shown, to restore
    assert client.post("/admin/faq/cost/rollback", data={"csrf": csrf}).status_code == 303  # restore
    # a new visitor: the same question twice in one conversation gets "which part?" (no reply repeated word for word)
    assert _ask(TestClient(client.app, follow_redirects=False), COST_QUESTION) == answer

    async def trail(session):
        return [a.action for a in (await session.execute(select(AuditEntry).where(AuditEntry.target_id == "faq/cost")
                                                         .order_by(AuditEntry.id))).scalars()]

    assert client.portal.call(lambda: _in_session(client, trail)) == ["faq.save_draft", "faq.archive", "faq.rollback"]


async def _in_session(client: TestClient, fn):
    async with client.app.state.frontdesk.db.sessions() as session:
        return await fn(session)


def test_a_flow_is_archived_only_when_no_other_flow_leads_to_it(client: TestClient) -> None:
    csrf = login(client, "admin")
    refused = client.post("/admin/flows/find_center/archive", data={"csrf": csrf})
    assert refused.status_code == 422 and "find_center" in refused.text  # the main menu leads to it
    assert client.post("/admin/flows/main_menu/archive", data={"csrf": csrf}).status_code == 422
    assert client.app.state.frontdesk.flows.get("find_center") is not None
    assert client.post("/admin/flows/no_such_flow/archive", data={"csrf": csrf}).status_code == 404
    res = client.post("/admin/flows/smalltalk_goodbye/archive", data={"csrf": csrf})
    assert res.status_code == 303
    assert client.app.state.frontdesk.flows.get("smalltalk_goodbye") is None
    assert "diarsipkan" in client.get("/admin/flows").text
    assert client.post("/admin/flows/smalltalk_goodbye/rollback", data={"csrf": csrf}).status_code == 303
    assert client.app.state.frontdesk.flows.get("smalltalk_goodbye") is not None
