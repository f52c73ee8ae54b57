"""WhatsApp Cloud API through pywa (async), as transport only.

Inbound: `GET /whatsapp/webhook` answers Meta's verification challenge with
`WHATSAPP_VERIFY_TOKEN`; `POST /whatsapp/webhook` is refused (401) unless its
`X-Hub-Signature-256` is the HMAC of the body with `WHATSAPP_APP_SECRET` — checked by
pywa before anything is parsed. pywa then types the update (message, button or list
reply, status); our handlers only collect it, and the route hands it to the engine and
answers 200 once it is stored, or 503 so Meta delivers it again. pywa's in-memory
duplicate filter is off: the database's message-id record is the one that survives
restarts and lets a failed delivery be retried.

Outbound: each reply becomes parts within WhatsApp's limits — reply buttons (up to 3,
titles up to 20 characters), an interactive list (up to 10 rows, titles up to 24),
body up to 1024 characters (4096 for plain text) — each one outbox row.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import json
import logging
import ssl
import weakref
from typing import TYPE_CHECKING, Any
from urllib.request import getproxies

import aiohttp
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from yarl import URL

from bot.channels import common
from bot.channels.settings import ChannelSettings, channel_settings
from bot.edge import BodyRefused, read_body, too_deep
from bot.engine.events import Contact, Event, Location
from bot.storage.models import WhatsAppStatus
from bot.storage.upsert import insert_ignore
from bot.channels.routes import hot

if TYPE_CHECKING:
    from pywa_async import WhatsApp

    from bot.app import FrontDesk

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
MAX_BODY = 1024 * 1024
BUTTON_TITLE = 20
BUTTONS_MAX = 3
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ROWS_MAX = 10
LIST_BUTTON = 20
BODY_MAX = 1024
TEXT_MAX = 4096
CAPTION_MAX = 1024

_LIST_LABEL = {"id": "Pilih", "en": "Choose"}


GRAPH_HOST = "graph.facebook.com"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """The certificates httpx's own transport would trust (certifi, or SSL_CERT_FILE/DIR),
    loaded once per process rather than once per client (≈ 20 ms each)."""
    return httpx.create_ssl_context()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """The httpx transport of pywa's client: each request goes out through aiohttp's
    connection pool.

    httpx's own pool (httpcore) walks all its connections several times per request, with
    a `poll()` on each idle socket, and its HTTP/1.1 layer is pure Python; with a dozen
    sends in flight that was ≈ 2 ms of CPU per message. aiohttp (already here for aiogram)
    keeps idle connections in a queue and parses HTTP in C. pywa still speaks httpx: it
    builds the request, and reads the `httpx.Response` built here from aiohttp's answer.
    Errors come back as httpx's exceptions (`ConnectError`, `ReadTimeout`, …), as from
    httpx's own transport, so pywa and `WhatsAppTransport.send` sort them as before.

    `base`: pywa fixes the Graph URL to graph.facebook.com; requests to that host go to
    `base` instead (`WHATSAPP_API_BASE`: a proxy, or the local fake in tests). Media
    downloads go where Meta's media URL says. Pool: at most `limit` connections (httpx:
    100), idle ones kept `keepalive` seconds (httpx: 5)."""

    def __init__(self, base: str | None = None, *, limit: int = 100, keepalive: float = 5.0) -> None:
        self.base = base.rstrip("/") if base else None
        self.limit = limit
        self.keepalive = keepalive
        self._session: aiohttp.ClientSession | None = None  # made in the running loop on first use
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.limit, keepalive_timeout=self.keepalive, ssl=_ssl_context())
            # httpx's client keeps the cookies (and decodes gzip); aiohttp only carries bytes.
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                                  auto_decompress=False, skip_auto_headers=("User-Agent",))
        return self._session

    def _timeout(self, t: dict[str, float | None]) -> aiohttp.ClientTimeout:
        key = (t.get("connect"), t.get("read"), t.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read, pool = key
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, sock_connect=connect, sock_read=read,
                connect=None if pool is None or connect is None else pool + connect)
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if self.base is not None and url.host == GRAPH_HOST:
            target = URL(self.base + url.raw_path.decode("ascii"), encoded=True)
        else:
            target = URL(str(url), encoded=True)
        # Host comes from the URL (aiohttp sets it); httpx decodes Content-Encoding itself.
        headers = [(k, v) for k, v in request.headers.multi_items() if k != "host"]
        body = await request.aread()
        try:
            async with self._client().request(
                request.method, target, headers=headers, data=body or None, allow_redirects=False,
                timeout=self._timeout(request.extensions.get("timeout") or {}),
            ) as resp:
                content = await resp.read()
                status, raw_headers, reason = resp.status, resp.raw_headers, resp.reason
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
        except TimeoutError as exc:  # aiohttp's read timeouts are TimeoutErrors too
            raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
        except aiohttp.InvalidURL as exc:
            raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if reason:
            extensions["reason_phrase"] = reason.encode("latin-1", "replace")
        return httpx.Response(status, headers=raw_headers, content=content, extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _Cookies(httpx.Cookies):
    """httpx hands every response to the cookie jar through urllib's request/response
    stand-ins (≈ 0.1 ms a call); the Graph API sets no cookies, so that is skipped
    when the response has no Set-Cookie header. Responses with one are stored as before."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class GraphClient(httpx.AsyncClient):
    """pywa's httpx client, with `_Cookies`, and the request URLs parsed once.

    pywa asks for the same few URLs again and again (`/<phone id>/messages`, the media
    endpoints), and httpx parsed and merged each one anew with the base URL, about a
    tenth of the CPU of a send; `httpx.URL` is immutable, so the merged URL is kept.

    Private on purpose, and only here: httpx has no public hook for either (its `cookies=`
    argument and setter copy the jar into a plain `Cookies`, and URL merging is internal),
    so this class is the one place that touches `_cookies` and `_merge_url`; a change of
    httpx that breaks it breaks here, and the WhatsApp transport tests catch it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _Cookies(self._cookies)
        self._urls: dict[str, httpx.URL] = {}

    def _merge_url(self, url: httpx.URL | str) -> httpx.URL:
        if not isinstance(url, str):
            return super()._merge_url(url)
        merged = self._urls.get(url)
        if merged is None:
            if len(self._urls) >= 1024:  # media URLs are one-off: keep the cache small
                self._urls.clear()
            merged = self._urls[url] = super()._merge_url(url)
        return merged


def make_client(cs: ChannelSettings, *, collect: bool = False) -> WhatsApp:
    """A pywa async client. `collect=True` registers the handlers that gather inbound updates."""
    from pywa_async import WhatsApp

    base = cs.whatsapp_api_base.rstrip("/")
    transport: httpx.AsyncBaseTransport | None
    if base != f"https://{GRAPH_HOST}":
        transport = AiohttpTransport(base)
    elif any(scheme in getproxies() for scheme in ("http", "https", "all")):
        # httpx's own transport, which goes through the HTTP(S)_PROXY / ALL_PROXY of the
        # environment (minus NO_PROXY) as it always did here.
        transport = None
    else:
        transport = AiohttpTransport()
    session = GraphClient(transport=transport, timeout=cs.send_timeout)
    wa = WhatsApp(
        phone_id=cs.whatsapp_phone_id, token=cs.whatsapp_token, session=session, server=None,
        verify_token=cs.whatsapp_verify_token, app_secret=cs.whatsapp_app_secret,
        validate_updates=True, skip_duplicate_updates=False, api_version=cs.whatsapp_api_version,
    )
    if collect:
        from pywa_async import handlers

        wa.add_handlers(
            handlers.MessageHandler(_collect),
            handlers.CallbackButtonHandler(_collect),
            handlers.CallbackSelectionHandler(_collect),
            handlers.MessageStatusHandler(_collect),
        )
    _SESSIONS[wa] = session
    return wa


_SESSIONS: weakref.WeakKeyDictionary[Any, GraphClient] = weakref.WeakKeyDictionary()
"""The HTTP client each `make_client` client was given: ours to close (pywa does not close it)."""


async def close_client(wa: WhatsApp) -> None:
    """Close the HTTP client of a `make_client` client."""
    session = _SESSIONS.pop(wa, None)
    if session is not None:
        await session.aclose()


_COLLECTED: contextvars.ContextVar[list[Any]] = contextvars.ContextVar("whatsapp_updates")


async def _collect(_: Any, update: Any) -> None:
    _COLLECTED.get().append(update)


# --- inbound -------------------------------------------------------------------------------------


def _user_id(user: Any) -> str:
    return str(getattr(user, "wa_id", None) or getattr(user, "bsuid", None) or "")[:64]


def translate(update: Any) -> Event | common.Media | WhatsAppStatusUpdate | None:
    """A typed pywa update → an `Event`, a `Media`, a status, or None (ignored)."""
    from pywa_async import types

    if not isinstance(update.id, str) or not update.id:
        return None  # no id to record it by or to recognise a retry with: acknowledged and ignored
    if isinstance(update, types.MessageStatus):
        error = getattr(update, "error", None)
        return WhatsAppStatusUpdate(
            message_id=update.id, recipient=_user_id(update.from_user), status=str(update.status.value),
            error_code=getattr(error, "code", None), error_title=getattr(error, "message", None),
        )
    user = _user_id(update.from_user)
    if not user:
        return None
    name = (getattr(update.from_user, "name", None) or None)
    base: dict[str, Any] = {"channel": CHANNEL, "user_id": user, "message_id": str(update.id)[:128], "display_name": name}
    if isinstance(update, (types.CallbackButton, types.CallbackSelection)):
        return Event(button=str(update.data)[:256], **base)
    msg = update
    kind = str(getattr(msg.type, "value", msg.type))
    if kind == "text" and msg.text is not None:
        text = msg.text
        if text.startswith("/") and len(text) > 1 and not text[1].isspace():
            head, _, args = text[1:].partition(" ")
            return Event(command=head.lower()[:32], command_args=args.strip()[:256], **base)
        return Event(text=text, **base)
    if kind == "location" and msg.location is not None:
        return Event(location=Location(msg.location.latitude, msg.location.longitude), **base)
    if kind == "contacts" and msg.contacts:
        c = msg.contacts[0]
        phones = getattr(c, "phones", None) or []
        if phones:
            phone = getattr(phones[0], "phone", None) or getattr(phones[0], "wa_id", None) or ""
            cname = getattr(getattr(c, "name", None), "formatted_name", None)
            return Event(contact=Contact(phone=str(phone)[:32], name=cname), **base)
    caption = (getattr(msg, "caption", None) or "")[:CAPTION_MAX]
    mid = base["message_id"]
    if kind == "image" and msg.image is not None:
        return common.Media(CHANNEL, user, mid, "photo", msg.image.id, caption, name, mime_type=msg.image.mime_type)
    if kind == "document" and msg.document is not None:
        d = msg.document
        return common.Media(CHANNEL, user, mid, "document", d.id, caption, name,
                            filename=getattr(d, "filename", None), mime_type=d.mime_type)
    # Stickers, voice notes, reactions, unsupported: answered politely.
    return common.Media(CHANNEL, user, mid, "unsupported", None, caption, name)


class WhatsAppStatusUpdate:
    __slots__ = ("message_id", "recipient", "status", "error_code", "error_title")

    def __init__(self, message_id: str, recipient: str, status: str, error_code: int | None, error_title: str | None) -> None:
        self.message_id, self.recipient, self.status = message_id, recipient, status
        self.error_code, self.error_title = error_code, error_title


async def record_status(app: FrontDesk, st: WhatsAppStatusUpdate) -> None:
    async with app.db.transaction() as session:
        await insert_ignore(
            session, WhatsAppStatus,
            {"message_id": st.message_id[:128], "recipient": st.recipient or None, "status": st.status[:16],
             "at": app.clock.now(), "error_code": st.error_code,
             "error_title": (st.error_title or None) and str(st.error_title)[:500]},
            ("message_id", "status"),
        )


async def process(app: FrontDesk, item: Any) -> None:
    if isinstance(item, WhatsAppStatusUpdate):
        await record_status(app, item)
    elif isinstance(item, common.Media):
        await common.handle_media(app, item)
    elif isinstance(item, Event):
        await common.handle_event(app, item)


def routes(app: FrontDesk) -> list[BaseRoute]:
    cs = channel_settings(app)
    if not cs.whatsapp_configured:
        return []
    app.whatsapp_inbound = make_client(cs, collect=True)
    return [
        Route("/whatsapp/webhook", verify, methods=["GET"]),
        hot(Route("/whatsapp/webhook", webhook, methods=["POST"])),
    ]


def split_update(body: bytes) -> list[bytes]:
    """Meta may batch several messages or statuses in one POST; pywa reads the first of each
    list, so the (already verified) body is split into one update per message or status."""
    try:
        obj = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return [body]  # pywa refuses it with a 400
    if not isinstance(obj, dict) or not isinstance(obj.get("entry"), list):
        return [body]
    out: list[bytes] = []
    for entry in obj["entry"]:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            items = [("messages", m) for m in value.get("messages") or []] + [("statuses", s) for s in value.get("statuses") or []]
            if len(items) <= 1:
                out.append(json.dumps({**obj, "entry": [{**entry, "changes": [change]}]}).encode())
                continue
            contacts = value.get("contacts") or []
            for kind, item in items:
                who = item.get("from") if kind == "messages" else item.get("recipient_id")
                match = [c for c in contacts if c.get("wa_id") == who] or contacts[:1]
                single = {**value, "messages": [], "statuses": [], kind: [item], "contacts": match}
                single = {k: v for k, v in single.items() if v != [] or k == "contacts"}
                out.append(json.dumps({**obj, "entry": [{**entry, "changes": [{**change, "value": single}]}]}).encode())
    return out or [body]


async def verify(request: Request) -> Response:
    """Meta's subscription check: echo `hub.challenge` when `hub.verify_token` is ours."""
    app: FrontDesk = request.app.state.frontdesk
    cs = channel_settings(app)
    import hmac

    q = request.query_params
    token = q.get("hub.verify_token") or ""
    if q.get("hub.mode") == "subscribe" and cs.whatsapp_verify_token and \
            hmac.compare_digest(token.encode(), cs.whatsapp_verify_token.encode()) and q.get("hub.challenge"):
        return PlainTextResponse(q["hub.challenge"][:256])
    return PlainTextResponse("verification failed", status_code=403)


async def webhook(request: Request) -> Response:
    app: FrontDesk = request.app.state.frontdesk
    wa: WhatsApp = app.whatsapp_inbound
    signature = request.headers.get("x-hub-signature-256")
    if not signature:
        return JSONResponse({"error": "missing X-Hub-Signature-256"}, status_code=401)
    if not signature.isascii():
        return JSONResponse({"error": "bad X-Hub-Signature-256"}, status_code=401)
    try:
        body = await read_body(request, MAX_BODY)
    except BodyRefused as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    refused = await wa.webhook_update_validator(body, signature)
    if refused is not None:
        return JSONResponse({"error": "bad X-Hub-Signature-256"}, status_code=401)
    not_update = JSONResponse({"error": "the body is not a WhatsApp webhook update"}, status_code=400)
    if too_deep(body):
        return not_update
    collected: list[Any] = []
    token = _COLLECTED.set(collected)
    try:
        for one in split_update(body):
            answer, status = await wa.webhook_update_handler(one)
            if status >= 400:
                return not_update
    except Exception:  # signed, but not of the shape pywa reads: Meta would send it again and again
        log.warning("WhatsApp webhook body of an unexpected shape refused")
        return not_update
    finally:
        _COLLECTED.reset(token)
    items: list[Any] = []
    for update in collected:
        try:
            item = translate(update)
        except Exception:  # an update pywa typed but we cannot read: acknowledged and ignored
            log.warning("ignoring a WhatsApp update that could not be read")
            continue
        if item is not None:
            items.append(item)
    try:
        for item in items:
            await process(app, item)
    except Exception:
        log.exception("WhatsApp update could not be processed; Meta will retry")
        return JSONResponse({"error": "try again"}, status_code=503)
    return PlainTextResponse("ok")


# --- outbound -----------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


ID_MAX = 200
"""Reply-button ids may have 256 characters, list-row ids 200; a payload goes in either."""


def payload_fits(payload: str) -> bool:
    """A longer payload goes out stored (`bot.outbox`) and comes back as its reference."""
    return len(payload) <= ID_MAX


def reply_parts(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """A reply dict → WhatsApp-sized parts (each one API call)."""
    parts: list[dict[str, Any]] = []
    text = reply.get("text")
    buttons = list(reply.get("buttons") or [])
    options = list(reply.get("options") or [])
    choices = buttons + options
    if choices:
        body = text or reply.get("options_title") or "…"
        # Long bodies: the head as plain text, the tail carries the choices.
        while len(body) > BODY_MAX:
            cut = body.rfind("\n", 0, BODY_MAX)
            cut = cut if cut > BODY_MAX // 2 else BODY_MAX
            parts.append({"text": body[:cut]})
            body = body[cut:].lstrip("\n")
        if len(choices) <= BUTTONS_MAX and all(len(b["title"]) <= BUTTON_TITLE for b in choices):
            parts.append({"text": body, "buttons": choices})
        else:
            for i in range(0, len(choices), ROWS_MAX):
                chunk = choices[i : i + ROWS_MAX]
                parts.append({"text": body if i == 0 else "…", "options": chunk,
                              "options_title": reply.get("options_title")})
    elif reply.get("request_location"):
        parts.append({"text": _cut(text or "…", BODY_MAX), "request_location": True})
    elif text is not None:
        for i in range(0, len(text), TEXT_MAX):
            parts.append({"text": text[i : i + TEXT_MAX]})
        if not text:
            parts.append({"text": "…"})
    if reply.get("venue") is not None:
        parts.append({"venue": reply["venue"]})
    if reply.get("document") is not None:
        parts.append({"document": reply["document"]})
    return parts


async def send_part(wa: WhatsApp, to: str, part: dict[str, Any], app: FrontDesk | None = None) -> str | None:
    """One part → one Cloud API message. Returns the message id (wamid)."""
    from pywa_async.types import Button, Section, SectionList, SectionRow

    lang = part.get("lang") or "id"
    sent: Any
    if "template" in part:
        from pywa_async.types.templates import TemplateLanguage

        template = part["template"]  # not `t`: the message extraction takes `t(...)` for a translation
        body = " ".join((template.get("text") or "-").split())[:1000]  # no newlines or tabs in template params
        sent = await wa.send_template(
            to, name=template["name"], language=TemplateLanguage(template.get("language") or lang),
            params=[{"type": "body", "parameters": [{"type": "text", "text": body}]}],
        )
        return sent.id
    if "relay" in part:
        return await _relay(wa, to, part["relay"], app)
    if "venue" in part:
        v = part["venue"]
        sent = await wa.send_location(to, latitude=v["latitude"], longitude=v["longitude"],
                                      name=v.get("title") or None, address=v.get("address") or None)
        return sent.id
    if "document" in part:
        d = part["document"]
        sent = await wa.send_document(to, document=base64.b64decode(d["content_base64"]), filename=d["filename"],
                                      caption=_cut(d.get("caption") or "", CAPTION_MAX) or None,
                                      mime_type=d.get("mime_type"))
        return sent.id
    text = part.get("text") or "…"
    if part.get("request_location"):
        sent = await wa.request_location(to, _cut(text, BODY_MAX))
        return sent.id
    if part.get("buttons"):
        buttons = [Button(title=_cut(b["title"], BUTTON_TITLE), callback_data=b["payload"]) for b in part["buttons"]]
        sent = await wa.send_message(to, _cut(text, BODY_MAX), buttons=buttons)
        return sent.id
    if part.get("options"):
        rows = []
        for o in part["options"]:
            title = o["title"]
            rows.append(SectionRow(title=_cut(title, ROW_TITLE), callback_data=o["payload"],
                                   description=_cut(title, ROW_DESCRIPTION) if len(title) > ROW_TITLE else None))
        label = _cut(part.get("options_title") or _LIST_LABEL.get(lang, "Pilih"), LIST_BUTTON)
        sent = await wa.send_message(to, _cut(text, BODY_MAX), buttons=SectionList(button_title=label,
                                     sections=[Section(title=label[:24], rows=rows)]))
        return sent.id
    sent = await wa.send_message(to, text[:TEXT_MAX], preview_url=False)
    return sent.id


async def _relay(wa: WhatsApp, to: str, relay: dict[str, Any], app: FrontDesk | None = None) -> str | None:
    kind = relay["kind"]
    caption = _cut(relay.get("caption") or "", CAPTION_MAX) or None
    if kind == "location":
        sent = await wa.send_location(to, latitude=relay["latitude"], longitude=relay["longitude"])
        return sent.id
    media: Any = None
    if relay.get("channel") == CHANNEL and relay.get("ref"):
        media = relay["ref"]  # a media id of our own number can be sent again
    elif relay.get("channel") == "telegram" and relay.get("ref") and app is not None:
        from bot.channels.transports import download_telegram_file

        media = await download_telegram_file(app, relay["ref"])  # a Telegram file id means nothing here
    if media is None:
        sent = await wa.send_message(to, caption or f"[{kind}]")
        return sent.id
    if kind == "photo":
        sent = await wa.send_image(to, image=media, caption=caption, mime_type=relay.get("mime_type") or "image/jpeg")
    else:
        sent = await wa.send_document(to, document=media, filename=relay.get("filename") or "file",
                                      caption=caption, mime_type=relay.get("mime_type"))
    return sent.id
