"""A person's rights over their data (UU PDP, Law 27/2022): see what the bot stores about
them, and have it erased.

`stored_data` gathers what is kept about one user. `erase_personal_data` erases or
anonymises every personal field of that user in one transaction (the caller's session):

- the user's row starts over as a new user (no name, phone, language or consent), so the
  next message from the same account is read like a first one;
- what must still add up (bookings, consultation requests, handoffs, the message log) moves
  to a fresh anonymous account (`erased:<random>`) with its personal fields emptied: the
  counts per center, day, field and status stay right, nobody can be found in them;
- upcoming bookings are cancelled (the slot is free again) and their consultants told
  through the booking notifier, which names nobody for this reason;
- messages to the person (sent or waiting, the web chat's transcript) are deleted; notices
  to consultants and admins about the person keep their place but lose the person's name,
  phone, business and words;
- the audit log records that it happened and how much, with no personal data.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import booking as rules
from bot.domain.booking import ACTIVE_STATUSES
from bot.services import booking as bookings
from bot.storage.models import (
    AuditEntry,
    Booking,
    Center,
    ConsultationRequest,
    Conversation,
    HandoffMessage,
    HandoffRequest,
    InboundRate,
    MessageLog,
    OutboxMessage,
    SlotHold,
    UnansweredMessage,
    User,
    WhatsAppStatus,
)
from bot.storage.models.handoff import ACTIVE as HANDOFF_ACTIVE, CLOSED
from bot.storage.models.outbox import SENDING

ERASED_PREFIX = "erased:"
"""The account id of the anonymous account that keeps an erased person's bookings and counts.
No channel produces ids with a colon and 24 random hex digits after it."""
REDACTED = "***"
"""What stands where a person's name, phone, business or words were in a kept notice."""
ERASE_ACTION = "personal_data.erase"
"""The audit log's name for an erasure."""


class UnknownUser(LookupError):
    """No user with that id."""


# --- what is stored ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingRecord:
    ref: str
    center_code: str
    center_name: str | None
    center_tz: str | None
    service_area: str
    starts_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class ConsultationRecord:
    center_code: str
    center_name: str | None
    service_area: str | None
    created_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    created_at: datetime
    status: str
    messages: int


@dataclass(frozen=True, slots=True)
class StoredData:
    """Everything the bot keeps about one user, as plain values."""

    channel: str
    display_name: str | None
    phone: str | None
    language: str | None
    created_at: datetime
    consent_at: datetime | None
    bookings: list[BookingRecord] = field(default_factory=list)
    consultations: list[ConsultationRecord] = field(default_factory=list)
    handoffs: list[HandoffRecord] = field(default_factory=list)
    messages: int = 0
    """Rows of the message log (in and out)."""
    oldest_message_at: datetime | None = None
    unanswered: int = 0
    """Questions kept for the admins because the bot could not answer them."""
    names: list[str] = field(default_factory=list)
    """The display name and the names given in bookings, each once."""
    phones: list[str] = field(default_factory=list)
    """The shared number and those given in bookings and consultation requests, each once."""
    businesses: list[str] = field(default_factory=list)
    """Business names and kinds given in bookings, each once."""


async def stored_data(session: AsyncSession, *, user_id: int) -> StoredData:
    user = await session.get(User, user_id)
    if user is None:
        raise UnknownUser(user_id)
    booking_rows = (await session.execute(
        select(Booking, Center.name, Center.timezone).outerjoin(Center, Center.code == Booking.center_code)
        .where(Booking.user_id == user_id).order_by(Booking.starts_at, Booking.id)
    )).all()
    consult_rows = (await session.execute(
        select(ConsultationRequest, Center.name).outerjoin(Center, Center.code == ConsultationRequest.center_code)
        .where(ConsultationRequest.user_id == user_id).order_by(ConsultationRequest.created_at, ConsultationRequest.id)
    )).all()
    handoff_rows = (await session.execute(
        select(HandoffRequest.created_at, HandoffRequest.status, func.count(HandoffMessage.id))
        .outerjoin(HandoffMessage, HandoffMessage.request_id == HandoffRequest.id)
        .where(HandoffRequest.user_id == user_id)
        .group_by(HandoffRequest.id, HandoffRequest.created_at, HandoffRequest.status)
        .order_by(HandoffRequest.created_at)
    )).all()
    messages, oldest = (await session.execute(
        select(func.count(MessageLog.id), func.min(MessageLog.at)).where(MessageLog.user_id == user_id)
    )).one()
    unanswered = (await session.execute(
        select(func.count(UnansweredMessage.id)).where(UnansweredMessage.user_id == user_id)
    )).scalar_one()
    bookings_ = [b for b, _, _ in booking_rows]
    consults_ = [c for c, _ in consult_rows]
    return StoredData(
        names=_distinct([user.display_name, *(b.name for b in bookings_)]),
        phones=_distinct([user.phone, *(b.phone for b in bookings_), *(c.phone for c in consults_)]),
        businesses=_distinct([*(b.business_name for b in bookings_), *(b.business_kind for b in bookings_)]),
        channel=user.channel, display_name=user.display_name, phone=user.phone, language=user.language,
        created_at=user.created_at, consent_at=user.consent_at,
        bookings=[BookingRecord(b.ref, b.center_code, name, tz, b.service_area, b.starts_at, b.status)
                  for b, name, tz in booking_rows],
        consultations=[ConsultationRecord(c.center_code, name, c.service_area, c.created_at, c.status)
                       for c, name in consult_rows],
        handoffs=[HandoffRecord(at, status, int(n)) for at, status, n in handoff_rows],
        messages=int(messages or 0), oldest_message_at=oldest, unanswered=int(unanswered or 0),
    )


def _distinct(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


# --- erasure -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure did, in counts (no personal data), with the domain events it caused."""

    bookings_kept: int
    """Bookings kept as anonymous rows (center, field, day, status)."""
    cancelled: list[rules.BookingCancelled]
    """Upcoming bookings cancelled; each consultant was told."""
    consultations: int
    handoffs: int
    messages: int
    """Message-log rows whose text was erased (the rows stay as counts)."""
    unanswered: int
    messages_to_user_deleted: int
    notices_redacted: int

    @property
    def anything(self) -> bool:
        return any((self.bookings_kept, self.consultations, self.handoffs, self.messages, self.unanswered,
                    self.messages_to_user_deleted))


async def erase_personal_data(
    session: AsyncSession, *, user_id: int, now: datetime, by: str, admin_id: int | None = None,
) -> Erased:
    """Erase or anonymise every personal field of the user (see the module's notes); `by`
    names who asked in the audit log (`"user"` for the person themselves, else the admin's
    name). The caller's transaction holds it all: a failure leaves everything as it was."""
    user = (await session.execute(select(User).where(User.id == user_id).with_for_update())).scalar_one_or_none()
    if user is None:
        raise UnknownUser(user_id)
    account = (user.channel, user.external_id)
    own = (await session.execute(
        select(Booking).where(Booking.user_id == user_id).order_by(Booking.id).with_for_update()
    )).scalars().all()
    consults = (await session.execute(
        select(ConsultationRequest).where(ConsultationRequest.user_id == user_id))).scalars().all()
    handoffs = (await session.execute(select(HandoffRequest).where(HandoffRequest.user_id == user_id))).scalars().all()
    handoff_ids = [h.id for h in handoffs]
    relayed = (await session.execute(
        select(HandoffMessage.text).where(HandoffMessage.request_id.in_(handoff_ids), HandoffMessage.text.is_not(None))
    )).scalars().all() if handoff_ids else []

    personal = _personal_values(
        [user.display_name, user.phone],
        *([b.name, b.business_name, b.business_kind, b.phone, b.note] for b in own),
        *([c.question, c.phone] for c in consults),
        [h.question for h in handoffs], relayed,
    )
    # Notices to others about the person keep their place (a consultant's inbox, the delivery
    # log) without the person in them; messages to the person go altogether.
    redacted = await _redact_notices(session, personal, refs=[b.ref for b in own],
                                     keys=[f"consult:{c.id}:" for c in consults] + [f"handoff:{h}:" for h in handoff_ids],
                                     account=account)
    gone = await session.execute(delete(OutboxMessage).where(
        OutboxMessage.channel == account[0], OutboxMessage.recipient == account[1], OutboxMessage.status != SENDING))
    cancelled = [await bookings.cancel_for_erasure(session, b, now=now)
                 for b in own if b.status in ACTIVE_STATUSES and b.starts_at > now]

    await session.execute(delete(SlotHold).where(SlotHold.user_id == user_id))
    # how fast the account has been writing: rebuilt from the next message on
    await session.execute(delete(InboundRate).where(InboundRate.channel == account[0], InboundRate.external_id == account[1]))
    unanswered = await session.execute(delete(UnansweredMessage).where(UnansweredMessage.user_id == user_id))
    if account[0] == "whatsapp":  # the statuses name the number a message went to
        await session.execute(update(WhatsAppStatus).where(WhatsAppStatus.recipient == account[1]).values(recipient=None))
    messages = (await session.execute(select(func.count(MessageLog.id)).where(MessageLog.user_id == user_id))).scalar_one()

    if own or consults or handoffs or messages:
        anonymous = User(channel=user.channel, external_id=ERASED_PREFIX + secrets.token_hex(12), language=None,
                         language_locked=False, created_at=user.created_at)
        session.add(anonymous)
        await session.flush()
        for b in own:
            b.user_id, b.name, b.business_name, b.business_kind, b.phone, b.note = anonymous.id, "", None, None, None, None
        for c in consults:
            c.user_id, c.question, c.phone = anonymous.id, None, None
        for h in handoffs:
            h.user_id, h.question = anonymous.id, None
            if h.status in HANDOFF_ACTIVE:
                h.status, h.closed_at, h.closed_by, h.next_escalation_at = CLOSED, now, "erasure", None
        await session.flush()
        if handoff_ids:
            await session.execute(update(HandoffMessage).where(HandoffMessage.request_id.in_(handoff_ids)).values(text=None))
        await session.execute(update(MessageLog).where(MessageLog.user_id == user_id)
                              .values(user_id=anonymous.id, text=None), execution_options={"synchronize_session": False})

    user.display_name = user.phone = user.language = user.consent_at = None
    user.language_locked = False
    user.created_at = now
    await session.execute(update(Conversation).where(Conversation.user_id == user_id)
                          .values(flow=None, step=None, values={}, updated_at=now))

    result = Erased(
        bookings_kept=len(own), cancelled=cancelled, consultations=len(consults), handoffs=len(handoffs),
        messages=int(messages or 0), unanswered=_count(unanswered), messages_to_user_deleted=_count(gone),
        notices_redacted=redacted,
    )
    session.add(AuditEntry(
        at=now, user_id=admin_id, username=by[:64], action=ERASE_ACTION, target_type="user", target_id=str(user_id),
        center_code=None,
        detail={"bookings_kept": result.bookings_kept, "bookings_cancelled": [e.ref for e in cancelled],
                "consultations": result.consultations, "handoffs": result.handoffs, "messages": result.messages,
                "unanswered": result.unanswered, "messages_to_user_deleted": result.messages_to_user_deleted,
                "notices_redacted": result.notices_redacted},
    ))
    await session.flush()
    return result


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _personal_values(*groups: Iterable[str | None]) -> list[str]:
    """The strings to take out of kept notices, longest first (a name before its first part);
    a phone also in the forms notices write it (+62…, 0…, digits only)."""
    found: set[str] = set()
    for group in groups:
        for value in group:
            value = (value or "").strip()
            if len(value) < 3:
                continue  # "-" or an initial would wipe out ordinary words
            found.add(value)
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 8 and len(digits) >= len(value) - 4:
                local = digits[2:] if digits.startswith("62") else digits.lstrip("0")
                found.update({digits, "+" + digits, "0" + local, "62" + local, "+62" + local})
    return sorted(found, key=len, reverse=True)


def _scrub(value: Any, personal: list[str]) -> Any:
    if isinstance(value, str):
        for item in personal:
            value = value.replace(item, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, personal) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, personal) for v in value]
    return value


async def _redact_notices(
    session: AsyncSession, personal: list[str], *, refs: list[str], keys: list[str], account: tuple[str, str],
) -> int:
    """Take the person out of the outbox rows about their bookings, consultation requests and
    handoffs that went (or go) to someone else; returns how many rows changed."""
    if not personal or not (refs or keys):
        return 0
    about: list[ColumnElement[bool]] = [OutboxMessage.ref.in_(refs)] if refs else []
    about += [OutboxMessage.idempotency_key.startswith(k, autoescape=True) for k in keys]
    rows = (await session.execute(select(OutboxMessage).where(
        or_(*about), ~((OutboxMessage.channel == account[0]) & (OutboxMessage.recipient == account[1])),
    ))).scalars().all()
    changed = 0
    for row in rows:
        scrubbed = _scrub(row.payload, personal)
        if scrubbed != row.payload:
            row.payload = scrubbed
            changed += 1
    return changed


__all__ = [
    "ERASED_PREFIX", "REDACTED", "ERASE_ACTION", "UnknownUser", "BookingRecord", "ConsultationRecord", "HandoffRecord",
    "StoredData", "stored_data", "Erased", "erase_personal_data",
]
