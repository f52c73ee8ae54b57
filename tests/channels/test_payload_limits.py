"""Button payloads past a platform's limit go out as stored references and come back whole."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.services import booking as svc
from bot.storage.models import Booking, OutboxMessage, User
from tests.channels import fakes
from tests.channels.conftest import Harness, tg_texts

UID = 661001


async def test_a_declined_booking_at_a_long_named_center_reaches_the_telegram_user(seeded: Harness) -> None:
    """The decline notice's "Choose another time" button means
    `flow:book_consultation?center=plut-biak-numfor&area=institutional` (65 bytes, one past
    Telegram's `callback_data` limit): the notice must still reach the user, and the button
    must still lead to booking at that center."""
    h = seeded
    now = h.app.clock.now()
    async with h.app.db.transaction() as s:
        user = User(channel="telegram", external_id=str(UID), created_at=now, language="en", language_locked=True)
        s.add(user)
        await s.flush()
        starts = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Jayapura"))
        booking = await svc.book(s, svc.BookingRequest(
            user_id=user.id, center_code="plut-biak-numfor", area="institutional", starts_at=starts, name="Yosina",
            business_name="Sagu Biak", business_kind="sagu", phone="+6281234567890", consent_at=now, language="en",
        ), now=now)
        ref = booking.ref
        await svc.decline_booking(s, consultant_id=booking.consultant_id, ref=ref, now=now)
    await h.deliver()

    async with h.app.db.transaction() as s:
        notice = (await s.execute(select(OutboxMessage).where(OutboxMessage.ref == ref,
                                                              OutboxMessage.kind == "booking.declined"))).scalar_one()
        assert notice.status == "sent", notice.last_error
        status = (await s.execute(select(Booking.status).where(Booking.ref == ref))).scalar_one()
        assert status == "declined"
    sent = [c for c in h.tg.sent() if str(c.params.get("chat_id")) == str(UID) and ref in c.params.get("text", "")]
    assert sent, "the decline notice reached the user"
    (button,) = [b for row in sent[-1].params["reply_markup"]["inline_keyboard"] for b in row]
    data = button["callback_data"]
    assert len(data.encode()) <= 64

    r = await h.telegram(fakes.tg_callback(UID, data))
    assert r.status_code == 200
    await h.deliver()
    answer = "\n".join(tg_texts(h.tg, UID)[-3:])
    assert "Biak" in answer, answer
