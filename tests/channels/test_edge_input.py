"""Bad input at the HTTP edge: never a 500, never a 503 that would be retried forever, and
nothing stored for what is refused (issue 15, defects 6, 7, 8 and 10)."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select

from bot.storage.models import InboundMessage, MessageLog
from tests.channels import fakes
from tests.channels.conftest import WA_PHONE, WA_SECRET, Harness, tg_texts, wa_texts

DEEP = 20_000


async def _count(h: Harness, model: object) -> int:
    async with h.app.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


# --- defect 6: unauthenticated 500s ------------------------------------------------------------


async def test_a_non_ascii_signature_header_is_refused_cleanly(harness: Harness) -> None:
    body = json.dumps(fakes.wa_text(WA_PHONE, "6281200000001", "halo")).encode()
    r = await harness.http.post("/whatsapp/webhook", content=body,
                                headers=[(b"content-type", b"application/json"),
                                         (b"x-hub-signature-256", b"sha256=\xe9\xe9\xff")])
    assert r.status_code == 401
    assert await _count(harness, InboundMessage) == 0


async def test_deeply_nested_json_is_a_400_on_try_and_parse(harness: Harness) -> None:
    deep = b"[" * DEEP + b"]" * DEEP
    harness.http.cookies.set("frontdesk_try", "browser-1")
    for path in ("/api/try", "/model/parse"):
        r = await harness.http.post(path, content=deep, headers={"content-type": "application/json"})
        assert r.status_code == 400, (path, r.status_code, r.text)
        obj = b'{"text": ' + b"[" * DEEP + b"]" * DEEP + b"}"
        r = await harness.http.post(path, content=obj, headers={"content-type": "application/json"})
        assert r.status_code == 400, (path, r.status_code, r.text)


async def test_nul_and_lone_surrogates_on_try_and_parse_are_answered(harness: Harness) -> None:
    harness.http.cookies.set("frontdesk_try", "browser-2")
    for text in ("halo\u0000 apa kabar", "halo \ud800 apa", "\udfff"):
        body = json.dumps({"text": text}).encode()  # ASCII JSON with \\u escapes, as a browser may send
        r = await harness.http.post("/api/try", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200, (text, r.status_code, r.text)
        assert r.json()["replies"]
        r = await harness.http.post("/model/parse", content=json.dumps({"text": text, "message_id": text}).encode(),
                                    headers={"content-type": "application/json"})
        assert r.status_code == 200, (text, r.status_code, r.text)
        assert "\u0000" not in r.json()["text"]
    async with harness.app.db.transaction() as s:
        stored = list((await s.execute(select(MessageLog.text).where(MessageLog.direction == "in"))).scalars())
    assert stored and all("\u0000" not in (t or "") for t in stored)


# --- defect 10: body caps before reading all of it ------------------------------------------------


async def test_bodies_over_the_cap_are_413_everywhere(harness: Harness) -> None:
    big = b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    harness.http.cookies.set("frontdesk_try", "browser-3")
    for path in ("/api/try", "/model/parse", "/whatsapp/webhook", "/telegram/webhook"):
        headers = {"content-type": "application/json", "x-hub-signature-256": fakes.sign(WA_SECRET, big),
                   "x-telegram-bot-api-secret-token": "s3cret-webhook_token"}
        r = await harness.http.post(path, content=big, headers=headers)
        assert r.status_code == 413, (path, r.status_code)


async def test_a_body_streamed_without_length_is_cut_at_the_cap(harness: Harness) -> None:
    async def chunks():  # no Content-Length: chunked transfer
        for _ in range(40):
            yield b"[" * 65536

    for path in ("/model/parse", "/api/try"):
        r = await harness.http.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413, (path, r.status_code)


# --- defect 7: signed but malformed bodies --------------------------------------------------------


async def test_signed_malformed_whatsapp_bodies_are_400_not_500(harness: Harness) -> None:
    bodies = [{}, [], {"object": "whatsapp_business_account", "entry": []}, {"entry": [{"changes": 5}]},
              {"entry": [{"changes": [{"value": {"messages": 5}}]}]}, {"entry": [5]}, "x", 7, None,
              {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
                                                                                       "value": {"contacts": [1, 2]}}]}]}]
    for body in bodies:
        r = await harness.whatsapp(json.dumps(body).encode())
        assert r.status_code in (200, 400), (body, r.status_code, r.text)
    nested = b'{"entry": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = await harness.whatsapp(nested)
    assert r.status_code == 400


async def test_a_signed_whatsapp_status_or_message_without_an_id_is_acknowledged_and_ignored(harness: Harness) -> None:
    # Found by the fuzz test: `"id": null` on a delivery status reached the database and answered
    # 503, which Meta would retry for days. Nothing to record it by: 200, and nothing stored.
    from bot.storage.models import WhatsAppStatus

    contact = {"wa_id": "6281277000005", "user_id": "ID.6281277000005"}
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "6281100000000", "phone_number_id": WA_PHONE},
             "contacts": [contact]}
    status = {"id": None, "status": "delivered", "timestamp": "1795000050", "recipient_id": "6281277000005",
              "recipient_user_id": "ID.6281277000005"}
    message = {"from": "6281277000005", "id": None, "timestamp": "1795000050", "type": "text", "text": {"body": "halo"}}
    for kind, item in (("statuses", status), ("messages", message)):
        body = {"object": "whatsapp_business_account",
                "entry": [{"id": "1", "changes": [{"field": "messages", "value": {**value, kind: [item]}}]}]}
        r = await harness.whatsapp(json.dumps(body).encode())
        assert r.status_code == 200, (kind, r.status_code, r.text)
    assert await _count(harness, WhatsAppStatus) == 0
    assert await _count(harness, InboundMessage) == 0


async def test_a_telegram_update_nested_1000_levels_is_400(harness: Harness) -> None:
    update = fakes.tg_message(5501, text="halo")
    body = json.dumps(update).encode()[:-1] + b', "x": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    r = await harness.telegram(body)
    assert r.status_code == 400
    assert await _count(harness, InboundMessage) == 0


# --- defect 8: poison updates answered 200 with a polite reply -------------------------------


async def test_impossible_coordinates_get_a_polite_reply_and_200(harness: Harness) -> None:
    h = harness
    for n, (lat, lon) in enumerate([(91.0, 100.0), (float("nan"), 100.0), (float("inf"), 0.0), (0.0, -181.0)]):
        uid = 5600 + n
        r = await h.telegram(json.dumps(fakes.tg_location(uid, lat, lon)).encode())  # NaN/Infinity as Python writes them
        assert r.status_code == 200, (lat, lon, r.status_code, r.text)
        wa_id = f"62812000056{n:02d}"
        r = await h.whatsapp(json.dumps(fakes.wa_location(WA_PHONE, wa_id, lat, lon)).encode())
        assert r.status_code == 200, (lat, lon, r.status_code, r.text)
    await h.deliver()
    said = tg_texts(h.tg, 5601)
    assert said and "lokasi" in said[-1].lower() and "Bapak/Ibu" in said[-1], said
    assert any("lokasi" in t.lower() for t in wa_texts(h.wa, "6281200005600")), wa_texts(h.wa, "6281200005600")


async def test_nul_and_lone_surrogates_in_platform_text_are_answered_200(harness: Harness) -> None:
    h = harness
    texts = ["halo\u0000", "\ud83d halo", "apa \udc00 kabar"]
    for n, text in enumerate(texts):
        r = await h.telegram(json.dumps(fakes.tg_message(5700 + n, text=text, first="Si\u0000ti\ud800")).encode())
        assert r.status_code == 200, (text, r.status_code, r.text)
        r = await h.whatsapp(json.dumps(fakes.wa_text(WA_PHONE, f"628120000570{n}", text, name="Bu\u0000di")).encode())
        assert r.status_code == 200, (text, r.status_code, r.text)
    await h.deliver()
    assert tg_texts(h.tg, 5700) and wa_texts(h.wa, "6281200005700")


async def test_the_webhooks_still_work_after_the_caps(harness: Harness) -> None:
    r = await harness.telegram(fakes.tg_message(5800, text="halo"))
    assert r.status_code == 200
    r = await harness.whatsapp(fakes.wa_text(WA_PHONE, "6281200005800", "halo"))
    assert r.status_code == 200
    await harness.deliver()
    assert tg_texts(harness.tg, 5800) and wa_texts(harness.wa, "6281200005800")


def test_httpx_sends_raw_header_bytes() -> None:
    """The non-ASCII header test above relies on httpx passing header bytes through as given."""
    request = httpx.Request("POST", "http://x/", headers=[(b"x-hub-signature-256", b"\xe9")])
    assert request.headers.raw[-1][1] == b"\xe9"
