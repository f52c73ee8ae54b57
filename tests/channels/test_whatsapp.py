"""WhatsApp over HTTP: verification, signatures, typed updates, statuses, limits, the 24-hour window."""

from __future__ import annotations

import json

from bot.storage.models import InboundMessage, MessageLog, OutboxMessage, WhatsAppStatus
from tests.channels import fakes
from tests.channels.conftest import WA_PHONE, WA_VERIFY, Harness

USER = "6281298765432"


async def test_verification_challenge(harness: Harness) -> None:
    ok = await harness.http.get("/whatsapp/webhook", params={"hub.mode": "subscribe", "hub.verify_token": WA_VERIFY,
                                                             "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = await harness.http.get("/whatsapp/webhook", params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                              "hub.challenge": "1158201444"})
    assert bad.status_code == 403


async def test_bad_or_missing_signature_is_refused_and_nothing_is_processed(harness: Harness) -> None:
    payload = fakes.wa_text(WA_PHONE, USER, "halo")
    assert (await harness.whatsapp(payload, secret=None)).status_code in (401, 403)
    assert (await harness.whatsapp(payload, secret="wrong-secret")).status_code in (401, 403)
    assert (await harness.whatsapp(payload, signature="sha256=deadbeef")).status_code in (401, 403)
    assert await harness.rows(InboundMessage) == []
    assert await harness.rows(OutboxMessage) == []


async def test_text_menu_fits_whatsapp_limits_in_both_languages(harness: Harness) -> None:
    await harness.whatsapp(fakes.wa_text(WA_PHONE, USER, "halo"))
    await harness.whatsapp(fakes.wa_button_reply(WA_PHONE, USER, "lang:en", "English"))
    await harness.whatsapp(fakes.wa_text(WA_PHONE, USER, "menu"))
    await harness.deliver()
    sent = harness.wa.sent()
    assert sent
    interactive = [c.params["interactive"] for c in sent if c.params.get("type") == "interactive"]
    assert interactive, [c.params for c in sent]
    for item in interactive:
        assert len(item["body"]["text"]) <= 1024
        if item["type"] == "button":
            assert len(item["action"]["buttons"]) <= 3
            assert all(len(b["reply"]["title"]) <= 20 for b in item["action"]["buttons"])
        if item["type"] == "list":
            rows = [r for s in item["action"]["sections"] for r in s["rows"]]
            assert len(rows) <= 10 and all(len(r["title"]) <= 24 for r in rows)
            assert len(item["action"]["button"]) <= 20
    langs = {m.language for m in await harness.rows(MessageLog, MessageLog.direction == "out")}
    assert langs == {"id", "en"}


async def test_list_reply_location_and_duplicates(harness: Harness) -> None:
    reply = fakes.wa_list_reply(WA_PHONE, USER, "flow:main_menu", "Menu", msg_id="wamid.LIST1")
    assert (await harness.whatsapp(reply)).status_code == 200
    n = len(await harness.rows(OutboxMessage))
    assert n > 0
    assert (await harness.whatsapp(reply)).status_code == 200  # delivered twice, processed once
    assert len(await harness.rows(OutboxMessage)) == n
    assert (await harness.whatsapp(fakes.wa_location(WA_PHONE, USER, -6.9, 107.6))).status_code == 200
    kinds = [m.kind for m in await harness.rows(MessageLog, MessageLog.direction == "in")]
    assert kinds == ["button", "location"]


async def test_statuses_are_recorded_once(harness: Harness) -> None:
    for status in ("sent", "delivered", "read", "read"):
        r = await harness.whatsapp(fakes.wa_status(WA_PHONE, USER, "wamid.OUT1", status))
        assert r.status_code == 200
    r = await harness.whatsapp(fakes.wa_status(WA_PHONE, USER, "wamid.OUT2", "failed",
                                               error={"code": 131026, "title": "Message undeliverable",
                                                      "message": "Message undeliverable"}))
    assert r.status_code == 200
    rows = await harness.rows(WhatsAppStatus)
    assert sorted((r.message_id, r.status) for r in rows) == [
        ("wamid.OUT1", "delivered"), ("wamid.OUT1", "read"), ("wamid.OUT1", "sent"), ("wamid.OUT2", "failed")]
    assert [r.error_code for r in rows if r.status == "failed"] == [131026]


async def test_sticker_gets_a_polite_reply_and_malformed_bodies_a_4xx(harness: Harness) -> None:
    assert (await harness.whatsapp(fakes.wa_sticker(WA_PHONE, USER))).status_code == 200
    await harness.deliver()
    assert len(harness.wa.sent()) == 1
    for body in (b"{oops", b"[1,2]"):
        r = await harness.whatsapp(body)
        assert 400 <= r.status_code < 500
    assert len(await harness.rows(InboundMessage)) == 1


async def test_reminder_outside_the_window_is_a_template_inside_free_text(harness: Harness) -> None:
    from bot.outbox import Message, post

    await harness.whatsapp(fakes.wa_text(WA_PHONE, USER, "halo"))
    await harness.deliver()
    harness.wa.reset()

    async def remind(key: str) -> None:
        async with harness.app.db.transaction() as s:
            await post(s, [Message("whatsapp", USER, {"text": "Pengingat: besok 10:00\ndi PLUT"}, key=key, kind="reminder",
                                   lang="id")], now=harness.app.clock.now())

    await remind("r1")
    await harness.deliver()
    assert harness.wa.sent()[-1].params["type"] == "text"
    harness.advance(hours=25)
    await remind("r2")
    await harness.deliver()
    last = harness.wa.sent()[-1].params
    assert last["type"] == "template" and last["template"]["name"] == "booking_reminder"
    assert "\n" not in json.dumps(last["template"]["components"]).replace("\\n", "")


async def test_a_batched_webhook_is_processed_message_by_message(harness: Harness) -> None:
    first = fakes.wa_text(WA_PHONE, "6281200000011", "halo", msg_id="wamid.B1")
    second = fakes.wa_text(WA_PHONE, "6281200000012", "menu", msg_id="wamid.B2")
    value = first["entry"][0]["changes"][0]["value"]
    value["messages"] += second["entry"][0]["changes"][0]["value"]["messages"]
    value["contacts"] += second["entry"][0]["changes"][0]["value"]["contacts"]
    assert (await harness.whatsapp(first)).status_code == 200
    assert {m.message_id for m in await harness.rows(InboundMessage)} == {"wamid.B1", "wamid.B2"}


async def test_a_ten_thousand_character_message_gets_an_answer_within_limits(harness: Harness) -> None:
    assert (await harness.whatsapp(fakes.wa_text(WA_PHONE, USER, "kata " * 2000))).status_code == 200
    await harness.deliver()
    assert harness.wa.sent()
    for c in harness.wa.sent():
        body = c.params.get("text", {}).get("body") or c.params.get("interactive", {}).get("body", {}).get("text", "")
        assert len(body) <= 4096
