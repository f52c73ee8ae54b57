from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models.outbox import CANCELLED, PENDING, SENDING, OutboxMessage
from bot.storage.upsert import insert_ignore, insert_ignoring

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)


class TransientError(Exception):
    """Delivery failed for now (429, 5xx, timeout); try again after `retry_after` seconds or backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Delivery can never succeed (the user blocked the bot, an invalid number); not retried."""


class Transport(Protocol):
    async def send(self, message: OutboxMessage) -> str | None: ...


TransportFactory = Callable[["FrontDesk"], Transport | None]
_FACTORIES: dict[str, TransportFactory] = {}


def register_transport(channel: str, factory: TransportFactory) -> None:
    """`factory(app)` returns the channel's transport, or None when the channel is not configured."""
    _FACTORIES[channel] = factory


def transport_factories() -> dict[str, TransportFactory]:
    return dict(_FACTORIES)


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    kind: str = "message",
    not_before: datetime | None = None,
    ref: str | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction. A key seen before adds nothing.

    Messages to one recipient are delivered in order, except scheduled ones (`not_before`),
    which go out on their own time."""
    row = _row(
        channel=channel, recipient=recipient, payload=payload, idempotency_key=idempotency_key,
        now=now, kind=kind, not_before=not_before, ref=ref,
    )
    await _write_held(session)  # rows held by `deferred` were meant to go first
    return await insert_ignore(session, OutboxMessage, row, ("idempotency_key",))


def _row(
    *,
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    kind: str = "message",
    not_before: datetime | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """The outbox row `enqueue` would write for these arguments."""
    return {
        "channel": channel,
        "recipient": str(recipient)[:64],
        "kind": kind,
        "payload": payload,
        "idempotency_key": idempotency_key[:160],
        "ref": ref,
        "status": PENDING,
        "attempts": 0,
        "ordered": not_before is None,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


async def enqueue_many(session: AsyncSession, messages: Iterable[Mapping[str, Any]]) -> int:
    """`enqueue` for several messages in one statement (one round trip): each mapping holds
    `enqueue`'s keyword arguments. Keys seen before, in the table or earlier in the batch,
    add nothing. Returns how many rows were added.

    Rows are inserted in the given order, so ordered messages to one recipient keep it."""
    rows = [_row(**m) for m in messages]
    if not rows:
        return 0
    held = session.info.get(_DEFERRED)
    if held is not None:
        held.extend(rows)
        return len(rows)
    return await _insert_rows(session, rows)


async def _insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    # executemany + RETURNING: SQLAlchemy sends one multi-row INSERT ("insertmanyvalues")
    # from a statement it compiles once; `.values([...])` would be compiled on every call.
    stmt = insert_ignoring(session, OutboxMessage.__table__, ("idempotency_key",), ("id",))
    result = await session.execute(stmt, rows)
    return len(result.all())


_DEFERRED = "outbox.deferred_rows"


@asynccontextmanager
async def deferred(session: AsyncSession) -> AsyncIterator[None]:
    """Within this block, `enqueue_many` on `session` holds its rows and writes them all in
    one statement at the end (the engine's group commit: the replies of a whole batch of
    events in one INSERT). Row order is kept. Inside, `enqueue_many` counts the rows it
    was given, not the ones a repeated key later skips. `enqueue` is never held back: it
    writes the held rows first, so the order of messages stays the order they were queued."""
    if _DEFERRED in session.info:  # nested: the outer block writes
        yield
        return
    session.info[_DEFERRED] = []
    try:
        yield
        await _write_held(session)
    finally:
        session.info.pop(_DEFERRED, None)


async def _write_held(session: AsyncSession) -> None:
    held = session.info.get(_DEFERRED)
    if held:
        rows = list(held)
        held.clear()
        await _insert_rows(session, rows)


async def cancel_pending(session: AsyncSession, *, ref: str, kind_prefix: str | None = None) -> int:
    """Cancel undelivered messages about `ref` (a booking moved or cancelled: no stale reminder).

    Rows a worker has claimed but not sent yet (`sending`) are cancelled too; the worker
    looks again just before it sends a scheduled message and drops a cancelled one."""
    stmt = update(OutboxMessage).where(OutboxMessage.ref == ref, OutboxMessage.status.in_((PENDING, SENDING)))
    if kind_prefix:
        stmt = stmt.where(OutboxMessage.kind.startswith(kind_prefix))
    result = await session.execute(stmt.values(status=CANCELLED))
    return int(result.rowcount or 0)
