"""Consultation requests, the use cases: an owner asks a center that takes no bookings
through the bot to contact them about a service area.

Plain arguments in (the caller's session is the unit of work), facts out; no words.
`bot/dialogue/consultation.py` asks for what is needed and words the notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.consultant_link import ConsultantInfo, consultant_by_id, linked_consultants
from bot.storage.models import AdminUser, Consultant, ConsultationRequest
from bot.storage.models.consultation import NEW

MAX_QUESTION = 2000


@dataclass(frozen=True, slots=True)
class ConsultationRequested:
    """A request was recorded; `recipients` are the center's people to tell (linked accounts)."""

    request_id: int
    center_code: str
    service_area: str | None
    question: str | None
    phone: str | None
    recipients: tuple[ConsultantInfo, ...]
    again: bool
    """True when the same owner had already asked the same center and it is still new."""


async def bookable_codes(session: AsyncSession) -> frozenset[str]:
    """The centers that take bookings through the bot: those with an active consultant."""
    rows = await session.execute(select(Consultant.center_code).where(Consultant.active.is_(True)).distinct())
    return frozenset(rows.scalars())


async def recipients(session: AsyncSession, center_code: str) -> list[ConsultantInfo]:
    """Who hears of a request: the center's consultants and its admins (an admin account
    tied to a consultant record), each with a linked chat account; the center's people
    first, then the network's admins when the center has nobody linked."""
    linked = await linked_consultants(session)
    people = {c.id: c for c in linked if c.center_code == center_code}
    admins = (await session.execute(
        select(AdminUser.consultant_id, AdminUser.center_code, AdminUser.role)
        .where(AdminUser.active.is_(True), AdminUser.consultant_id.is_not(None), AdminUser.role.in_(("admin", "center_admin")))
    )).all()
    for consultant_id, admin_center, role in admins:
        if consultant_id is not None and role == "center_admin" and admin_center == center_code:
            info = await consultant_by_id(session, consultant_id)
            if info is not None and info.channel and info.external_id:
                people.setdefault(info.id, info)
    if not people:
        for consultant_id, _, role in admins:
            if consultant_id is not None and role == "admin":
                info = await consultant_by_id(session, consultant_id)
                if info is not None and info.channel and info.external_id:
                    people.setdefault(info.id, info)
    return list(people.values())


async def request_consultation(
    session: AsyncSession, *, user_id: int, center_code: str, area: str | None, question: str | None,
    phone: str | None, channel: str, language: str, now: datetime,
) -> ConsultationRequested:
    """Record the request (or find the same owner's still-new one for this center) and say whom to tell."""
    existing = (await session.execute(
        select(ConsultationRequest).where(
            ConsultationRequest.user_id == user_id, ConsultationRequest.center_code == center_code,
            ConsultationRequest.status == NEW,
        ).order_by(ConsultationRequest.id.desc()).limit(1)
    )).scalar_one_or_none()
    again = existing is not None
    if existing is None:
        existing = ConsultationRequest(
            user_id=user_id, center_code=center_code, service_area=area, question=(question or "")[:MAX_QUESTION] or None,
            phone=phone, channel=channel, language=language, status=NEW, notified=0, created_at=now,
        )
        session.add(existing)
        await session.flush()
    people = await recipients(session, center_code) if not again else []
    existing.notified += len(people)
    return ConsultationRequested(existing.id, center_code, existing.service_area, existing.question, existing.phone,
                                 tuple(people), again)


async def requests_for_center(session: AsyncSession, center_code: str) -> list[ConsultationRequest]:
    """A center's requests, newest first."""
    stmt = select(ConsultationRequest).where(ConsultationRequest.center_code == center_code)
    return list((await session.execute(stmt.order_by(ConsultationRequest.id.desc()))).scalars())
