"""The transactional outbox: side effects (notifications, replies on Telegram and
WhatsApp, reminders) are written as rows in the same transaction as the change that
causes them, and a worker delivers them with retries, backoff and idempotency keys.

    await enqueue(session, channel="telegram", recipient="12345", payload=reply.to_dict(),
                  idempotency_key=f"booking:{ref}:created:consultant")

Transports register per channel: `register_transport("telegram", factory)`, where
`factory(app)` returns an object with `async send(message) -> provider_id | None` that
raises `TransientError` (retry later, honouring `retry_after`) or `PermanentError`.
"""

from __future__ import annotations

from bot.outbox.core import (
    PermanentError,
    Transport,
    TransientError,
    cancel_pending,
    deferred,
    enqueue,
    enqueue_many,
    register_transport,
    transport_factories,
)

__all__ = [
    "PermanentError",
    "Transport",
    "TransientError",
    "cancel_pending",
    "deferred",
    "enqueue",
    "enqueue_many",
    "register_transport",
    "transport_factories",
]
