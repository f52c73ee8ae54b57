"""The web chat: the widget any PLUT website embeds with one script tag, and the try-it page
built on it (`bot/web/static/widget.js`).

A browser is identified by a random id the server signs (`<random>.<signature>`), kept in
the browser's localStorage; only the random part is stored (`users.external_id`), and it
says nothing about the person. Messages go in by POST and run through the engine like a
webhook's (`common.handle_event`); everything the browser is to show — the bot's replies,
a consultant's answers, the user's own messages (so a reloaded page shows the whole
conversation) — is written to the outbox for channel `web`, rendered here once
(`reply_parts`). The browser reads its rows by long polling (`GET /web/messages`): any
`frontdesk run` process on the same database answers any browser, since the rows are the
messages. The worker only marks them sent (`WebTransport`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.cli import BadLine, event_from_json
from bot.channels.common import handle_event
from bot.outbox import Message, post
from bot.storage.models import Center, Conversation, User
from bot.storage.models.outbox import CANCELLED, OutboxMessage
from bot.storage.upsert import insert_ignore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import FrontDesk
    from bot.config import Settings

CHANNEL = "web"
MAX_BODY = 64 * 1024
MAX_WAIT = 25.0
POLL_EVERY = 0.3
PAGE = 200
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


# --- identity ------------------------------------------------------------------------

def _key(settings: Settings) -> bytes:
    """WEB_CHAT_SECRET, or one derived from the database URL, which every process of one
    installation shares (set WEB_CHAT_SECRET in production)."""
    secret = settings.web_chat_secret or "frontdesk-web-chat:" + settings.database_url
    return hashlib.sha256(secret.encode()).digest()


def _sign(settings: Settings, rand: str) -> str:
    mac = hmac.new(_key(settings), rand.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")[:32]


def new_id(settings: Settings) -> str:
    rand = secrets.token_urlsafe(16)
    return f"{rand}.{_sign(settings, rand)}"


def verify_id(settings: Settings, token: Any) -> str | None:
    """The random part of a signed id (the user's external id), or None when it is forged or malformed."""
    if not isinstance(token, str) or len(token) > 80 or token.count(".") != 1:
        return None
    rand, sig = token.split(".")
    if not (16 <= len(rand) <= 32) or not hmac.compare_digest(sig, _sign(settings, rand)):
        return None
    return rand


# --- rendering -----------------------------------------------------------------------

def reply_parts(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """A reply as the widget draws it, one part per reply: text (links made clickable in the
    browser), buttons, an input control (`phone`, `location`), a card (a place: title,
    address and its map as a button), a document as a download button."""
    if "echo" in reply:
        return [{"echo": str(reply["echo"])[:4000]}]
    part: dict[str, Any] = {}
    if reply.get("text"):
        part["text"] = reply["text"]
    for field in ("buttons", "options"):
        if reply.get(field):
            part.setdefault("buttons", []).extend({"title": b["title"], "payload": b["payload"]} for b in reply[field])
    if reply.get("options_title"):
        part["options_title"] = reply["options_title"]
    if reply.get("request_contact"):
        part["input"] = "phone"
    elif reply.get("request_location"):
        part["input"] = "location"
    venue = reply.get("venue")
    if venue:
        part["card"] = {"title": venue.get("title", ""), "address": venue.get("address", ""),
                        "map_url": venue.get("url") or _osm(venue)}
    doc = reply.get("document")
    if doc:
        part["document"] = {"filename": doc["filename"], "mime_type": doc["mime_type"],
                            "content_base64": doc["content_base64"], "caption": doc.get("caption", "")}
    return [part]


def _osm(venue: dict[str, Any]) -> str:
    return f"https://www.openstreetmap.org/?mlat={venue['latitude']}&mlon={venue['longitude']}"


class WebTransport:
    """The row is the message: the browser reads it (`GET /web/messages`), so delivering it
    only marks it sent."""

    async def send(self, message: OutboxMessage) -> str | None:
        return None


# --- HTTP ----------------------------------------------------------------------------

def _cors(request: Request, response: Response) -> Response:
    frontdesk: FrontDesk = request.app.state.frontdesk
    allowed = [o.strip() for o in frontdesk.settings.web_chat_origins.split(",") if o.strip()]
    origin = request.headers.get("origin")
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _error(request: Request, message: str, status: int) -> Response:
    return _cors(request, JSONResponse({"error": message}, status_code=status))


async def _json_body(request: Request) -> dict[str, Any] | Response:
    # The widget posts text/plain (a "simple" cross-origin request: no preflight) holding JSON.
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(request, "message too large", 413)
    try:
        obj = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(request, "the body must be JSON", 400)
    if not isinstance(obj, dict):
        return _error(request, "the body must be a JSON object", 400)
    return obj


def _language(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip().lower()[:2]
    return code if code in ("id", "en") else None


async def session_start(request: Request) -> Response:
    """`{"lang": "en-US", "center": "plut-sleman", "id": <a kept id>}` → `{"id": …}`: the kept
    id when it is genuine, else a new one. A new browser's user is made in its language, and
    the widget's center (when it names a known one) routes its handoff requests."""
    frontdesk: FrontDesk = request.app.state.frontdesk
    obj = await _json_body(request)
    if isinstance(obj, Response):
        return obj
    settings = frontdesk.settings
    token = obj.get("id")
    rand = verify_id(settings, token) if token is not None else None
    if rand is not None:
        return _cors(request, JSONResponse({"id": token}))
    token = new_id(settings)
    rand = token.split(".")[0]
    lang = _language(obj.get("lang")) or settings.default_language
    center = obj.get("center") if isinstance(obj.get("center"), str) else None
    now = frontdesk.clock.now()
    async with frontdesk.db.transaction() as session:
        await insert_ignore(session, User, {"channel": CHANNEL, "external_id": rand, "language": lang,
                                             "language_locked": False, "created_at": now}, ("channel", "external_id"))
        if center and await _known_center(session, center[:64]):
            user_id = (await session.execute(
                select(User.id).where(User.channel == CHANNEL, User.external_id == rand))).scalar_one()
            await insert_ignore(session, Conversation, {"user_id": user_id, "values": {"_center": center[:64]},
                                                        "updated_at": now}, ("user_id",))
    return _cors(request, JSONResponse({"id": token}))


async def _known_center(session: AsyncSession, code: str) -> bool:
    return (await session.execute(select(Center.code).where(Center.code == code))).first() is not None


async def message(request: Request) -> Response:
    """One message from the browser: `{"id", "message_id", "text"|"button"|"location"|"contact"|"command",
    "shown"}`. The answer comes through `GET /web/messages`."""
    frontdesk: FrontDesk = request.app.state.frontdesk
    obj = await _json_body(request)
    if isinstance(obj, Response):
        return obj
    rand = verify_id(frontdesk.settings, obj.get("id"))
    if rand is None:
        return _error(request, "unknown or forged web id: ask /web/session for one", 401)
    mid = obj.get("message_id")
    if not isinstance(mid, str) or not (1 <= len(mid) <= 64):
        return _error(request, "\"message_id\" must be a string of 1 to 64 characters", 422)
    fields = {k: obj[k] for k in ("text", "button", "location", "contact", "command") if k in obj}
    try:
        event = event_from_json({**fields, "user": rand, "message_id": f"{rand}:{mid}"}, channel=CHANNEL)
    except BadLine as exc:
        return _error(request, str(exc), 422)
    shown = obj.get("shown")
    if not isinstance(shown, str) or not shown.strip():
        shown = event.text if event.text is not None else None
    now = frontdesk.clock.now()

    async def echo(session: AsyncSession) -> None:
        if shown:
            await post(session, [Message(CHANNEL, rand, {"echo": shown[:4000]}, key=f"echo:{rand}:{mid}",
                                         kind="echo")], now=now)

    await handle_event(frontdesk, event, extra=echo)
    return _cors(request, JSONResponse({"ok": True}, status_code=202))


async def messages(request: Request) -> Response:
    """`?id=…&after=N[&wait=S]`: this browser's messages after row N, waiting up to S seconds
    (at most 25) for the first one."""
    frontdesk: FrontDesk = request.app.state.frontdesk
    rand = verify_id(frontdesk.settings, request.query_params.get("id"))
    if rand is None:
        return _error(request, "unknown or forged web id: ask /web/session for one", 401)
    try:
        after = int(request.query_params.get("after", "0"))
        wait = min(max(float(request.query_params.get("wait", MAX_WAIT)), 0.0), MAX_WAIT)
    except ValueError:
        return _error(request, "\"after\" must be a whole number and \"wait\" a number of seconds", 400)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        rows = await _rows(frontdesk, rand, after)
        if rows or loop.time() >= deadline or await request.is_disconnected():
            break
        await asyncio.sleep(POLL_EVERY)
    out = [{"n": r.id, "at": r.created_at.isoformat(), **(r.payload or {})} for r in rows]
    return _cors(request, JSONResponse({"messages": out}, headers={"Cache-Control": "no-store"}))


async def _rows(frontdesk: FrontDesk, rand: str, after: int) -> list[OutboxMessage]:
    now = frontdesk.clock.now()
    async with frontdesk.db.sessions() as session:
        result = await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == rand, OutboxMessage.channel == CHANNEL, OutboxMessage.id > after,
                   OutboxMessage.status != CANCELLED, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id).limit(PAGE))
        return list(result.scalars())


async def widget(request: Request) -> Response:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


def routes(frontdesk: FrontDesk) -> list[BaseRoute]:
    return [
        Route("/widget.js", widget, methods=["GET"]),
        Route("/web/session", session_start, methods=["POST"]),
        Route("/web/message", message, methods=["POST"]),
        Route("/web/messages", messages, methods=["GET"]),
    ]


__all__ = ["CHANNEL", "WebTransport", "new_id", "reply_parts", "routes", "verify_id"]
