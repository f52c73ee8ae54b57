"""The transactional outbox: side effects (notifications, replies on Telegram and
WhatsApp, reminders) are written as rows in the same transaction as the change that
causes them, and a worker delivers them with retries, backoff and idempotency keys.

    await post(session, [Message(channel="telegram", recipient="12345", body=reply.to_dict(),
                                 key=f"booking:{ref}:created:consultant")], now=now)

`post` is the one way in: it renders each reply into the channel's parts (one row, one API
call each) and stores button payloads too long for the platform. Channels register at the
composition root: `register_channel("telegram", ChannelSpec(transport, render, payload_fits))`,
where `transport(app)` returns an object with `async send(message) -> provider_id | None`
that raises `TransientError` (retry later, honouring `retry_after`) or `PermanentError`.
"""

from __future__ import annotations

from bot.outbox.core import (
    ChannelSpec,
    Message,
    PermanentError,
    Transport,
    TransientError,
    cancel_pending,
    deferred,
    post,
    register_channel,
    register_transport,
    resolve_payload,
    transport_factories,
)

__all__ = [
    "ChannelSpec",
    "Message",
    "PermanentError",
    "Transport",
    "TransientError",
    "cancel_pending",
    "deferred",
    "post",
    "register_channel",
    "register_transport",
    "resolve_payload",
    "transport_factories",
]
