from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import CallbackPayload
from bot.storage.models.outbox import CANCELLED, PENDING, SENDING, OutboxMessage
from bot.storage.upsert import insert_ignore, insert_ignoring

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)
_TABLE = cast(Table, OutboxMessage.__table__)


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
Renderer = Callable[[dict[str, Any]], list[dict[str, Any]]]
"""A channel's one place that turns a reply (`Reply.to_dict()`) into its parts, one API call each."""


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """What the outbox needs of a channel; channels register theirs at the composition root."""

    transport: TransportFactory
    render: Renderer | None = None
    """None: the body is sent as it is (the delivery log, the terminal, tests)."""
    payload_fits: Callable[[str], bool] | None = None
    """Whether a button payload fits the platform's limit; one that does not is stored and
    sent as a reference (`h:<key>`, read back by `resolve_payload`)."""


_CHANNELS: dict[str, ChannelSpec] = {}


def register_channel(channel: str, spec: ChannelSpec) -> None:
    _CHANNELS[channel] = spec


def register_transport(channel: str, factory: TransportFactory) -> None:
    """A channel whose messages are sent as written (no parts, no payload limit)."""
    register_channel(channel, ChannelSpec(transport=factory))


def transport_factories() -> dict[str, TransportFactory]:
    return {name: spec.transport for name, spec in _CHANNELS.items()}


@dataclass(frozen=True, slots=True)
class Message:
    """One message for the outbox: a reply (the `Reply.to_dict()` shape) or a channel's own
    part (`answer_callback`, `relay`) to one recipient.

    `key` makes it idempotent: a key seen before adds nothing. A reply the channel splits
    into several parts is written as one row per part, keyed `key`, `key+1`, `key+2` … .
    Messages to one recipient are delivered in order, except scheduled ones (`not_before`)
    and `unordered` ones, which go out on their own time."""

    channel: str
    recipient: str
    body: Mapping[str, Any]
    key: str
    kind: str = "message"
    not_before: datetime | None = None
    ref: str | None = None
    lang: str | None = None
    unordered: bool = False


STORED_PREFIX = "h:"


def stored_key(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


async def post(session: AsyncSession, messages: Iterable[Message], *, now: datetime) -> int:
    """The one way into the outbox, in the caller's transaction (a booking and its
    notifications commit or roll back together). Each message is rendered into its
    channel's parts here, and each part is one row, so a retry never repeats what already
    went out. Rows are written in the given order, in one statement (held to the end of a
    `deferred` block when inside one). Returns how many rows were added (inside `deferred`:
    how many were held)."""
    rows: list[dict[str, Any]] = []
    stored: dict[str, str] = {}
    for m in messages:
        spec = _CHANNELS.get(m.channel)
        body = dict(m.body)
        parts = spec.render(body) if spec is not None and spec.render is not None and _is_reply(body) else [body]
        for i, part in enumerate(parts):
            if m.lang and "lang" not in part:
                part = {**part, "lang": m.lang}
            if spec is not None and spec.payload_fits is not None:
                part = _shorten_payloads(part, spec.payload_fits, stored)
            rows.append(_row(m, part, m.key if i == 0 else f"{m.key}+{i}", now))
    if not rows:
        return 0
    if stored:
        await _store_payloads(session, stored, now)
    held = session.info.get(_DEFERRED)
    if held is not None:
        held.extend(rows)
        return len(rows)
    return await _insert_rows(session, rows)


def _is_reply(body: Mapping[str, Any]) -> bool:
    return not any(k in body for k in ("answer_callback", "relay", "template"))


def _shorten_payloads(part: dict[str, Any], fits: Callable[[str], bool], stored: dict[str, str]) -> dict[str, Any]:
    for field in ("buttons", "options"):
        items = part.get(field)
        if not items or all(fits(b["payload"]) for b in items):
            continue
        out = []
        for b in items:
            if not fits(b["payload"]):
                key = stored_key(b["payload"])
                stored[key] = b["payload"]
                b = {**b, "payload": STORED_PREFIX + key}
            out.append(b)
        part = {**part, field: out}
    return part


async def _store_payloads(session: AsyncSession, stored: dict[str, str], now: datetime) -> None:
    for key, payload in stored.items():
        await insert_ignore(session, CallbackPayload, {"key": key, "payload": payload, "created_at": now}, ("key",))


async def resolve_payload(session: AsyncSession, data: str) -> str | None:
    """A button's payload as the bot made it: a stored one (`h:<key>`) is looked up (None
    when it is gone)."""
    if not data.startswith(STORED_PREFIX):
        return data
    row = await session.get(CallbackPayload, data[len(STORED_PREFIX):])
    return row.payload if row is not None else None


def _row(m: Message, part: dict[str, Any], key: str, now: datetime) -> dict[str, Any]:
    scheduled = m.not_before is not None or m.unordered
    return {
        "channel": m.channel,
        "recipient": str(m.recipient)[:64],
        "kind": m.kind,
        "payload": part,
        "idempotency_key": key[:160],
        "ref": m.ref,
        "status": PENDING,
        "attempts": 0,
        "ordered": not scheduled,
        "next_attempt_at": m.not_before or now,
        "created_at": now,
    }


async def _insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    # executemany + RETURNING: SQLAlchemy sends one multi-row INSERT ("insertmanyvalues")
    # from a statement it compiles once; `.values([...])` would be compiled on every call.
    stmt = insert_ignoring(session, _TABLE, ("idempotency_key",), ("id",))
    result = await session.execute(stmt, rows)
    return len(result.all())


_DEFERRED = "outbox.deferred_rows"


@asynccontextmanager
async def deferred(session: AsyncSession) -> AsyncIterator[None]:
    """Within this block, `post` on `session` holds its rows and writes them all in one
    statement at the end (the engine's group commit: the replies of a whole batch of events
    in one INSERT). Row order is kept. Inside, `post` counts the rows it was given, not the
    ones a repeated key later skips."""
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
    return int(getattr(result, "rowcount", 0) or 0)  # a CursorResult; `execute` is typed as returning Result
