"""The outbox transports' send path against the fake APIs, without the database: what goes
on the wire (JSON bodies, multipart uploads), the same parameters as the libraries' stock
clients send, and the errors sorted for the worker as before."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.channels.settings import load_channel_settings
from bot.channels.transports import TelegramTransport, WhatsAppTransport
from bot.outbox import PermanentError, TransientError
from tests.channels import fakes
from tests.channels.conftest import TG_TOKEN, WA_PHONE, WA_TOKEN

CHAT = "555123"
WA_USER = "6281234500077"

MENU = {"text": "Selamat datang di PLUT 👋", "lang": "id",
        "buttons": [{"title": "Booking", "payload": "flow:booking"}, {"title": "Lokasi", "payload": "flow:centers"},
                    {"title": "Jam buka", "payload": "flow:hours"}, {"title": "Konsultan", "payload": "flow:talk"}]}
LIST = {"text": "Pilih pusat layanan:", "options_title": "Pusat",
        "options": [{"title": f"PLUT Kota {i} — Jl. Merdeka No. {i}", "payload": f"center:pick?id={i}"} for i in range(5)]}
LONG_BUTTONS = {"text": "Topik?", "buttons": [{"title": "Pembiayaan dan permodalan usaha", "payload": "t:1"},
                                               {"title": "Ekspor", "payload": "t:2"}]}
LOCATION = {"text": "Kirim lokasi Anda", "request_location": True, "lang": "en"}
CONTACT = {"text": "Nomor Anda?", "request_contact": True}
VENUE = {"venue": {"latitude": -6.2, "longitude": 106.8, "title": "PLUT Jakarta", "address": "Jl. Merdeka 1"}}
DOCUMENT = {"document": {"content_base64": base64.b64encode(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").decode(),
                         "filename": "booking.ics", "caption": "Jadwal Anda"}}
PLAIN = {"text": "Terima kasih!"}


def _message(payload: dict[str, Any], recipient: str = CHAT) -> Any:
    return SimpleNamespace(payload=payload, recipient=recipient, kind="reply", id=1)


def _tg(fake: fakes.FakeBotAPI, **env: Any) -> TelegramTransport:
    cs = load_channel_settings(TELEGRAM_BOT_TOKEN=env.pop("token", TG_TOKEN), TELEGRAM_API_BASE=fake.url,
                               TELEGRAM_CHAT_BURST="100", CHANNEL_SEND_TIMEOUT="1", **env)
    return TelegramTransport(SimpleNamespace(settings=cs))  # type: ignore[arg-type]


def _wa(base: str) -> WhatsAppTransport:
    cs = load_channel_settings(WHATSAPP_TOKEN=WA_TOKEN, WHATSAPP_PHONE_ID=WA_PHONE, WHATSAPP_API_BASE=base,
                               WHATSAPP_VERIFY_TOKEN="v", WHATSAPP_APP_SECRET="s", CHANNEL_SEND_TIMEOUT="1")
    return WhatsAppTransport(SimpleNamespace(settings=cs))  # type: ignore[arg-type]


def _as_form(params: dict[str, Any]) -> dict[str, Any]:
    """JSON parameters as aiogram's form carries them: scalars other than text JSON-dumped."""
    return {k: v if isinstance(v, (str, dict, list)) else json.dumps(v) for k, v in params.items()}


# --- Telegram -----------------------------------------------------------------------------------


async def test_telegram_calls_without_files_go_as_json_with_the_parameters_of_aiogram_s_form(
        fake_tg: fakes.FakeBotAPI) -> None:
    """The same parts through aiogram's stock session (a form) and ours (JSON): the Bot API
    receives the same parameters."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    parts = [MENU, LIST, LONG_BUTTONS, LOCATION, CONTACT, VENUE, PLAIN, {"answer_callback": "cbq77"}]
    ours = _tg(fake_tg)
    stock = _tg(fake_tg)
    await stock.bot.session.close()
    stock.bot = Bot(TG_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake_tg.url)))
    try:
        for part in parts:
            await ours.send(_message(part))
        n = len(fake_tg.calls)
        for part in parts:
            await stock.send(_message(part))
    finally:
        await ours.close()
        await stock.close()
    json_calls, form_calls = fake_tg.calls[:n], fake_tg.calls[n:]
    assert [c.body for c in json_calls] == ["json"] * len(parts)
    assert [c.body for c in form_calls] == ["form"] * len(parts)
    assert [c.method for c in json_calls] == [c.method for c in form_calls] == [
        "sendMessage", "sendMessage", "sendMessage", "sendMessage", "sendMessage", "sendVenue", "sendMessage",
        "answerCallbackQuery"]
    for j, f in zip(json_calls, form_calls, strict=True):
        assert _as_form(j.params) == f.params
    menu = json_calls[0].params
    assert menu["chat_id"] == CHAT and menu["text"] == MENU["text"]
    assert menu["reply_markup"] == {"inline_keyboard": [
        [{"text": "Booking", "callback_data": "flow:booking"}, {"text": "Lokasi", "callback_data": "flow:centers"}],
        [{"text": "Jam buka", "callback_data": "flow:hours"}, {"text": "Konsultan", "callback_data": "flow:talk"}]]}
    assert json_calls[3].params["reply_markup"] == {
        "keyboard": [[{"text": "📍 Send my location", "request_location": True, "request_contact": False}]],
        "resize_keyboard": True, "one_time_keyboard": True}


async def test_telegram_send_returns_the_message_id_and_a_document_is_still_multipart(fake_tg: fakes.FakeBotAPI) -> None:
    t = _tg(fake_tg)
    try:
        first = await t.send(_message(MENU))
        doc = await t.send(_message(DOCUMENT))
        callback = await t.send(_message({"answer_callback": "cbq1"}))
    finally:
        await t.close()
    assert first is not None and doc is not None and callback is None
    assert int(doc) == int(first) + 1  # the ids the fake gave its messages, in order
    upload = fake_tg.of("sendDocument")[0]
    assert upload.body == "multipart" and upload.params["caption"] == "Jadwal Anda"
    assert list(upload.files.values()) == [b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"]


async def test_telegram_errors_are_sorted_for_the_worker_as_before(fake_tg: fakes.FakeBotAPI) -> None:
    t = _tg(fake_tg)
    try:
        fake_tg.too_many(retry_after=7, method="sendMessage")
        with pytest.raises(TransientError) as retry:
            await t.send(_message(MENU))
        assert retry.value.retry_after == 7.0
        fake_tg.server_error(method="sendMessage")
        with pytest.raises(TransientError):
            await t.send(_message(PLAIN))
        fake_tg.blocked(method="sendMessage")
        with pytest.raises(PermanentError, match="blocked"):
            await t.send(_message(PLAIN))
        fake_tg.fail(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                     method="sendMessage")
        with pytest.raises(PermanentError, match="chat not found"):
            await t.send(_message(LIST))
        fake_tg.fail(400, {"ok": False, "error_code": 400, "description": "Bad Request: query is too old"},
                     method="answerCallbackQuery")
        assert await t.send(_message({"answer_callback": "old"})) is None
        fake_tg.hang(method="sendMessage")
        with pytest.raises(TransientError, match="unavailable"):
            await t.send(_message(PLAIN))  # CHANNEL_SEND_TIMEOUT=1
        fake_tg.hang_event.set()
        assert await t.send(_message(PLAIN)) is not None
    finally:
        fake_tg.hang_event.set()
        await t.close()
    wrong = _tg(fake_tg, token="123456789:AAHanotherTokenThatTheFakeRefuses")
    try:
        with pytest.raises(TransientError) as refused:
            await wrong.send(_message(PLAIN))
        assert refused.value.retry_after == 300
    finally:
        await wrong.close()


async def test_telegram_network_error_is_transient() -> None:
    closed = fakes.FakeBotAPI(TG_TOKEN)  # never started: nothing listens on its port
    t = _tg(closed)
    try:
        with pytest.raises(TransientError, match="unavailable"):
            await t.send(_message(PLAIN))
    finally:
        await t.close()


# --- WhatsApp -----------------------------------------------------------------------------------


async def test_whatsapp_sends_the_parameters_of_pywa_s_stock_httpx_client(fake_wa: fakes.FakeGraphAPI) -> None:
    """The same parts through pywa on httpx's own transport and on ours (aiohttp): the
    Graph API receives the same requests."""
    from pywa_async import WhatsApp

    parts = [MENU, LIST, LOCATION, VENUE, PLAIN, {"template": {"name": "booking_reminder", "language": "id",
                                                               "text": "Besok\n10:00"}}]
    ours = _wa(fake_wa.url)
    stock = _wa(fake_wa.url)
    await stock.close()
    client = httpx.AsyncClient(timeout=5)
    stock.wa = WhatsApp(phone_id=WA_PHONE, token=WA_TOKEN, session=client, server=None, api_version="22.0")
    client.base_url = f"{fake_wa.url}/v22.0"
    ids = []
    try:
        for part in parts:
            ids.append(await ours.send(_message(part, WA_USER)))
        n = len(fake_wa.calls)
        for part in parts:
            await stock.send(_message(part, WA_USER))
    finally:
        await ours.close()
        await client.aclose()
    ours_calls, stock_calls = fake_wa.calls[:n], fake_wa.calls[n:]
    assert all(i and i.startswith("wamid.") for i in ids) and len(set(ids)) == len(ids)
    assert [c.body for c in ours_calls] == ["json"] * len(parts)
    assert [(c.path, c.params, c.body) for c in ours_calls] == [(c.path, c.params, c.body) for c in stock_calls]
    assert ours_calls[0].path == f"/v22.0/{WA_PHONE}/messages"
    assert [c.params["type"] for c in ours_calls] == ["interactive", "interactive", "interactive", "location", "text",
                                                     "template"]


async def test_whatsapp_document_is_uploaded_as_multipart_then_sent(fake_wa: fakes.FakeGraphAPI) -> None:
    t = _wa(fake_wa.url)
    try:
        sent = await t.send(_message(DOCUMENT, WA_USER))
    finally:
        await t.close()
    upload = fake_wa.of("media")[0]
    assert upload.body == "multipart" and b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" in upload.files.values()
    message = fake_wa.sent()[0].params
    assert message["type"] == "document" and message["document"]["filename"] == "booking.ics"
    assert sent is not None and sent.startswith("wamid.")


async def test_whatsapp_errors_are_sorted_for_the_worker_as_before(fake_wa: fakes.FakeGraphAPI) -> None:
    t = _wa(fake_wa.url)
    try:
        fake_wa.too_many(retry_after=4)
        with pytest.raises(TransientError) as throttled:
            await t.send(_message(PLAIN, WA_USER))
        assert throttled.value.retry_after == 4.0
        fake_wa.server_error()
        with pytest.raises(TransientError):
            await t.send(_message(MENU, WA_USER))
        fake_wa.invalid_number()
        with pytest.raises(PermanentError, match="131026"):
            await t.send(_message(PLAIN, WA_USER))
        fake_wa.hang()
        with pytest.raises(TransientError, match="unreachable: ReadTimeout"):
            await t.send(_message(PLAIN, WA_USER))  # CHANNEL_SEND_TIMEOUT=1
        fake_wa.hang_event.set()
        assert (await t.send(_message(PLAIN, WA_USER)) or "").startswith("wamid.")
    finally:
        fake_wa.hang_event.set()
        await t.close()
    nobody = _wa(f"http://127.0.0.1:{fakes._free_port()}")  # noqa: SLF001
    try:
        with pytest.raises(TransientError, match="unreachable: ConnectError"):
            await nobody.send(_message(PLAIN, WA_USER))
    finally:
        await nobody.close()


# --- pywa's httpx client on aiohttp ---------------------------------------------------------


@pytest.fixture
async def echo_server() -> AsyncIterator[tuple[str, list[web.Request]]]:
    """A small aiohttp server that records requests and answers gzip-compressed JSON with a cookie."""
    seen: list[web.Request] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request)
        await request.read()
        body = gzip.compress(json.dumps({"path": request.path_qs, "host": request.host}).encode())
        response = web.Response(body=body, content_type="application/json",
                                headers={"Content-Encoding": "gzip"})
        if request.query.get("cookie"):
            response.set_cookie("session", "abc")
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = fakes._free_port()  # noqa: SLF001
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_graph_requests_go_to_the_configured_base_and_answers_are_decoded_once(
        echo_server: tuple[str, list[web.Request]]) -> None:
    from bot.channels.whatsapp import AiohttpTransport, GraphClient

    base, seen = echo_server
    client = GraphClient(transport=AiohttpTransport(f"{base}/proxy/"), base_url="https://graph.facebook.com/v22.0")
    try:
        r = await client.post("/106540352242922/messages?x=a%2Fb", json={"to": "62"})
        assert r.json() == {"path": "/proxy/v22.0/106540352242922/messages?x=a%2Fb", "host": base.removeprefix("http://")}
        assert seen[-1].headers["content-type"] == "application/json"
        assert json.loads(await seen[-1].read()) == {"to": "62"}
        # Elsewhere (a media URL) the request goes where it says.
        r = await client.get(f"{base}/download/7")
        assert r.status_code == 200 and r.json()["path"] == "/download/7"
        assert len(client.cookies) == 0
        await client.get(f"{base}/download/8?cookie=1")  # a Set-Cookie is still kept, as by httpx
        assert client.cookies.get("session") == "abc"
    finally:
        await client.aclose()


def test_pywa_s_client_is_on_aiohttp_unless_a_proxy_is_set_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.whatsapp import AiohttpTransport, make_client

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    def transport(base: str) -> Any:
        cs = load_channel_settings(WHATSAPP_TOKEN=WA_TOKEN, WHATSAPP_PHONE_ID=WA_PHONE, WHATSAPP_API_BASE=base,
                                   WHATSAPP_VERIFY_TOKEN="v", WHATSAPP_APP_SECRET="s")
        return make_client(cs)._api._session._transport  # noqa: SLF001

    meta = transport("https://graph.facebook.com")
    assert isinstance(meta, AiohttpTransport) and meta.base is None
    local = transport("http://127.0.0.1:9/graph/")
    assert isinstance(local, AiohttpTransport) and local.base == "http://127.0.0.1:9/graph"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert isinstance(transport("https://graph.facebook.com"), httpx.AsyncHTTPTransport)  # httpx's, with the proxy
    assert isinstance(transport("http://127.0.0.1:9"), AiohttpTransport)  # as before: a set base goes direct


def test_the_graph_client_parses_a_request_url_once_and_merges_it_as_httpx_does() -> None:
    from bot.channels.whatsapp import GraphClient

    ours = GraphClient(base_url="https://graph.facebook.com/v22.0")
    stock = httpx.AsyncClient(base_url="https://graph.facebook.com/v22.0")
    for url in (f"/{WA_PHONE}/messages", "media/123", "https://lookaside.fbsbx.com/x?y=1"):
        merged = ours.build_request("POST", url).url
        assert merged == stock.build_request("POST", url).url
        assert ours._merge_url(url) is ours._merge_url(url), "parsed once, then reused"  # noqa: SLF001
    assert ours.build_request("GET", httpx.URL("https://example.com/a")).url == httpx.URL("https://example.com/a")


def test_the_registry_names_telegram_as_its_module_does() -> None:
    # The registry spells the channel's name itself, so registering the channels imports no aiogram.
    from bot.channels import registry, telegram

    assert registry.TELEGRAM == telegram.CHANNEL
