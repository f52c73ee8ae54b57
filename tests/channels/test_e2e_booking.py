"""End to end over HTTP: find the nearest center and book on Telegram and on WhatsApp, in both
languages; the consultant, linked with a one-time code, gets the notification and accepts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.consultant_link import create_invite
from bot.storage.models import Booking, Consultant
from tests.channels import fakes
from tests.channels.conftest import WA_PHONE, Harness, tg_button, tg_texts, wa_choice, wa_texts

OWNER = 880001
CONSULTANT_TG = 990001


async def _invite(h: Harness, center: str, area: str) -> tuple[int, str]:
    async with h.app.db.transaction() as s:
        rows = (await s.execute(select(Consultant).where(Consultant.center_code == center))).scalars().all()
        consultant = next(c for c in rows if area in (c.areas or []))
        code = await create_invite(s, consultant.id, now=h.app.clock.now())
    return consultant.id, code


async def step(h: Harness, update: dict) -> None:  # type: ignore[type-arg]
    r = await h.telegram(update)
    assert r.status_code == 200, r.text
    await h.deliver()


LANG = {
    "id": {"menu_center": "PLUT terdekat", "time": "jam 10", "name": "Siti Aminah", "business": "Batik Siti",
           "kind": "kerajinan batik", "booked": "tercatat dengan kode ", "confirmed": "dikonfirmasi"},
    "en": {"menu_center": "Find a center", "time": "10am", "name": "John Doe", "business": "Jogja Coffee",
           "kind": "coffee roasting", "booked": "Your booking code is ", "confirmed": "confirmed"},
}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_telegram_nearest_center_booking_and_consultant_accepts(seeded: Harness, lang: str) -> None:
    h = seeded
    L = LANG[lang]
    consultant_id, code = await _invite(h, "plut-sleman", "it")
    await step(h, fakes.tg_message(CONSULTANT_TG, text=f"/start link-{code.replace('-', '')}", first="Rina"))
    assert "tertaut" in tg_texts(h.tg, CONSULTANT_TG)[-1]
    async with h.app.db.transaction() as s:
        c = await s.get(Consultant, consultant_id)
        assert (c.channel, c.external_id) == ("telegram", str(CONSULTANT_TG))

    await step(h, fakes.tg_message(OWNER, text="/start"))
    if lang == "en":
        await step(h, fakes.tg_message(OWNER, text="/lang en"))
        assert "English" in tg_texts(h.tg, OWNER)[-2] + tg_texts(h.tg, OWNER)[-1]
    await step(h, fakes.tg_callback(OWNER, tg_button(h.tg, OWNER, L["menu_center"])))
    assert any(c.params.get("reply_markup", {}).get("keyboard") for c in h.tg.sent() if str(c.params.get("chat_id")) == str(OWNER)), \
        "the location request should come with a reply keyboard"
    await step(h, fakes.tg_location(OWNER, -7.7156, 110.3556))  # Sleman, Yogyakarta
    venues = [c for c in h.tg.of("sendVenue") if str(c.params["chat_id"]) == str(OWNER)]
    assert venues and "Sleman" in " ".join(tg_texts(h.tg, OWNER)) + venues[0].params["title"]

    await step(h, fakes.tg_callback(OWNER, "flow:book_consultation?center=plut-sleman&area=it"))
    await step(h, fakes.tg_callback(OWNER, "day:2026-11-24"))
    for text in (L["time"], L["name"], L["business"], L["kind"]):
        await step(h, fakes.tg_message(OWNER, text=text))
    await step(h, fakes.tg_contact(OWNER, "+6281234567890"))
    await step(h, fakes.tg_callback(OWNER, "yes"))   # consent
    await step(h, fakes.tg_callback(OWNER, "yes"))   # confirm
    body = "\n".join(tg_texts(h.tg, OWNER))
    assert L["booked"] + "PLUT-" in body
    ref = body.split(L["booked"])[1][:9]
    docs = [c for c in h.tg.of("sendDocument") if str(c.params["chat_id"]) == str(OWNER)]
    assert docs
    attached = docs[0].params["document"]  # multipart: "attach://<part name>"
    assert attached.startswith("attach://") and docs[0].files[attached[len("attach://"):]].startswith(b"BEGIN:VCALENDAR")

    # The consultant got the booking with Accept / Decline and accepts it.
    assert ref in "\n".join(tg_texts(h.tg, CONSULTANT_TG))
    accept = tg_button(h.tg, CONSULTANT_TG, "Terima")
    assert accept == f"act:booking.accept?ref={ref}"
    await step(h, fakes.tg_callback(CONSULTANT_TG, accept, first="Rina"))
    assert L["confirmed"] in tg_texts(h.tg, OWNER)[-1]
    async with h.app.db.transaction() as s:
        booking = (await s.execute(select(Booking).where(Booking.ref == ref))).scalar_one()
        assert str(booking.status).endswith("confirmed")

    # The next morning the consultant's agenda lists it, once.
    from datetime import datetime

    from bot.channels.jobs import send_agendas

    h.app.clock._frozen = datetime.fromisoformat("2026-11-24T06:30:00+07:00")  # noqa: SLF001
    assert await send_agendas(h.app) == 0  # before CONSULTANT_AGENDA_HOUR
    h.app.clock._frozen = datetime.fromisoformat("2026-11-24T07:05:00+07:00")  # noqa: SLF001
    assert await send_agendas(h.app) == 1
    await send_agendas(h.app)
    await h.deliver()
    agenda = [t for t in tg_texts(h.tg, CONSULTANT_TG) if t.startswith("Agenda")]
    assert len(agenda) == 1 and ref in agenda[0] and "10:00" in agenda[0]


async def wa_step(h: Harness, payload: dict) -> None:  # type: ignore[type-arg]
    r = await h.whatsapp(payload)
    assert r.status_code == 200, r.text
    await h.deliver()


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_whatsapp_nearest_center_booking_and_consultant_accepts(seeded: Harness, lang: str) -> None:
    h = seeded
    L = LANG[lang]
    user, consultant = "6281211110000", "6281399990000"
    consultant_id, code = await _invite(h, "plut-sleman", "it")
    await wa_step(h, fakes.wa_text(WA_PHONE, consultant, f"LINK {code}", name="Rina"))
    assert "tertaut" in wa_texts(h.wa, consultant)[-1]

    await wa_step(h, fakes.wa_text(WA_PHONE, user, "hello" if lang == "en" else "halo", name="John"))
    await wa_step(h, fakes.wa_button_reply(WA_PHONE, user, f"lang:{lang}", "Language"))
    await wa_step(h, fakes.wa_text(WA_PHONE, user, "menu"))
    payload, kind = wa_choice(h.wa, user, L["menu_center"])
    await wa_step(h, fakes.wa_list_reply(WA_PHONE, user, payload, L["menu_center"]) if kind == "list"
                  else fakes.wa_button_reply(WA_PHONE, user, payload, L["menu_center"]))
    assert any(c.params.get("type") == "interactive" and c.params["interactive"]["type"] == "location_request_message"
               for c in h.wa.sent() if c.params.get("to") == user)
    await wa_step(h, fakes.wa_location(WA_PHONE, user, -7.7156, 110.3556))
    locations = [c for c in h.wa.sent() if c.params.get("to") == user and c.params.get("type") == "location"]
    assert locations

    await wa_step(h, fakes.wa_button_reply(WA_PHONE, user, "flow:book_consultation?center=plut-sleman&area=it", "Book"))
    await wa_step(h, fakes.wa_list_reply(WA_PHONE, user, "day:2026-11-24", "Tue 24 Nov"))
    for text in (L["time"], L["name"], L["business"], L["kind"], "+62 812 9999 0000"):
        await wa_step(h, fakes.wa_text(WA_PHONE, user, text))
    await wa_step(h, fakes.wa_button_reply(WA_PHONE, user, "yes", "Yes"))  # consent
    await wa_step(h, fakes.wa_button_reply(WA_PHONE, user, "yes", "Yes"))  # confirm
    body = "\n".join(wa_texts(h.wa, user))
    assert L["booked"] + "PLUT-" in body
    ref = body.split(L["booked"])[1][:9]
    assert h.wa.of("media"), "the .ics is uploaded as a document"
    docs = [c for c in h.wa.sent() if c.params.get("to") == user and c.params.get("type") == "document"]
    assert docs and docs[0].params["document"]["filename"].endswith(".ics")
    for text in wa_texts(h.wa, user):
        assert len(text) <= 4096

    payload, kind = wa_choice(h.wa, consultant, "Terima")
    assert payload == f"act:booking.accept?ref={ref}"
    await wa_step(h, fakes.wa_button_reply(WA_PHONE, consultant, payload, "Terima"))
    assert L["confirmed"] in wa_texts(h.wa, user)[-1]
