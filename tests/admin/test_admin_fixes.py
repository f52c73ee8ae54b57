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
