"""Telegram through aiogram 3, as transport only: Bot API updates → `Event`, `Reply` → Bot API calls.

Inbound (`POST /telegram/webhook`, or long polling with `frontdesk run --telegram-polling`):
the `X-Telegram-Bot-Api-Secret-Token` header is checked, the update is parsed with
aiogram's types and handed to the engine; the engine's replies are written to the outbox
in the same transaction, and only then does the webhook answer 200. If the database
cannot take the update the webhook answers 503 and Telegram delivers it again; the
`update_id` is the platform message id, so a repeated update is processed once.

Outbound: each reply becomes one or more *parts*, each exactly one Bot API call and one
outbox row, so a retried part can never repeat another part (see `reply_parts`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import AnswerCallbackQuery, GetFile, GetUpdates, SendMessage
from aiogram.methods.base import Response as ApiResponse
from aiogram.methods.base import TelegramMethod, TelegramType
from aiogram.types import InputFile, MessageId, Update
from aiohttp import FormData
from aiohttp.payload import BytesPayload
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import common
from bot.channels.settings import ChannelSettings, channel_settings
from bot.edge import BodyRefused, parse_json, read_body
from bot.engine.events import Contact, Event, Location
from bot.outbox import Message, post
from bot.channels.routes import hot

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import FrontDesk

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_BODY = 1024 * 1024
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API limit
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

# Commands shown in Telegram's menu, per language (setMyCommands).
COMMANDS = {
    "id": [("start", "Mulai / menu utama"), ("menu", "Menu utama"), ("help", "Bantuan"),
           ("lang", "Ganti bahasa"), ("selesai", "Akhiri percakapan dengan konsultan")],
    "en": [("start", "Start / main menu"), ("menu", "Main menu"), ("help", "Help"),
           ("lang", "Change language"), ("end", "End the chat with a consultant")],
}


# aiogram parses every Bot API answer as `Response[<method's return type>]`, a pydantic
# generic that pydantic caches only weakly: each garbage collection dropped it and the next
# call rebuilt its schema (≈ 5 ms of CPU, many times a second under load). Holding them here
# keeps them built once per process. Add a method here when the bot starts calling it.
_ID_RESPONSE = ApiResponse[MessageId]
_PINNED_RESPONSE_TYPES = tuple(
    ApiResponse[m.__returning__]  # type: ignore[valid-type,name-defined]
    for m in (SendMessage, AnswerCallbackQuery, GetFile, GetUpdates)  # Message, bool, File, list[Update]
) + (_ID_RESPONSE,)
# Methods whose answer is a `Message`, of which the outbox needs only the message_id.
_SENDS = frozenset({"sendMessage", "sendVenue", "sendLocation", "sendDocument", "sendPhoto"})


class JsonSession(AiohttpSession):
    """aiogram's aiohttp session, posting a call without files as one `application/json` body.

    aiogram's own session sends every call as a form with each structured field (a
    keyboard, say) JSON-dumped on its own; the Bot API accepts the same parameters as a
    JSON object, which is cheaper to build and to send. Calls that upload a file keep
    aiogram's multipart form. Sending, timeouts and the mapping of Bot API errors to
    aiogram's exceptions stay aiogram's (`make_request`, `check_response`).

    With `message_ids=True` (the outbox transport's bot) a successful `send*` answer is
    read as `Response[MessageId]` rather than a full `Message`: the delivery worker keeps
    only the id, and validating a whole `Message` cost more than building the request.
    Such a bot's `send_message` & co. return a `MessageId`. Error answers go through
    aiogram's `check_response` unchanged."""

    def __init__(self, *, message_ids: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_ids = message_ids

    def build_form_data(self, bot: Bot, method: TelegramMethod[TelegramType]) -> FormData:
        files: dict[str, InputFile] = {}
        fields: dict[str, Any] = {}
        # exclude_none only leaves out what `prepare_value` would drop anyway, at every level.
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            value = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if value is None or value == "":  # what aiogram leaves out of its form
                continue
            fields[key] = value
        if files:
            return super().build_form_data(bot, method)
        body = BytesPayload(self.json_dumps(fields).encode(), content_type="application/json")
        return body  # type: ignore[return-value]  # aiohttp takes any payload as `data`

    def check_response(self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int,
                       content: str) -> ApiResponse[TelegramType]:
        if self.message_ids and 200 <= status_code <= 226 and method.__api_method__ in _SENDS:
            try:
                response = _ID_RESPONSE.model_validate_json(content, context={"bot": bot})
            except ValueError:
                response = None  # aiogram's check below says what is wrong with it
            if response is not None and response.ok and response.result is not None:
                return response  # type: ignore[return-value]
        return super().check_response(bot, method, status_code, content)


def make_bot(cs: ChannelSettings, *, message_ids: bool = False) -> Bot:
    """An aiogram `Bot` talking to `TELEGRAM_API_BASE` (Telegram, a self-hosted Bot API server, or a test fake).
    `message_ids=True`: its sends return only the `MessageId` (see `JsonSession`)."""
    assert cs.telegram_bot_token is not None
    session = JsonSession(api=TelegramAPIServer.from_base(cs.telegram_api_base), timeout=cs.send_timeout,
                          message_ids=message_ids)
    return Bot(cs.telegram_bot_token, session=session)


# --- inbound ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inbound:
    """What one update means for us: an `Event` for the engine, or a media message
    (relayed during a handoff, otherwise answered politely), or nothing."""

    event: Event | None = None
    media: common.Media | None = None
    callback_id: str | None = None


def translate(update: Update) -> Inbound:
    """Bot API update → `Inbound`. Updates we do not serve (edits, channel posts, reactions,
    polls, group chats) give an empty `Inbound` and are ignored."""
    mid = f"u{update.update_id}"
    if update.callback_query is not None:
        cq = update.callback_query
        if not cq.data:
            return Inbound(callback_id=cq.id)
        name = " ".join(filter(None, [cq.from_user.first_name, cq.from_user.last_name])) or None
        event = Event(channel=CHANNEL, user_id=str(cq.from_user.id), message_id=mid, button=cq.data[:256], display_name=name)
        return Inbound(event=event, callback_id=cq.id)
    msg = update.message
    if msg is None or msg.chat.type != "private" or msg.from_user is None:
        return Inbound()
    user = str(msg.chat.id)
    name = " ".join(filter(None, [msg.from_user.first_name, msg.from_user.last_name])) or None
    common_args: dict[str, Any] = {"channel": CHANNEL, "user_id": user, "message_id": mid, "display_name": name}
    if msg.text is not None:
        text = msg.text
        if text.startswith("/") and len(text) > 1 and not text[1].isspace():
            head, _, args = text[1:].partition(" ")
            command = head.split("@", 1)[0].lower()[:32]
            return Inbound(event=Event(command=command, command_args=args.strip()[:256], **common_args))
        return Inbound(event=Event(text=text, **common_args))
    if msg.location is not None:
        loc = msg.location
        return Inbound(event=Event(location=Location(loc.latitude, loc.longitude), **common_args))
    if msg.contact is not None:
        c = msg.contact
        full = " ".join(filter(None, [c.first_name, c.last_name])) or None
        return Inbound(event=Event(contact=Contact(phone=c.phone_number[:32], name=full), **common_args))
    caption = (msg.caption or "")[:CAPTION_LIMIT]
    if msg.photo:
        return Inbound(media=common.Media(CHANNEL, user, mid, "photo", msg.photo[-1].file_id, caption, name))
    if msg.document is not None:
        d = msg.document
        return Inbound(media=common.Media(CHANNEL, user, mid, "document", d.file_id, caption, name,
                                          filename=d.file_name, mime_type=d.mime_type))
    # Stickers, voice notes, videos, polls, dice…: the engine answers politely.
    return Inbound(media=common.Media(CHANNEL, user, mid, "unsupported", None, caption, name))


async def process(app: FrontDesk, inbound: Inbound) -> None:
    """Hand one translated update to the engine (or the handoff relay); replies go to the outbox."""
    event = inbound.event
    if inbound.callback_id is not None and event is None:
        async with app.db.transaction() as session:
            await _answer_callback(session, app, "-", inbound.callback_id)
    if inbound.media is not None:
        await common.handle_media(app, inbound.media)
        return
    if event is not None:
        extra = None
        if inbound.callback_id is not None:
            callback_id = inbound.callback_id

            async def extra(session: AsyncSession) -> None:  # type: ignore[misc]
                await _answer_callback(session, app, event.user_id, callback_id)

        await common.handle_event(app, event, extra=extra)


async def _answer_callback(session: AsyncSession, app: FrontDesk, user_id: str, callback_id: str) -> None:
    """Stop the button's spinner; not ordered behind the replies."""
    await post(session, [Message(CHANNEL, user_id, {"answer_callback": callback_id}, key=f"tg:cb:{callback_id}",
                                 kind="reply", unordered=True)], now=app.clock.now())


# --- webhook ------------------------------------------------------------------------------


def routes(app: FrontDesk) -> list[BaseRoute]:
    cs = channel_settings(app)
    if not cs.telegram_configured:
        return []

    return [hot(Route("/telegram/webhook", webhook, methods=["POST"]))]


async def webhook(request: Request) -> Response:
    app: FrontDesk = request.app.state.frontdesk
    cs = channel_settings(app)
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not cs.telegram_webhook_secret or not hmac.compare_digest(given.encode(), cs.telegram_webhook_secret.encode()):
        return JSONResponse({"error": "wrong or missing X-Telegram-Bot-Api-Secret-Token"}, status_code=401)
    try:
        obj = parse_json(await read_body(request, MAX_BODY))
    except BodyRefused as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    if not isinstance(obj, dict) or not isinstance(obj.get("update_id"), int) or isinstance(obj.get("update_id"), bool):
        return JSONResponse({"error": "the body is not a Telegram update"}, status_code=400)
    try:
        update = Update.model_validate(obj)
    except ValidationError:
        # A real update of a kind our aiogram does not know yet: refusing it would make
        # Telegram send it again and again, so it is acknowledged and ignored.
        log.info("ignoring telegram update %s of an unknown shape", obj["update_id"])
        return Response(status_code=200)
    try:
        inbound = translate(update)
    except Exception:  # a valid update of a shape `translate` cannot read: nothing to retry
        log.warning("ignoring telegram update %s that could not be read", update.update_id)
        return Response(status_code=200)
    try:
        await process(app, inbound)
    except Exception:
        log.exception("telegram update %s could not be processed; Telegram will retry", update.update_id)
        return JSONResponse({"error": "try again"}, status_code=503)
    return Response(status_code=200)


# --- long polling ---------------------------------------------------------------------------


async def poll(app: FrontDesk, stop: asyncio.Event) -> None:
    """Background job: fetch updates with getUpdates when `frontdesk run --telegram-polling`.

    The offset is confirmed only after an update is processed, so a crash re-fetches it
    (and the update_id dedupe drops what was already done)."""
    cs = channel_settings(app)
    if not app.telegram_polling or not cs.telegram_configured:
        return
    bot = make_bot(cs)
    offset: int | None = None
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        while not stop.is_set():
            try:
                updates = await bot.get_updates(offset=offset, timeout=20, request_timeout=30)
            except Exception as exc:  # network trouble: wait and try again
                log.warning("getUpdates failed: %s", exc)
                await _sleep_or_stop(stop, 3)
                continue
            for update in updates:
                try:
                    await process(app, translate(update))
                except Exception:
                    log.exception("update %s failed; fetching it again", update.update_id)
                    await _sleep_or_stop(stop, 3)
                    break
                offset = update.update_id + 1
    finally:
        await bot.session.close()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


# --- outbound: reply → parts --------------------------------------------------------------


async def register_webhook(cs: ChannelSettings, url: str, *, drop_pending: bool = False) -> None:
    """`frontdesk telegram set-webhook`: the webhook with its secret, and the command menus
    of both languages (Indonesian also as the default)."""
    from aiogram.types import BotCommand

    bot = make_bot(cs)
    try:
        await bot.set_webhook(url, secret_token=cs.telegram_webhook_secret, drop_pending_updates=drop_pending,
                              allowed_updates=["message", "callback_query"])
        for lang, commands in COMMANDS.items():
            await bot.set_my_commands([BotCommand(command=c, description=d) for c, d in commands], language_code=lang)
        await bot.set_my_commands([BotCommand(command=c, description=d) for c, d in COMMANDS["id"]])
    finally:
        await bot.session.close()


def payload_fits(payload: str) -> bool:
    """Bot API: `callback_data` is 1-64 bytes; a longer payload goes out stored (`bot.outbox`)."""
    return len(payload.encode()) <= CALLBACK_DATA_LIMIT


def reply_parts(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """One reply dict → Bot API-sized parts: text (with its keyboard), then venue, then document."""
    parts: list[dict[str, Any]] = []
    text = reply.get("text")
    keyboard: dict[str, Any] = {k: reply[k] for k in ("buttons", "options", "options_title", "request_location",
                                                       "request_contact") if k in reply}
    if reply.get("document") is not None:
        doc = dict(reply["document"])
        if text and not doc.get("caption") and len(text) <= CAPTION_LIMIT and not keyboard:
            doc["caption"], text = text, None
        if text or keyboard:
            parts.append({"text": text or reply.get("options_title") or "…", **keyboard})
        parts.append({"document": doc})
        return parts
    if reply.get("venue") is not None:
        if text or keyboard:
            parts.append({"text": text or "…", **keyboard})
        parts.append({"venue": reply["venue"]})
        return parts
    if text is None and not keyboard:
        return [dict(reply)] if reply else []
    if text is None:
        text = reply.get("options_title") or "…"
    # Telegram's limit is 4096 characters: long texts go out as several messages,
    # the keyboard on the last one.
    chunks = [text[i : i + TEXT_LIMIT] for i in range(0, len(text), TEXT_LIMIT)] or [""]
    for chunk in chunks[:-1]:
        parts.append({"text": chunk})
    parts.append({"text": chunks[-1], **keyboard})
    return parts


__all__ = ["CHANNEL", "COMMANDS", "make_bot", "translate", "process", "routes", "webhook", "poll", "reply_parts"]
