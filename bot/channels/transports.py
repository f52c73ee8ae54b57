"""Outbox transports for Telegram and WhatsApp, with the platforms' rate limits.

Each outbox row is one *part* (rendered by `telegram.reply_parts` or `whatsapp.reply_parts`
when it was posted): one API call, so a retry never repeats what already went out. Errors are sorted for the
worker: 429 → `TransientError(retry_after)`, 5xx and timeouts → `TransientError` (backoff),
a blocked bot, an unknown chat or an invalid number → `PermanentError` (recorded, not retried).

Rate limits are token buckets in the sending process: Telegram about 30 messages/s overall
and about 1/s per chat (with a small burst, so a menu after a text is not held back a
second), WhatsApp 80 messages/s per phone number. With several worker processes, divide
the `*_RATE_PER_SECOND` settings by their number; a 429 that slips through is honoured anyway.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.channels.settings import channel_settings
from bot.outbox import PermanentError, TransientError

if TYPE_CHECKING:
    from bot.app import FrontDesk
    from bot.storage.models.outbox import OutboxMessage

log = logging.getLogger(__name__)

MAX_WAIT = 5.0
"""A send waits at most this long for its rate-limit turn; beyond, the row is retried later."""


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. `reserve()` takes a token and
    says how long to wait before using it (0 when one is free now)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = burst
        self.stamp = clock()

    def reserve(self) -> float:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def refund(self) -> None:
        self.tokens = min(self.burst, self.tokens + 1)


class RateLimiter:
    """A global bucket and, optionally, one bucket per chat."""

    def __init__(self, rate: float, burst: float | None = None, per_chat: float | None = None,
                 chat_burst: float = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.overall = TokenBucket(rate, burst if burst is not None else rate, clock)
        self.per_chat = per_chat
        self.chat_burst = chat_burst
        self.chats: dict[str, TokenBucket] = {}

    def delay(self, chat: str) -> float:
        """Reserve a send to `chat`; seconds to wait before it may go."""
        wait = 0.0
        if self.per_chat is not None:
            bucket = self.chats.get(chat)
            if bucket is None:
                if len(self.chats) > 10_000:  # forget idle chats (their buckets are full anyway)
                    self.chats.clear()
                bucket = self.chats[chat] = TokenBucket(self.per_chat, self.chat_burst, self.clock)
            wait = bucket.reserve()
            if wait > MAX_WAIT:
                bucket.refund()
                return wait
        return max(wait, self.overall.reserve())

    async def acquire(self, chat: str) -> None:
        wait = self.delay(chat)
        if wait > MAX_WAIT:
            raise TransientError(f"rate limit for {chat}: next turn in {wait:.1f}s", retry_after=wait)
        if wait > 0:
            await asyncio.sleep(wait)


# --- Telegram -----------------------------------------------------------------------------------


_LABELS = {
    "location": {"id": "📍 Kirim lokasi saya", "en": "📍 Send my location"},
    "contact": {"id": "📞 Kirim nomor telepon saya", "en": "📞 Send my phone number"},
}


# The same menus go out again and again; aiogram's keyboard objects are immutable (frozen
# pydantic models), so each distinct keyboard is built once and shared by the sends.
@functools.lru_cache(maxsize=1024)
def _inline_keyboard(rows: tuple[tuple[tuple[str, str], ...], ...]) -> Any:
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
                                                 for row in rows])


@functools.lru_cache(maxsize=16)
def _request_keyboard(kind: str, label: str) -> Any:
    from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

    button = KeyboardButton(text=label, request_location=kind == "location", request_contact=kind == "contact")
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


class TelegramTransport:
    def __init__(self, app: FrontDesk) -> None:
        from bot.channels.telegram import make_bot

        self.app = app
        self.cs = channel_settings(app)
        self.bot = make_bot(self.cs, message_ids=True)
        self.limiter = RateLimiter(self.cs.telegram_rate, per_chat=self.cs.telegram_chat_rate,
                                   chat_burst=self.cs.telegram_chat_burst)

    async def send(self, message: OutboxMessage) -> str | None:
        from aiogram.exceptions import (
            TelegramBadRequest,
            TelegramForbiddenError,
            TelegramNetworkError,
            TelegramNotFound,
            TelegramRetryAfter,
            TelegramServerError,
            TelegramUnauthorizedError,
        )

        part = message.payload or {}
        chat = message.recipient
        if "answer_callback" not in part:
            await self.limiter.acquire(chat)
        try:
            result = await self._call(chat, part)
        except TelegramRetryAfter as exc:
            raise TransientError(f"429 from Telegram: {exc.message}", retry_after=float(exc.retry_after)) from None
        except (TelegramServerError, TelegramNetworkError, TimeoutError) as exc:
            raise TransientError(f"Telegram unavailable: {exc}") from None
        except TelegramUnauthorizedError as exc:
            # A wrong token is an operator's mistake: keep the messages until it is fixed.
            raise TransientError(f"Telegram refused the bot token: {exc.message}", retry_after=300) from None
        except (TelegramForbiddenError, TelegramNotFound) as exc:
            raise PermanentError(f"Telegram: {exc.message}") from None
        except TelegramBadRequest as exc:
            if "answer_callback" in part:
                return None  # the spinner times out on its own; nothing lost
            raise PermanentError(f"Telegram rejected the message: {exc.message}") from None
        mid = getattr(result, "message_id", None)
        return str(mid) if mid is not None else None

    async def _call(self, chat: str, part: dict[str, Any]) -> Any:
        from aiogram.types import BufferedInputFile

        bot = self.bot
        lang = part.get("lang") or "id"
        if "answer_callback" in part:
            return await bot.answer_callback_query(part["answer_callback"])
        if "relay" in part:
            return await self._relay(chat, part["relay"])
        if "venue" in part:
            v = part["venue"]
            return await bot.send_venue(chat, latitude=v["latitude"], longitude=v["longitude"],
                                        title=v["title"][:256] or "PLUT", address=(v.get("address") or v.get("url") or "-")[:256])
        if "document" in part:
            d = part["document"]
            file = BufferedInputFile(base64.b64decode(d["content_base64"]), filename=d["filename"])
            return await bot.send_document(chat, file, caption=(d.get("caption") or None))
        markup: Any = None
        buttons = part.get("buttons") or []
        options = part.get("options") or []
        if buttons or options:
            rows: list[tuple[tuple[str, str], ...]] = []
            # Short quick replies sit two in a row; list options one per row.
            step = 2 if all(len(b["title"]) <= 18 for b in buttons) else 1
            for i in range(0, len(buttons), step):
                rows.append(tuple((b["title"][:64], b["payload"]) for b in buttons[i : i + step]))
            rows.extend(((o["title"][:64], o["payload"]),) for o in options)
            markup = _inline_keyboard(tuple(rows))
        elif part.get("request_location") or part.get("request_contact"):
            kind = "location" if part.get("request_location") else "contact"
            markup = _request_keyboard(kind, _LABELS[kind].get(lang, _LABELS[kind]["id"]))
        text = part.get("text") or "…"
        return await bot.send_message(chat, text, reply_markup=markup)

    async def _relay(self, chat: str, relay: dict[str, Any]) -> Any:
        """A photo, document or location relayed during a handoff."""
        kind = relay["kind"]
        caption = relay.get("caption") or None
        if kind == "location":
            return await self.bot.send_location(chat, latitude=relay["latitude"], longitude=relay["longitude"])
        if relay.get("channel") == "telegram" and relay.get("ref"):
            if kind == "photo":
                return await self.bot.send_photo(chat, relay["ref"], caption=caption)
            return await self.bot.send_document(chat, relay["ref"], caption=caption)
        # From WhatsApp: a media id means nothing here, so the file is fetched and uploaded.
        from aiogram.types import BufferedInputFile

        if relay.get("channel") == "whatsapp" and relay.get("ref"):
            content = await download_whatsapp_media(self.app, relay["ref"])
            file = BufferedInputFile(content, filename=relay.get("filename") or ("photo.jpg" if kind == "photo" else "file"))
            if kind == "photo":
                return await self.bot.send_photo(chat, file, caption=caption)
            return await self.bot.send_document(chat, file, caption=caption)
        return await self.bot.send_message(chat, caption or f"[{kind}]")

    async def close(self) -> None:
        await self.bot.session.close()


MAX_MEDIA = 20 * 1024 * 1024  # Telegram bots download at most 20 MB


async def download_whatsapp_media(app: FrontDesk, media_id: str) -> bytes:
    """The bytes of a media file a WhatsApp user sent us (its URL needs our token)."""
    from bot.channels.whatsapp import close_client, make_client

    wa = make_client(channel_settings(app))
    try:
        url = await wa.get_media_url(media_id)
        content = await wa.get_media_bytes(url.url)
    finally:
        await close_client(wa)
    if len(content) > MAX_MEDIA:
        raise PermanentError(f"media {media_id} is larger than 20 MB")
    return content


async def download_telegram_file(app: FrontDesk, file_id: str) -> bytes:
    """The bytes of a file a Telegram user sent us."""
    from bot.channels.telegram import make_bot

    bot = make_bot(channel_settings(app))
    try:
        buffer = await bot.download(file_id)
    finally:
        await bot.session.close()
    assert buffer is not None
    return buffer.read()


def telegram_factory(app: FrontDesk) -> TelegramTransport | None:
    return TelegramTransport(app) if channel_settings(app).telegram_configured else None


# --- WhatsApp -----------------------------------------------------------------------------------


class WhatsAppTransport:
    def __init__(self, app: FrontDesk) -> None:
        from bot.channels.whatsapp import make_client

        self.app = app
        self.cs = channel_settings(app)
        self.wa = make_client(self.cs)
        self.limiter = RateLimiter(self.cs.whatsapp_rate)

    async def send(self, message: OutboxMessage) -> str | None:
        import httpx
        from pywa.errors import ThrottlingError, WhatsAppError

        from bot.channels.whatsapp import send_part

        await self.limiter.acquire(self.cs.whatsapp_phone_id or "")
        part = dict(message.payload or {})
        # A reply answers a message the user just sent, so it is inside the window.
        if message.kind != "reply" and not await self._in_window(message.recipient):
            part = self._template(part, message)
        try:
            return await send_part(self.wa, message.recipient, part, self.app)
        except ThrottlingError as exc:
            raise TransientError(f"WhatsApp throttled: {exc.message}", retry_after=_retry_after(exc)) from None
        except WhatsAppError as exc:
            status = exc.status_code or 0
            if status == 429:
                raise TransientError(f"WhatsApp 429: {exc.message}", retry_after=_retry_after(exc)) from None
            if status >= 500 or exc.is_transient:
                raise TransientError(f"WhatsApp {status}: {exc.message}") from None
            if status == 401 or exc.code == 190:
                raise TransientError(f"WhatsApp refused the token: {exc.message}", retry_after=300) from None
            raise PermanentError(f"WhatsApp {exc.code}: {exc.message}") from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"WhatsApp unreachable: {exc!r}") from None

    async def _in_window(self, recipient: str) -> bool:
        """Inside WhatsApp's 24-hour customer-service window: the user wrote within 24 hours."""
        from sqlalchemy import select

        from bot.storage.models import User

        async with self.app.db.transaction() as session:
            last = (await session.execute(
                select(User.last_inbound_at).where(User.channel == "whatsapp", User.external_id == recipient)
            )).scalar_one_or_none()
        return last is not None and self.app.clock.now() - last < timedelta(hours=24)

    def _template(self, part: dict[str, Any], message: OutboxMessage) -> dict[str, Any]:
        name = self.cs.whatsapp_reminder_template
        if not name:
            raise PermanentError("outside the 24-hour window and WHATSAPP_REMINDER_TEMPLATE is not set")
        text = part.get("text") or (part.get("document") or {}).get("caption") or ""
        return {"template": {"name": name, "language": part.get("lang") or "id", "text": text}}

    async def close(self) -> None:
        from bot.channels.whatsapp import close_client

        await close_client(self.wa)


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "raw_response", None)
    if response is not None:
        value = response.headers.get("retry-after")
        try:
            return float(value) if value is not None else 60.0
        except ValueError:
            return 60.0
    return 60.0


def whatsapp_factory(app: FrontDesk) -> WhatsAppTransport | None:
    return WhatsAppTransport(app) if channel_settings(app).whatsapp_configured else None

