""""Minta konsultasi": a center that takes no bookings here is asked to contact the owner.
The request is recorded and its center's consultants and admins are told through the outbox,
on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from bot.app import FrontDesk
from bot.engine.events import Event, Reply
from bot.storage.models import AdminUser, Consultant, ConsultationRequest, OutboxMessage

_ids = itertools.count()


async def say(app: FrontDesk, user: str, **kw: object) -> list[Reply]:
    return await app.engine.handle(Event(channel="telegram", user_id=user, message_id=f"c{next(_ids)}", **kw))  # type: ignore[arg-type]


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or "" for r in replies)


async def _people(app: FrontDesk) -> None:
    now = app.clock.now()
    async with app.db.transaction() as session:
        # Gianyar: a former consultant (inactive, so the center takes no bookings) still tied to
        # the center admin's account; Maros: an active consultant, who must not hear of it.
        session.add_all([
            Consultant(id=901, center_code="plut-gianyar", name="Admin Gianyar", areas=[], active=False,
                       channel="telegram", external_id="tg-admin-gianyar", created_at=now),
            Consultant(id=902, center_code="plut-maros", name="Konsultan Maros", areas=["marketing"], active=True,
                       channel="telegram", external_id="tg-maros", created_at=now),
        ])
        await session.flush()
        session.add(AdminUser(username="gianyar", password_hash="x", role="center_admin", center_code="plut-gianyar",
                              consultant_id=901, language="id", active=True, created_at=now))


async def test_request_is_recorded_and_routed_to_the_centers_people(app: FrontDesk) -> None:
    from bot.services.centers import seed_centers
    from bot.config import ROOT

    async with app.db.transaction() as session:
        await seed_centers(session, ROOT)
    await _people(app)
    first = await say(app, "owner1", button="flow:request_consultation?center=plut-gianyar")
    assert "permintaan konsultasi ke PLUT-KUMKM Kabupaten Gianyar" in texts(first)
    await say(app, "owner1", button="goto:request_consultation.question?service_area=production")
    await say(app, "owner1", text="sambal saya cepat basi, paling 3 hari")
    consent = await say(app, "owner1", text="0812 3456 7890")
    assert "UU PDP" in texts(consent)
    done = await say(app, "owner1", button="yes")
    body = texts(done)
    assert "permintaan #1 sudah dikirim ke PLUT-KUMKM Kabupaten Gianyar" in body
    assert "+6281234567890" in body and "tentang produksi" in body
    async with app.db.transaction() as session:
        rows = (await session.execute(select(ConsultationRequest))).scalars().all()
        sent = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "consultation.request"))).scalars().all()
    assert [(r.center_code, r.service_area, r.phone, r.question) for r in rows] == [
        ("plut-gianyar", "production", "+6281234567890", "sambal saya cepat basi, paling 3 hari")]
    assert [m.recipient for m in sent] == ["tg-admin-gianyar"]
    assert "Bidang: Produksi" in str(sent[0].payload) and "sambal saya cepat basi" in str(sent[0].payload)

    # Asking again while the first is still new sends nothing twice.
    await say(app, "owner1", button="flow:request_consultation?center=plut-gianyar&service_area=production")
    again = await say(app, "owner1", text="ini pertanyaan kedua")  # phone and consent are known by now
    assert "masih menunggu ditindaklanjuti" in texts(again)
    async with app.db.transaction() as session:
        assert len((await session.execute(select(ConsultationRequest))).scalars().all()) == 1
        assert len((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "consultation.request"))).scalars().all()) == 1


async def test_no_consent_records_nothing(app: FrontDesk) -> None:
    from bot.services.centers import seed_centers
    from bot.config import ROOT

    async with app.db.transaction() as session:
        await seed_centers(session, ROOT)
    await say(app, "owner2", button="flow:request_consultation?center=plut-gianyar&service_area=marketing")
    await say(app, "owner2", text="jualan online")
    await say(app, "owner2", text="081234567890")
    no = await say(app, "owner2", button="no")
    assert "permintaan tidak dikirim" in texts(no)
    async with app.db.transaction() as session:
        assert (await session.execute(select(ConsultationRequest))).scalars().all() == []


async def test_booking_a_center_that_takes_no_bookings_says_so(app: FrontDesk) -> None:
    from bot.services.centers import seed_centers
    from bot.config import ROOT

    async with app.db.transaction() as session:
        await seed_centers(session, ROOT)
    await _people(app)
    replies = await say(app, "owner3", button="flow:book_consultation?center=plut-gianyar")  # an old "Book here" button
    assert "PLUT-KUMKM Kabupaten Gianyar belum melayani booking lewat chat ini" in texts(replies)
    assert any(b.title == "Minta konsultasi" and b.payload == "flow:request_consultation?center=plut-gianyar"
               for r in replies for b in r.buttons)
