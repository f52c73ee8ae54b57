"""The consultant inbox: who sees which bookings, notices, chats and agenda items; accepting
and declining from it; the event stream; notices for unlinked consultants kept out of the log."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import ROOT
from bot.domain.slots import parse_availability
from bot.outbox import Message, post
from bot.services import booking as booking_svc
from bot.services.centers import seed_centers
from bot.storage.models import AuditEntry, Booking, HandoffRequest, OutboxMessage, User

from .conftest import login

HOURS = "Mon-Fri 08:00-12:00, 13:00-15:00"


@pytest.fixture
def world(frontdesk):
    """Consultant 1 (the consultant account) and 2 at plut-sumbar, 3 at plut-sumut; a
    pending booking, a notice and an open chat for each; a confirmed booking of 1 in an hour."""

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
            for n, (key, code) in enumerate((("own", "plut-sumbar"), ("colleague", "plut-sumbar"), ("other", "plut-sumut"))):
                user = User(channel="telegram", external_id=f"77{n}", created_at=now, language="id", language_locked=False,
                            display_name=f"Pemilik {key}")
                session.add(user)
                await session.flush()
                start = now + timedelta(days=3, hours=n)
                b = Booking(ref=f"PLUT-I{n}X{n}", user_id=user.id, consultant_id=ids[key], center_code=code, service_area="financing",
                            starts_at=start, ends_at=start + timedelta(minutes=45), status="pending", name=f"Pelaku {key}",
                            business_name="Keripik", phone=f"0812000{n}", language="id", consent_at=now, created_at=now, updated_at=now)
                session.add(b)
                h = HandoffRequest(user_id=user.id, center_code=code, service_area="financing", question=f"Pertanyaan {key}",
                                   status="open", created_at=now - timedelta(minutes=5), escalations=0)
                session.add(h)
                await session.flush()
                ids[f"booking_{key}"], ids[f"handoff_{key}"] = b.id, h.id
                await post(session, [Message("inbox", f"consultant:{ids[key]}", {"text": f"Pemberitahuan untuk {key}"},
                                             key=f"test:{key}", kind="booking.new")], now=now)
            # later today in the center's own day (Padang, WIB): past 23:30 there, half an hour ago
            local = now.astimezone(ZoneInfo("Asia/Jakarta"))
            same_day = (local + timedelta(minutes=30)).date() == local.date()
            soon = now + timedelta(minutes=30) if same_day else now - timedelta(minutes=30)
            session.add(Booking(ref="PLUT-TODAY", user_id=user.id, consultant_id=ids["own"], center_code="plut-sumbar",
                                service_area="financing", starts_at=soon, ends_at=soon + timedelta(minutes=45), status="confirmed",
                                name="Pelaku hari ini", phone="0812", language="id", consent_at=now, created_at=now, updated_at=now))
        await frontdesk.db.dispose()
        assert ids["own"] == 1  # the consultant account is consultant 1
        return ids

    return asyncio.run(build())


def _db(client: TestClient, fn):
    async def run():
        async with client.app.state.frontdesk.db.sessions() as session:
            return await fn(session)

    return client.portal.call(run)


SEEN = {
    "consultant": {"own"},
    "center_admin": {"own", "colleague"},
    "admin": {"own", "colleague", "other"},
}


@pytest.mark.parametrize("role", ["consultant", "center_admin", "admin"])
def test_each_role_sees_its_own_scope(client: TestClient, world, role: str) -> None:
    login(client, role)
    page = client.get("/admin/inbox").text
    stream = client.get("/admin/inbox/events").text
    assert stream.startswith("event: inbox\n")
    for key in ("own", "colleague", "other"):
        want = key in SEEN[role]
        for text in (f"Pelaku {key}", f"Pemberitahuan untuk {key}"):
            assert (text in page) is want, (role, text)
            assert (text in stream) is want, (role, text)
        # a consultant sees the open chats of their whole center; the others their scope
        chat_seen = key in ({"own", "colleague"} if role == "consultant" else SEEN[role])
        assert (f"Pertanyaan {key}" in page) is chat_seen, (role, key)
    assert "Pelaku hari ini" in page  # today's agenda
    can_act = role == "consultant"
    assert ('/inbox/handoffs/' in page and '/take"' in page) is can_act
    assert (f'/inbox/bookings/{world["booking_own"]}/accept' in page) is can_act


def test_a_consultant_accepts_and_declines_only_their_own(client: TestClient, world) -> None:
    csrf = login(client, "consultant")
    res = client.post(f"/admin/inbox/bookings/{world['booking_own']}/accept", data={"csrf": csrf})
    assert res.status_code == 303 and "done=accepted" in res.headers["location"]
    for other in ("booking_colleague", "booking_other"):
        assert client.post(f"/admin/inbox/bookings/{world[other]}/accept", data={"csrf": csrf}).status_code == 404
        assert client.post(f"/admin/inbox/bookings/{world[other]}/decline", data={"csrf": csrf}).status_code == 404
    for bad in ("abc", "99999999", "1" * 40):
        assert client.post(f"/admin/inbox/bookings/{bad}/accept", data={"csrf": csrf}).status_code == 404
    assert client.post(f"/admin/inbox/bookings/{world['booking_own']}/accept", data={"csrf": "x"}).status_code == 403

    async def check(session):
        statuses = {b.ref: b.status for b in (await session.execute(select(Booking))).scalars()}
        told = [m.kind for m in (await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "telegram"))).scalars()]
        audit = [a.action for a in (await session.execute(select(AuditEntry).where(AuditEntry.action.like("booking.%")))).scalars()]
        return statuses, told, audit

    statuses, told, audit = _db(client, check)
    assert statuses["PLUT-I0X0"] == "confirmed" and statuses["PLUT-I1X1"] == "pending" and statuses["PLUT-I2X2"] == "pending"
    assert told == ["booking.accepted"]  # the owner hears it on Telegram
    assert audit == ["booking.accept"]
    # the owner cancelled meanwhile: a stale page's Accept changes nothing
    async def cancel(session):
        row = await session.get(Booking, world["booking_own"])
        row.status = "cancelled"
        await session.commit()

    _db(client, cancel)
    res = client.post(f"/admin/inbox/bookings/{world['booking_own']}/accept", data={"csrf": csrf})
    assert "done=booking_changed" in res.headers["location"]
    assert _db(client, check)[0]["PLUT-I0X0"] == "cancelled"


def test_staff_who_are_not_consultants_cannot_act(client: TestClient, world) -> None:
    for role in ("admin", "center_admin"):
        client.cookies.clear()
        csrf = login(client, role)
        assert client.post(f"/admin/inbox/bookings/{world['booking_own']}/accept", data={"csrf": csrf}).status_code == 403
        assert client.post(f"/admin/inbox/handoffs/{world['handoff_own']}/take", data={"csrf": csrf}).status_code == 403


def test_an_unlinked_consultants_notice_is_not_written_to_the_log(frontdesk, caplog) -> None:
    from bot.outbox.worker import Worker

    async def run() -> list[str]:
        now = frontdesk.clock.now()
        async with frontdesk.db.transaction() as session:
            await post(session, [Message("inbox", "consultant:7", {"text": "Pelaku Rahasia, telepon 081299998888"},
                                         key="n1", kind="booking.new", ref="PLUT-XXXX")], now=now)
        with caplog.at_level(logging.DEBUG):
            await Worker(frontdesk).deliver_once(now)
        async with frontdesk.db.sessions() as session:
            status = [r.status for r in (await session.execute(select(OutboxMessage))).scalars()]
        await frontdesk.db.dispose()
        return status

    assert asyncio.run(run()) == ["sent"]
    assert "PLUT-XXXX" in caplog.text
    assert "081299998888" not in caplog.text and "Rahasia" not in caplog.text
