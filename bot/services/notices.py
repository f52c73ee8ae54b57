"""Outbox messages of the booking use cases, written through the one outbox path (`post`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import Message, post


def message(*, channel: str, recipient: str, payload: Mapping[str, Any], idempotency_key: str, now: datetime,
            kind: str = "message", not_before: datetime | None = None, ref: str | None = None) -> Message:
    return Message(channel=channel, recipient=recipient, body=payload, key=idempotency_key, kind=kind,
                   not_before=not_before, ref=ref)


async def enqueue(session: AsyncSession, **kwargs: Any) -> bool:
    return await post(session, [message(**kwargs)], now=kwargs["now"]) > 0


async def enqueue_many(session: AsyncSession, messages: Iterable[Mapping[str, Any]]) -> int:
    given = list(messages)
    if not given:
        return 0
    return await post(session, [message(**m) for m in given], now=given[0]["now"])
