"""What the Telegram and WhatsApp adapters share: handing an event to the engine with an
outbox sink, media messages, and a turn's replies as outbox messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.engine.engine import DROP, FLOOD_NOTICE, NOTICE
from bot.engine.events import Event, Media, Reply
from bot.payloads import StartFlow
from bot.outbox import Message, post, resolve_payload
from bot.outbox.core import STORED_PREFIX
from bot.outbox.worker import wake
from bot.storage.models import InboundMessage, User
from bot.storage.upsert import insert_ignore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import FrontDesk

UNSUPPORTED = "I can read text, locations and buttons. Please type your question in words, or choose from the menu."


def reply_messages(channel: str, recipient: str, replies: list[Reply], *, key: str, lang: str | None,
                   kind: str = "reply") -> list[Message]:
    """A turn's replies as outbox messages keyed `key:0`, `key:1`, … ."""
    return [Message(channel=channel, recipient=recipient, body=reply.to_dict(), key=f"{key}:{i}", kind=kind, lang=lang)
            for i, reply in enumerate(replies)]


async def handle_event(app: FrontDesk, event: Event, *,
                       extra: Callable[[AsyncSession], Awaitable[None]] | None = None) -> None:
    """Run the engine; its replies (and `extra` writes) reach the outbox in the engine's own
    transaction, shared with the other events arriving at the same time (`Engine.intake`)."""

    async def sink(session: AsyncSession, user: User, replies: list[Reply]) -> None:
        if extra is not None:
            await extra(session)
        await post(session, reply_messages(event.channel, event.user_id, replies,
                                           key=f"reply:{event.channel}:{event.message_id}", lang=user.language),
                   now=app.clock.now())

    if event.button is not None and event.button.startswith(STORED_PREFIX):
        # A payload too long for the platform went out as a stored reference.
        async with app.db.transaction() as session:
            button = await resolve_payload(session, event.button)
        event = replace(event, button=button or StartFlow("main_menu").pack())
    await app.engine.intake.submit(event, sink)
    wake(app)


async def handle_media(app: FrontDesk, media: Media) -> None:
    """A photo or document is relayed during a handoff; anything else we cannot read gets
    a polite answer (once per message id), and the conversation's state is left alone."""
    from bot.dialogue import handoff  # the relay of a connected conversation

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
        # A flood of stickers is a flood too: counted with the sender's messages, one notice.
        fate = await app.engine.admit_one(session, media.channel, media.user_id)
        if fate == DROP:
            return
        user = (await session.execute(
            select(User).where(User.channel == media.channel, User.external_id == media.user_id)
        )).scalar_one_or_none()
        lang = (user.language if user is not None else None) or app.settings.default_language
        text = app.i18n.gettext(lang, FLOOD_NOTICE if fate == NOTICE else UNSUPPORTED)
        await post(session, reply_messages(media.channel, media.user_id, [Reply(text=text)],
                                           key=f"reply:{media.channel}:{media.message_id}", lang=lang),
                   now=app.clock.now())
    wake(app)
