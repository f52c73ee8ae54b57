"""Consultants link their Telegram or WhatsApp account with a one-time code.

`frontdesk consultants invite CONSULTANT_ID` prints a code (and a Telegram deep link);
the consultant sends it to the bot — `/start link-K7M2Q9XP` through the link, or
`LINK K7M2Q9XP` typed on WhatsApp — and from then on booking notifications (with Accept /
Decline buttons, handled by the booking actions), handoff requests and the morning agenda
reach them there. Only a hash of the code is stored; a code works once and expires.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_, update

from bot.storage.models import ConsultantInvite

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
CODE_LENGTH = 8

INBOX_CHANNEL = "inbox"
"""Where a consultant without a linked account is reached: the inbox page of `/admin`
(`bot/admin/pages_inbox.py`) reads these outbox rows; nothing is sent anywhere."""


def inbox_address(consultant_id: int) -> str:
    """The outbox recipient of a consultant's inbox."""
    return f"consultant:{consultant_id}"


class InviteError(Exception):
    """The consultant does not exist; the message says so."""


@dataclass(frozen=True, slots=True)
class ConsultantInfo:
    id: int
    name: str
    center_code: str | None
    areas: tuple[str, ...]
    channel: str | None
    external_id: str | None


def consultant_model() -> Any:
    """The booking module's `Consultant` (channel/external_id are the link columns)."""
    from bot.storage.models.booking import Consultant

    return Consultant


def _info(row: Any) -> ConsultantInfo:
    return ConsultantInfo(row.id, row.name, getattr(row, "center_code", None), tuple(getattr(row, "areas", None) or ()),
                          row.channel, row.external_id)


async def consultant_by_account(session: AsyncSession, channel: str, external_id: str) -> ConsultantInfo | None:
    try:
        Consultant = consultant_model()
    except ImportError:
        return None
    row = (await session.execute(
        select(Consultant).where(Consultant.channel == channel, Consultant.external_id == external_id)
    )).scalars().first()
    return _info(row) if row is not None else None


async def consultant_by_id(session: AsyncSession, consultant_id: int) -> ConsultantInfo | None:
    try:
        Consultant = consultant_model()
    except ImportError:
        return None
    row = await session.get(Consultant, consultant_id)
    return _info(row) if row is not None else None


async def linked_consultants(session: AsyncSession) -> list[ConsultantInfo]:
    """Active consultants with a linked account."""
    try:
        Consultant = consultant_model()
    except ImportError:
        return []
    stmt = select(Consultant).where(Consultant.channel.is_not(None), Consultant.external_id.is_not(None))
    if hasattr(Consultant, "active"):
        stmt = stmt.where(Consultant.active.is_(True))
    return [_info(r) for r in (await session.execute(stmt.order_by(Consultant.id))).scalars()]


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


async def create_invite(session: AsyncSession, consultant_id: int, *, now: datetime, valid_hours: int = 72) -> str:
    """A new one-time code for the consultant. Earlier unused codes of theirs stop working."""
    if await consultant_by_id(session, consultant_id) is None:
        raise InviteError(f"no consultant with id {consultant_id}; see `frontdesk consultants list`")
    await session.execute(
        update(ConsultantInvite)
        .where(ConsultantInvite.consultant_id == consultant_id, ConsultantInvite.used_at.is_(None))
        .values(expires_at=now)
    )
    code = new_code()
    session.add(ConsultantInvite(code_hash=_hash(code), consultant_id=consultant_id, created_at=now,
                                 expires_at=now + timedelta(hours=valid_hours)))
    return code


async def link(session: AsyncSession, code: str, channel: str, external_id: str, *, now: datetime) -> ConsultantInfo | None:
    """Use `code` to link this account. None when the code is unknown, used or expired."""
    stmt = select(ConsultantInvite).where(ConsultantInvite.code_hash == _hash(code)).with_for_update()
    invite = (await session.execute(stmt)).scalar_one_or_none()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    Consultant = consultant_model()
    # One account belongs to one consultant: an earlier link of this account is undone.
    await session.execute(
        update(Consultant).where(Consultant.channel == channel, Consultant.external_id == external_id,
                                 Consultant.id != invite.consultant_id).values(channel=None, external_id=None)
    )
    row = await session.get(Consultant, invite.consultant_id)
    if row is None:
        return None
    row.channel, row.external_id = channel, external_id
    invite.used_at, invite.used_channel, invite.used_external_id = now, channel, external_id
    return _info(row)


def telegram_deep_link(bot_username: str | None, code: str) -> str | None:
    return f"https://t.me/{bot_username}?start=link-{code.replace('-', '')}" if bot_username else None


async def consultant_accounts(session: AsyncSession, accounts: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (channel, account id) pairs are the linked account of an active consultant."""
    if not accounts:
        return set()
    Consultant = consultant_model()
    rows = await session.execute(
        select(Consultant.channel, Consultant.external_id).where(
            Consultant.active.is_(True), tuple_(Consultant.channel, Consultant.external_id).in_(accounts)))
    return {(c, e) for c, e in rows.all() if c is not None and e is not None}
