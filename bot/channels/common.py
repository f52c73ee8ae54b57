"""What the Telegram and WhatsApp adapters share: handing an event to the engine with an
outbox sink, media messages, and splitting replies into one-call parts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.engine.events import Event, Reply
from bot.outbox import enqueue_many
from bot.outbox.worker import wake
from bot.storage.models import InboundMessage, User
from bot.storage.upsert import insert_ignore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import FrontDesk

UNSUPPORTED = "I can read text, locations and buttons. Please type your question in words, or choose from the menu."


@dataclass(frozen=True, slots=True)
class Media:
    """A photo, document or other non-text message. `ref` is the platform's file or media id."""

    channel: str
    user_id: str
    message_id: str
    kind: str  # photo | document | unsupported
    ref: str | None
    caption: str = ""
    display_name: str | None = None
    filename: str | None = None
    mime_type: str | None = None


def parts_of(channel: str, reply: dict[str, Any]) -> list[dict[str, Any]]:
    if channel == "telegram":
        from bot.channels.telegram import reply_parts
    else:
        from bot.channels.whatsapp import reply_parts  # type: ignore[assignment]
    return reply_parts(reply)


async def enqueue_part(
    session: AsyncSession, app: FrontDesk, channel: str, recipient: str, part: dict[str, Any], *,
    key: str, kind: str = "reply", unordered: bool = False, ref: str | None = None,
) -> None:
    """One part to the outbox, written with the rest of an engine batch's rows (`enqueue_many`)."""
    if channel == "telegram":
        from bot.channels.telegram import store_long_payloads

        part = await store_long_payloads(session, app, part)
    now = app.clock.now()
    await enqueue_many(session, [{"channel": channel, "recipient": recipient, "payload": part, "idempotency_key": key,
                                  "kind": kind, "now": now, "not_before": now if unordered else None, "ref": ref}])


async def send_replies(
    session: AsyncSession, app: FrontDesk, channel: str, recipient: str, replies: list[Reply] | list[dict[str, Any]],
    *, key: str, lang: str | None, kind: str = "reply", ref: str | None = None,
) -> int:
    """Write replies to the outbox as one-call parts with keys `key:0`, `key:1`, … (one statement)."""
    rows: list[dict[str, Any]] = []
    now = app.clock.now()
    for reply in replies:
        data = reply.to_dict() if isinstance(reply, Reply) else dict(reply)
        for part in parts_of(channel, data):
            if lang:
                part["lang"] = lang
            if channel == "telegram":
                from bot.channels.telegram import store_long_payloads

                part = await store_long_payloads(session, app, part)
            rows.append({"channel": channel, "recipient": recipient, "payload": part, "kind": kind, "ref": ref,
                         "idempotency_key": f"{key}:{len(rows)}", "now": now})
    await enqueue_many(session, rows)
    return len(rows)


async def handle_event(app: FrontDesk, event: Event, *,
                       extra: Callable[[AsyncSession], Awaitable[None]] | None = None) -> None:
    """Run the engine; its replies (and `extra` writes) reach the outbox in the engine's own
    transaction, shared with the other events arriving at the same time (`Engine.intake`)."""

    async def sink(session: AsyncSession, user: User, replies: list[Reply]) -> None:
        if extra is not None:
            await extra(session)
        await send_replies(session, app, event.channel, event.user_id, replies,
                           key=f"reply:{event.channel}:{event.message_id}", lang=user.language)

    await app.engine.intake.submit(event, sink)
    wake(app)


async def handle_media(app: FrontDesk, media: Media) -> None:
    """A photo or document is relayed during a handoff; anything else we cannot read gets
    a polite answer (once per message id), and the conversation's state is left alone."""
    from bot.services import handoff

    if media.kind != "unsupported" and await handoff.relay_media(app, media):
        return
    async with app.db.transaction() as session:
        fresh = await insert_ignore(
            session, InboundMessage,
            {"channel": media.channel, "message_id": media.message_id, "received_at": app.clock.now()},
            ("channel", "message_id"),
        )
        if not fresh:
            return
        user = (await session.execute(
            select(User).where(User.channel == media.channel, User.external_id == media.user_id)
        )).scalar_one_or_none()
        lang = (user.language if user is not None else None) or app.settings.default_language
        text = app.i18n.gettext(lang, UNSUPPORTED)
        await send_replies(session, app, media.channel, media.user_id, [Reply(text=text)],
                           key=f"reply:{media.channel}:{media.message_id}", lang=lang)
    wake(app)
