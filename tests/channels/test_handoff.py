"""Human handoff over HTTP: routing, taking, relaying both ways, ending, rating, escalation."""

from __future__ import annotations

from sqlalchemy import select

from bot.dialogue import handoff
from bot.services.consultant_link import create_invite
from bot.storage.models import Consultant, HandoffMessage, HandoffRequest
from tests.channels import fakes
from tests.channels.conftest import WA_PHONE, Harness, tg_button, tg_texts, wa_choice, wa_texts

OWNER = 770001
CONSULTANT = 660001
OTHER = 660002


async def _link(h: Harness, center: str, area: str, chat: int, *, name: str = "Rina") -> int:
    async with h.app.db.transaction() as s:
        rows = (await s.execute(select(Consultant).where(Consultant.center_code == center).order_by(Consultant.id))).scalars().all()
        consultant = next(c for c in rows if area in (c.areas or []))
        code = await create_invite(s, consultant.id, now=h.app.clock.now())
    await step(h, fakes.tg_message(chat, text=f"/start link-{code}", first=name))
    return consultant.id


async def step(h: Harness, update: dict) -> None:  # type: ignore[type-arg]
    r = await h.telegram(update)
    assert r.status_code == 200, r.text
    await h.deliver()


async def _request(h: Harness, question: str = "Bagaimana cara daftar merek dagang?") -> None:
    await step(h, fakes.tg_callback(OWNER, "flow:talk_to_consultant?center=plut-sleman"))
    await step(h, fakes.tg_callback(OWNER, tg_button(h.tg, OWNER, "Perizinan")))
    await step(h, fakes.tg_message(OWNER, text=question, first="Siti"))


async def test_handoff_is_routed_taken_relayed_both_ways_ended_and_rated(seeded: Harness) -> None:
    h = seeded
    await _link(h, "plut-sleman", "institutional", CONSULTANT)
    await _link(h, "plut-maros", "marketing", OTHER, name="Budi")  # another center: not asked first
    await step(h, fakes.tg_message(OWNER, text="/start", first="Siti"))
    await _request(h)
    assert "konsultan" in tg_texts(h.tg, OWNER)[-1].lower()
    notice = "\n".join(tg_texts(h.tg, CONSULTANT))
    assert "Bagaimana cara daftar merek dagang?" in notice and "Siti" in notice
    assert not any("merek dagang" in t for t in tg_texts(h.tg, OTHER))

    # While waiting, the bot does not answer the question itself.
    before = len(tg_texts(h.tg, OWNER))
    await step(h, fakes.tg_message(OWNER, text="apakah ada biayanya?"))
    assert len(tg_texts(h.tg, OWNER)) == before + 1 and "catat" in tg_texts(h.tg, OWNER)[-1]

    take = tg_button(h.tg, CONSULTANT, "Ambil")
    await step(h, fakes.tg_callback(CONSULTANT, take, first="Rina"))
    assert "apakah ada biayanya?" in tg_texts(h.tg, CONSULTANT)[-1]  # what the user wrote while waiting
    assert "bergabung" in tg_texts(h.tg, OWNER)[-1]
    await step(h, fakes.tg_callback(OTHER, take, first="Budi"))  # too late
    assert "sudah diambil" in tg_texts(h.tg, OTHER)[-1]

    # Relay both ways: text, "menu" (not a command while handed off), photo, location.
    await step(h, fakes.tg_message(OWNER, text="menu"))
    assert tg_texts(h.tg, CONSULTANT)[-1].endswith(": menu")
    await step(h, fakes.tg_message(CONSULTANT, text="Silakan siapkan NIB dan logo.", first="Rina"))
    assert tg_texts(h.tg, OWNER)[-1].endswith("Silakan siapkan NIB dan logo.")
    await step(h, fakes.tg_photo(OWNER, caption="ini logonya"))
    photo = [c for c in h.tg.of("sendPhoto") if str(c.params["chat_id"]) == str(CONSULTANT)]
    assert photo and photo[0].params["photo"] == "AgACbig" and "ini logonya" in photo[0].params["caption"]
    await step(h, fakes.tg_location(CONSULTANT, -7.7156, 110.3556))
    assert [c for c in h.tg.of("sendLocation") if str(c.params["chat_id"]) == str(OWNER)]
    async with h.app.db.transaction() as s:
        kinds = [m.direction for m in (await s.execute(select(HandoffMessage).order_by(HandoffMessage.id))).scalars()]
    assert kinds.count("to_user") == 2 and kinds.count("to_consultant") >= 3

    # The consultant ends it; the user is asked for a rating and gives 5.
    await step(h, fakes.tg_message(CONSULTANT, text="/selesai", first="Rina"))
    assert "1" in tg_texts(h.tg, OWNER)[-1] and "5" in tg_texts(h.tg, OWNER)[-1]
    await step(h, fakes.tg_callback(OWNER, tg_button(h.tg, OWNER, "⭐⭐⭐⭐⭐")))
    assert any("Terima kasih atas penilaian" in t for t in tg_texts(h.tg, OWNER)[-3:])
    async with h.app.db.transaction() as s:
        req = (await s.execute(select(HandoffRequest))).scalar_one()
    assert (req.status, req.closed_by, req.rating, req.center_code, req.service_area) == (
        "closed", "consultant", 5, "plut-sleman", "institutional")

    # After the end the bot answers again.
    await step(h, fakes.tg_message(OWNER, text="/menu"))
    assert tg_button(h.tg, OWNER, "PLUT terdekat")


async def test_whatsapp_user_and_telegram_consultant_user_ends(seeded: Harness) -> None:
    h = seeded
    await _link(h, "plut-sleman", "institutional", CONSULTANT)
    user = "6281255550000"
    await h.whatsapp(fakes.wa_text(WA_PHONE, user, "halo", name="Dewi"))
    await h.whatsapp(fakes.wa_button_reply(WA_PHONE, user, "flow:talk_to_consultant?center=plut-sleman", "Konsultan"))
    await h.deliver()
    payload, _ = wa_choice(h.wa, user, "Perizinan")
    await h.whatsapp(fakes.wa_list_reply(WA_PHONE, user, payload, "Perizinan & legalitas"))
    await h.whatsapp(fakes.wa_text(WA_PHONE, user, "Apakah PIRT bisa diurus di PLUT?"))
    await h.deliver()
    await step(h, fakes.tg_callback(CONSULTANT, tg_button(h.tg, CONSULTANT, "Ambil")))
    await step(h, fakes.tg_message(CONSULTANT, text="Bisa, Bu. Bawa KTP."))
    assert wa_texts(h.wa, user)[-1].endswith("Bisa, Bu. Bawa KTP.")
    await h.whatsapp(fakes.wa_image(WA_PHONE, user, caption="foto produk"))
    await h.deliver()
    # Across platforms the file is fetched from WhatsApp and uploaded to Telegram.
    photo = [c for c in h.tg.of("sendPhoto") if str(c.params["chat_id"]) == str(CONSULTANT)][-1]
    assert "foto produk" in photo.params["caption"]
    assert photo.files[photo.params["photo"][len("attach://"):]] == b"JPEG-from-whatsapp"
    await step(h, fakes.tg_photo(CONSULTANT, caption="contoh label"))
    image = [c for c in h.wa.sent() if c.params.get("to") == user and c.params.get("type") == "image"][-1]
    assert "contoh label" in image.params["image"]["caption"]
    upload = h.wa.of("media")[-1]
    assert b"\x89PNG-from-telegram" in b"".join(upload.files.values())
    await h.whatsapp(fakes.wa_text(WA_PHONE, user, "/selesai"))
    await h.deliver()
    assert "mengakhiri" in tg_texts(h.tg, CONSULTANT)[-1]
    rate, kind = wa_choice(h.wa, user, "⭐⭐⭐⭐")
    assert kind == "list"  # five choices: a list on WhatsApp
    await h.whatsapp(fakes.wa_list_reply(WA_PHONE, user, rate, "⭐⭐⭐⭐"))
    rows = await h.rows(HandoffRequest)
    assert rows[0].closed_by == "user" and rows[0].rating is not None


async def test_unanswered_request_is_resent_wider_then_expires(seeded: Harness) -> None:
    h = seeded
    await _link(h, "plut-sleman", "institutional", CONSULTANT)
    await _link(h, "plut-maros", "marketing", OTHER, name="Budi")
    await step(h, fakes.tg_message(OWNER, text="/start"))
    await _request(h)
    assert len(tg_texts(h.tg, OTHER)) == 1, "another center's consultant is not asked first"
    h.advance(minutes=14)
    assert await handoff.escalate_due(h.app) == 0
    h.advance(minutes=1)
    assert await handoff.escalate_due(h.app) == 1
    await h.deliver()
    assert "menunggu 15 menit" in tg_texts(h.tg, CONSULTANT)[-1]  # re-sent
    for _ in range(2):  # then the area everywhere, then everyone
        h.advance(minutes=15)
        await handoff.escalate_due(h.app)
        await h.deliver()
    assert "menunggu 45 menit" in tg_texts(h.tg, OTHER)[-1]
    h.advance(hours=24)
    await handoff.escalate_due(h.app)
    await h.deliver()
    assert "belum ada konsultan" in tg_texts(h.tg, OWNER)[-1]
    assert (await h.rows(HandoffRequest))[0].status == "expired"


async def test_outside_opening_hours_the_user_is_told_when(seeded: Harness) -> None:
    h = seeded
    h.advance(days=5, hours=3)  # Saturday 12:00 WIB
    await step(h, fakes.tg_message(OWNER, text="/start"))
    await _request(h)
    note = tg_texts(h.tg, OWNER)[-1]
    assert "di luar jam kerja" in note and "Senin" in note


async def test_two_fallbacks_in_a_row_open_a_request(seeded: Harness) -> None:
    h = seeded
    await _link(h, "plut-sleman", "institutional", CONSULTANT)
    await step(h, fakes.tg_message(OWNER, text="/start"))
    await step(h, fakes.tg_message(OWNER, text="qwrtp zxcvb mnbvc"))
    assert await h.rows(HandoffRequest) == []
    await step(h, fakes.tg_message(OWNER, text="plkjh gfdsa poiuy"))
    assert len(await h.rows(HandoffRequest)) == 1


async def test_bad_link_codes_are_refused(seeded: Harness) -> None:
    h = seeded
    await step(h, fakes.tg_message(CONSULTANT, text="/start link-AAAABBBB"))
    assert "tidak berlaku" in tg_texts(h.tg, CONSULTANT)[-1]
    await _link(h, "plut-sleman", "institutional", CONSULTANT)
    async with h.app.db.transaction() as s:
        c = (await s.execute(select(Consultant).where(Consultant.external_id == str(CONSULTANT)))).scalar_one()
        code = await create_invite(s, c.id, now=h.app.clock.now(), valid_hours=1)
    h.advance(hours=2)
    await step(h, fakes.tg_message(OTHER, text=f"/start link-{code}"))
    assert "tidak berlaku" in tg_texts(h.tg, OTHER)[-1]


async def test_a_request_opened_in_a_batch_holds_the_users_next_message_in_the_same_batch(seeded: Harness) -> None:
    """`Engine.handle_batch` asks once whether anyone in the batch is in a handoff; a turn
    that opens a request makes that answer stale for the turns after it."""
    from bot.engine.events import Event

    h = seeded
    ev = lambda user, mid, **kw: Event(channel="telegram", user_id=str(user), message_id=mid, **kw)  # noqa: E731
    await h.app.engine.handle(ev(OWNER, "b0", command="start"))
    results = await h.app.engine.handle_batch([
        (ev(OTHER, "b1", command="start"), None),
        (ev(OWNER, "b2", button="act:handoff.request?area=marketing&q=Cara+jualan+online"), None),
        (ev(OWNER, "b3", text="apakah ada biayanya?"), None),
    ])
    assert "konsultan" in (results[1][-1].text or "").lower()
    assert [r.text for r in results[2]] and "catat" in (results[2][0].text or ""), results[2]
    (req,) = await h.rows(HandoffRequest)
    waiting = await h.rows(HandoffMessage, HandoffMessage.request_id == req.id)
    assert [m.text for m in waiting][-1:] == ["apakah ada biayanya?"]
