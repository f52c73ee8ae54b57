"""Handoff to a consultant, the use cases: who is in a conversation, opening, taking,
closing and rating a request, recording what was relayed, escalation and expiry.

Plain arguments in (the caller's session is the unit of work), rows and facts out; no
words. `bot/dialogue/handoff.py` asks these and says what the users read.

The life of a `HandoffRequest`: `open` (nobody has taken it; re-sent to a wider circle every
`HANDOFF_ESCALATE_MINUTES`, expired after `HANDOFF_EXPIRE_HOURS`), `connected` (the first
consultant to take it wins: a compare-and-set on `status`), `closed` (either side ended
it; the user may rate it) or `expired`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.opening_hours import OpeningHours, OpeningHoursError, parse_opening_hours
from bot.domain.zones import DEFAULT_ZONE
from bot.services import consultant_link
from bot.services.consultant_link import ConsultantInfo
from bot.storage.models import Booking, Center, HandoffMessage, HandoffRequest
from bot.storage.models.handoff import ACTIVE, CLOSED, CONNECTED, EXPIRED, OPEN

RELAY_CHANNELS = frozenset({"telegram", "whatsapp"})
"""Where consultants are reached (besides their inbox in /admin)."""
USER_CHANNELS = RELAY_CHANNELS | {"web"}
"""Where a user can chat with a consultant: the platforms and the web chat."""
"""Where a conversation can be relayed: the terminal and the try-it page cannot be reached later."""
DEFAULT_HOURS = "Mon-Fri 08:00-16:00"
"""The consultants' hours when a center gives none."""

_QUIET = "handoff.quiet"

# The two queries on the engine's hot path, built once: each call passes only its values
# (the batch's accounts and user ids as expanding parameters), so no statement is
# constructed and cache-keyed per batch or turn.
_ANY_IN_HANDOFF = select(HandoffRequest.id).where(or_(
    (HandoffRequest.status == CONNECTED)
    & tuple_(HandoffRequest.consultant_channel, HandoffRequest.consultant_external_id).in_(bindparam("accounts", expanding=True)),
    HandoffRequest.user_id.in_(bindparam("user_ids", expanding=True)) & HandoffRequest.status.in_(ACTIVE),
)).limit(1)
"""`prefetch`: is any account of the batch in a handoff?"""

_IN_HANDOFF = select(HandoffRequest).where(or_(
    (HandoffRequest.consultant_channel == bindparam("channel")) & (HandoffRequest.consultant_external_id == bindparam("external_id"))
    & (HandoffRequest.status == CONNECTED),
    (HandoffRequest.user_id == bindparam("user_id")) & HandoffRequest.status.in_(ACTIVE),
)).order_by(HandoffRequest.id.desc())
"""`requests_of`: the requests one account is in, as consultant or as user."""


async def prefetch(session: AsyncSession, accounts: list[tuple[str, str]], user_ids: list[int]) -> None:
    """Before a batch of turns: one query for all its accounts. When none of them is in a
    handoff (the usual case), `is_quiet` says so without a query of its own, until a turn
    of the batch opens or takes a request (`stirred`)."""
    session.info.pop(_QUIET, None)
    accounts = [a for a in accounts if a[0] in RELAY_CHANNELS]
    if len(accounts) < 2:  # one turn: `requests_of`'s own query is as cheap
        return
    found = (await session.execute(_ANY_IN_HANDOFF, {"accounts": accounts, "user_ids": user_ids})).first()
    if found is None:
        session.info[_QUIET] = (set(accounts), set(user_ids))


def is_quiet(session: AsyncSession, channel: str, external_id: str, user_id: int) -> bool:
    """`prefetch` found this account in no handoff, and nothing changed since."""
    quiet = session.info.get(_QUIET)
    return quiet is not None and (channel, external_id) in quiet[0] and user_id in quiet[1]


def stirred(session: AsyncSession) -> None:
    """A request was opened or taken in this transaction: `prefetch`'s answer is stale."""
    session.info.pop(_QUIET, None)


async def requests_of(session: AsyncSession, channel: str, external_id: str, user_id: int) -> list[HandoffRequest]:
    """The requests this account is in: connected ones as the consultant, active ones as the user."""
    return list((await session.execute(
        _IN_HANDOFF, {"channel": channel, "external_id": external_id, "user_id": user_id}
    )).scalars())


async def connected_as_consultant(session: AsyncSession, channel: str, external_id: str) -> HandoffRequest | None:
    stmt = select(HandoffRequest).where(
        HandoffRequest.consultant_channel == channel, HandoffRequest.consultant_external_id == external_id,
        HandoffRequest.status == CONNECTED,
    ).order_by(HandoffRequest.taken_at.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_for_user(session: AsyncSession, user_id: int) -> HandoffRequest | None:
    stmt = select(HandoffRequest).where(HandoffRequest.user_id == user_id, HandoffRequest.status.in_(ACTIVE))
    return (await session.execute(stmt)).scalar_one_or_none()


def record_message(session: AsyncSession, req: HandoffRequest, direction: str, kind: str, text: str | None,
                   now: datetime) -> None:
    """Keep what was said in the conversation (`to_consultant` or `to_user`)."""
    session.add(HandoffMessage(request_id=req.id, direction=direction, kind=kind, text=text, at=now))


async def waiting_messages(session: AsyncSession, req: HandoffRequest) -> list[str]:
    """What the user wrote before a consultant took the request, oldest first."""
    rows = await session.execute(
        select(HandoffMessage.text).where(HandoffMessage.request_id == req.id).order_by(HandoffMessage.id))
    return [t for t in rows.scalars() if t]


async def last_booking_center(session: AsyncSession, user_id: int) -> str | None:
    stmt = select(Booking.center_code).where(Booking.user_id == user_id).order_by(Booking.id.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def candidates(session: AsyncSession, center: str | None, area: str | None, level: int) -> list[ConsultantInfo]:
    """Who is asked at escalation `level`: 0 the center's consultants of the area, 1 the whole
    center, 2 every consultant of the area, 3 everyone. An empty circle widens at once."""
    everyone = await consultant_link.linked_consultants(session)
    circles = [
        [c for c in everyone if center and c.center_code == center and (not area or area in c.areas)],
        [c for c in everyone if center and c.center_code == center],
        [c for c in everyone if not area or area in c.areas],
        everyone,
    ]
    for circle in circles[min(level, 3):]:
        if circle:
            return circle
    return []


async def open_request(
    session: AsyncSession, *, user_id: int, center: str | None, area: str | None, question: str | None,
    now: datetime, escalate_after: timedelta,
) -> HandoffRequest:
    """A new open request (the caller checked the user has no active one)."""
    req = HandoffRequest(user_id=user_id, center_code=center, service_area=area, question=(question or "")[:2000] or None,
                         status=OPEN, created_at=now, escalations=0, next_escalation_at=now + escalate_after)
    session.add(req)
    stirred(session)
    await session.flush()
    return req


async def take_request(
    session: AsyncSession, *, req_id: int, consultant_id: int, channel: str, external_id: str, now: datetime,
) -> HandoffRequest | None:
    """Connect the consultant if the request is still open (the first one wins); None when
    another consultant took it first or it ended."""
    stirred(session)
    result = await session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == req_id, HandoffRequest.status == OPEN)
        .values(status=CONNECTED, consultant_id=consultant_id, consultant_channel=channel,
                consultant_external_id=external_id, taken_at=now, next_escalation_at=None)
        .returning(HandoffRequest.id)
    )
    if result.scalar_one_or_none() is None:
        return None
    req = await session.get(HandoffRequest, req_id)
    assert req is not None
    await session.refresh(req)
    return req


async def close_request(session: AsyncSession, req: HandoffRequest, *, by: str, now: datetime) -> bool:
    """End an active request (`by`: `user` or `consultant`). False when it had ended already."""
    result = await session.execute(
        update(HandoffRequest).where(HandoffRequest.id == req.id, HandoffRequest.status.in_(ACTIVE))
        .values(status=CLOSED, closed_at=now, closed_by=by, next_escalation_at=None).returning(HandoffRequest.id)
    )
    return result.scalar_one_or_none() is not None


async def rate_request(session: AsyncSession, *, req_id: int, user_id: int, stars: int, now: datetime) -> bool:
    """The user rates their closed conversation, once (1–5). False when nothing was rated."""
    if not 1 <= stars <= 5:
        return False
    result = await session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == req_id, HandoffRequest.user_id == user_id, HandoffRequest.status == CLOSED,
               HandoffRequest.rating.is_(None))
        .values(rating=stars, rated_at=now).returning(HandoffRequest.id)
    )
    return result.scalar_one_or_none() is not None


async def due_for_escalation(session: AsyncSession, now: datetime, *, skip_locked: bool, limit: int = 100) -> list[HandoffRequest]:
    """Open requests whose time to be sent again has come (locked, on PostgreSQL, so two
    processes do not escalate the same one)."""
    stmt = select(HandoffRequest).where(HandoffRequest.status == OPEN, HandoffRequest.next_escalation_at <= now)
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt.limit(limit))).scalars())


def escalate(req: HandoffRequest, *, now: datetime, expire_after: timedelta, escalate_after: timedelta) -> bool:
    """Widen the circle of a request nobody took (True), or expire it when too old (False)."""
    if now - req.created_at >= expire_after:
        req.status, req.closed_at, req.closed_by, req.next_escalation_at = EXPIRED, now, "timeout", None
        return False
    req.escalations += 1
    req.next_escalation_at = now + escalate_after
    return True


async def center_hours(session: AsyncSession, center: str | None) -> tuple[OpeningHours, str]:
    """The center's opening hours and zone (the default hours when it gives none)."""
    text, tz = None, DEFAULT_ZONE
    if center:
        row = (await session.execute(select(Center).where(Center.code == center))).scalar_one_or_none()
        if row is not None:
            text, tz = row.opening_hours, row.timezone or DEFAULT_ZONE
    try:
        hours = parse_opening_hours(text)
    except OpeningHoursError:
        hours = parse_opening_hours(DEFAULT_HOURS)
    if not hours.known:
        hours = parse_opening_hours(DEFAULT_HOURS)
    return hours, tz


def next_opening(hours: OpeningHours, now: datetime, tz: str) -> datetime | None:
    """The next start of an opening interval after `now` (None if open now)."""
    if hours.is_open(now, tz):
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    for offset in range(0, 8):
        day: date = (local + timedelta(days=offset)).date()
        for start, _end in hours.on(day.weekday()):
            at = datetime.combine(day, start, tzinfo=zone)
            if at > local:
                return at
    return None


__all__ = [
    "ACTIVE", "CLOSED", "CONNECTED", "DEFAULT_HOURS", "EXPIRED", "OPEN", "RELAY_CHANNELS", "USER_CHANNELS", "active_for_user",
    "candidates", "center_hours", "close_request", "connected_as_consultant", "due_for_escalation", "escalate",
    "is_quiet", "last_booking_center", "next_opening", "open_request", "prefetch", "rate_request", "record_message",
    "requests_of", "stirred", "take_request", "waiting_messages",
]
