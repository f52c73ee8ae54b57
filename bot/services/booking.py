"""Booking use cases: hold, book, reschedule, cancel, accept, decline (and reassign), list.

Each takes the caller's session (one transaction: the unit of work) and plain arguments,
changes a booking only through a method of the `bot.domain.booking.Booking` entity (which
raises a domain exception on a broken rule and records a domain event), and hands the
events with whom to tell (`BookingNews`, no words) to the notifier the composition root
installed (`bot/dialogue/notices.py`), which writes the notifications to the outbox in the
same transaction: a booking and its messages commit or roll back together. Flow actions
(`bot/dialogue/booking.py`), admin pages and the CLI call these.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.observability import metrics
from bot.domain import booking as rules
from bot.domain.areas import SERVICE_AREAS, area_name
from bot.domain.centers import Center
from bot.domain.closed_days import DayClosed, why_closed
from bot.domain.geo import haversine_km
from bot.domain.booking import ACTIVE_STATUSES, BookingNotFound, SlotTaken, SlotUnavailable
from bot.domain.zones import DEFAULT_ZONE
from bot.domain.slots import (
    DEFAULT_POLICY,
    Closure as ClosureRule,
    ConsultantSchedule,
    Slot,
    SlotPolicy,
    Window,
    consultants_offering,
    generate_slots,
    slot_is_free,
)
from bot.outbox import cancel_pending
from bot.services import schedule_cache
from bot.storage.models import Booking, Center as CenterRow, Closure, Consultant, SlotHold, User, WeeklyAvailability
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

HOLD_FOR = timedelta(minutes=10)
"""How long a chosen slot stays reserved for the user while they finish and confirm."""

@dataclass(frozen=True, slots=True)
class Contact:
    """Where a person's notifications go (a consultant without a linked account has none)."""

    channel: str | None
    external_id: str | None


_Contact = Contact


@dataclass(frozen=True, slots=True)
class BookingNews:
    """What one use case did to a booking, for the notifier to put into words: the events it
    recorded, the booking as it is now, and whom to tell. No text here."""

    booking: Booking
    events: list[rules.BookingEvent]
    center: Center | None
    user: Contact | None
    consultants: dict[int, Contact] = field(default_factory=dict)
    """Every consultant an event names (by id), with where to reach them."""
    alternatives: list[datetime] = field(default_factory=list)
    """Other free times, when the booking was declined and nobody else could take it."""


Notifier = Callable[[AsyncSession, BookingNews, datetime], Awaitable[None]]
_notifier: Notifier | None = None


def set_notifier(notifier: Notifier) -> None:
    """Install what turns `BookingNews` into notifications (the composition root does)."""
    global _notifier
    _notifier = notifier


def current_notifier() -> Notifier | None:
    return _notifier


async def _publish(session: AsyncSession, news: BookingNews, now: datetime) -> None:
    if _notifier is None:
        log.warning("no booking notifier installed: %s %s is not told", news.booking.ref,
                    [type(e).__name__ for e in news.events])
        return
    if news.events:
        await _notifier(session, news, now)


# --- centers ------------------------------------------------------------------------------------


async def center_info(session: AsyncSession, code: str) -> Center | None:
    row = (await session.execute(select(CenterRow).where(CenterRow.code == code))).scalar_one_or_none()
    return Center.from_model(row) if row is not None else None


async def bookable_centers(session: AsyncSession) -> list[Center]:
    """Centers with at least one active consultant, by name."""
    codes = (await session.execute(select(Consultant.center_code).where(Consultant.active.is_(True)).distinct())).scalars()
    out = [c for c in [await center_info(session, code) for code in codes] if c is not None]
    return sorted(out, key=lambda c: c.name)


def nearest_center(centers: Sequence[Center], latitude: float, longitude: float) -> Center | None:
    placed = [c for c in centers if c.has_point]
    return min(placed, key=lambda c: haversine_km(latitude, longitude, c.latitude, c.longitude), default=None)


def match_center(centers: Sequence[Center], text: str) -> Center | None:
    """The center a typed answer names ("maros", "PLUT Biak", "jogja"), with typos forgiven."""
    from rapidfuzz import fuzz

    low = (text or "").lower().replace("plut", " ").strip()
    if len(low) < 3:
        return None
    best, best_score = None, 0.0
    for c in centers:
        haystack = f"{c.name} {c.place} {c.code.replace('-', ' ')}".lower()
        score = max(fuzz.partial_ratio(low, haystack), max((fuzz.ratio(low, w) for w in haystack.split()), default=0))
        if score > best_score:
            best, best_score = c, score
    return best if best_score >= 80 else None


# --- consultants and their time -----------------------------------------------------------------


def _hm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


async def schedules_for(session: AsyncSession, center_code: str) -> tuple[list[ConsultantSchedule], list[ClosureRule]]:
    """The center's active consultants with their weekly windows, and its closures (two queries)."""
    rows = (
        await session.execute(
            select(Consultant.id, Consultant.areas, WeeklyAvailability.weekday, WeeklyAvailability.start_time, WeeklyAvailability.end_time)
            .outerjoin(WeeklyAvailability, WeeklyAvailability.consultant_id == Consultant.id)
            .where(Consultant.center_code == center_code, Consultant.active.is_(True))
            .order_by(Consultant.id)
        )
    ).all()
    windows: dict[int, list[Window]] = {}
    areas: dict[int, frozenset[str]] = {}
    for cid, careas, weekday, start, end in rows:
        windows.setdefault(cid, [])
        areas[cid] = frozenset(careas or ())
        if weekday is not None:
            windows[cid].append(Window(weekday, _hm(start), _hm(end)))
    closures = [
        ClosureRule(r.first_day, r.last_day, r.consultant_id)
        for r in (await session.execute(select(Closure).where(Closure.center_code == center_code))).scalars()
    ]
    return [ConsultantSchedule(cid, tuple(w), areas[cid]) for cid, w in windows.items()], closures


@dataclass(frozen=True, slots=True)
class _CenterSchedule:
    """What slot rules need of a center; kept a few seconds by `schedule_cache`."""

    center: Center | None
    schedules: tuple[ConsultantSchedule, ...]
    closures: tuple[ClosureRule, ...]

    @property
    def tz(self) -> str:
        return self.center.tz if self.center else DEFAULT_ZONE


async def _center_schedule(session: AsyncSession, center_code: str) -> _CenterSchedule:
    cached = schedule_cache.get(session, center_code)
    if isinstance(cached, _CenterSchedule):
        return cached
    generation = schedule_cache.generation()
    center = await center_info(session, center_code)
    schedules, closures = await schedules_for(session, center_code) if center is not None else ([], [])
    value = _CenterSchedule(center, tuple(schedules), tuple(closures))
    schedule_cache.put(session, center_code, value, generation)
    return value


async def why_day_closed(session: AsyncSession, *, center_code: str, area: str | None, day: date, now: datetime) -> DayClosed | None:
    """Why `day` has no slot at the center for `area` (past, beyond the horizon, holiday,
    closure, no hours that weekday); None when it is open and merely full."""
    cached = await _center_schedule(session, center_code)
    return why_closed(day, schedules=cached.schedules, closures=cached.closures, tz=cached.tz, now=now, area=area)


async def _busy(
    session: AsyncSession, consultant_ids: Sequence[int], now: datetime, *, user_id: int | None,
    until: datetime, since: datetime | None = None, ignore_booking: int | None = None,
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Intervals taken between `since` (default now) and `until`: active bookings, and live holds of other users."""
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    if not consultant_ids:
        return busy
    since = max(since or now, now)
    q = select(Booking.consultant_id, Booking.starts_at, Booking.ends_at).where(
        Booking.consultant_id.in_(consultant_ids), Booking.status.in_(ACTIVE_STATUSES),
        Booking.ends_at > since, Booking.starts_at < until,
    )
    if ignore_booking is not None:
        q = q.where(Booking.id != ignore_booking)
    h = select(SlotHold.consultant_id, SlotHold.starts_at, SlotHold.ends_at).where(
        SlotHold.consultant_id.in_(consultant_ids), SlotHold.expires_at > now,
        SlotHold.ends_at > since, SlotHold.starts_at < until,
    )
    if user_id is not None:
        h = h.where(SlotHold.user_id != user_id)
    for cid, s, e in (await session.execute(union_all(q, h))).all():
        busy.setdefault(cid, []).append((s, e))
    return busy


async def free_slots(
    session: AsyncSession,
    *,
    center_code: str,
    area: str | None,
    now: datetime,
    user_id: int | None = None,
    day: date | None = None,
    policy: SlotPolicy = DEFAULT_POLICY,
    exclude_consultants: Sequence[int] = (),
    ignore_booking: int | None = None,
) -> list[Slot]:
    """The center's free slots for `area` (all areas when None), as `user_id` sees them
    (their own hold does not hide a slot from them)."""
    cached = await _center_schedule(session, center_code)
    center, closures = cached.center, cached.closures
    if center is None:
        return []
    schedules = [s for s in cached.schedules if s.consultant_id not in exclude_consultants]
    margin = policy.buffer + policy.duration
    if day is not None:
        zone = ZoneInfo(center.tz)
        since = datetime.combine(day, time(0, 0), tzinfo=zone) - margin
        until = datetime.combine(day, time(23, 59), tzinfo=zone) + margin
    else:
        since, until = now, now + policy.horizon + margin
    busy = await _busy(session, [s.consultant_id for s in schedules], now, user_id=user_id, since=since, until=until,
                       ignore_booking=ignore_booking)
    return generate_slots(schedules, tz=center.tz, now=now, policy=policy, closures=closures, busy=busy, area=area, day=day)


# --- hold ---------------------------------------------------------------------------------------


async def release_holds(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(SlotHold).where(SlotHold.user_id == user_id))


async def hold_slot(
    session: AsyncSession,
    *,
    user_id: int,
    center_code: str,
    area: str,
    starts_at: datetime,
    now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY,
    ignore_booking: int | None = None,
) -> SlotHold:
    """Reserve `starts_at` for the user for `HOLD_FOR` with a consultant of `area` free then.

    `SlotUnavailable` when that time is not a slot of the center (past, too soon, holiday,
    outside hours); `SlotTaken` when every consultant's slot is booked or held by others."""
    free, _ = await _free_at(session, center_code=center_code, area=area, starts_at=starts_at, now=now, policy=policy,
                             user_id=user_id, ignore_booking=ignore_booking)
    ends_at = starts_at + policy.duration
    for cid in free:
        # Expired holds of others give way, and so does the user's own hold of this very slot (it is
        # renewed); the unique constraint settles a race for a live one.
        await session.execute(
            delete(SlotHold).where(SlotHold.consultant_id == cid, SlotHold.starts_at == starts_at,
                                   (SlotHold.expires_at <= now) | (SlotHold.user_id == user_id))
        )
        won = await insert_ignore(
            session,
            SlotHold,
            {"consultant_id": cid, "starts_at": starts_at, "ends_at": ends_at, "user_id": user_id, "expires_at": now + HOLD_FOR},
            ("consultant_id", "starts_at"),
        )
        if won:
            # The new time is held: the one held before is free for others again. Only now, so a
            # change to a time that turns out taken leaves the user the time they had.
            await session.execute(delete(SlotHold).where(
                SlotHold.user_id == user_id, (SlotHold.consultant_id != cid) | (SlotHold.starts_at != starts_at)))
            hold = (
                await session.execute(select(SlotHold).where(SlotHold.consultant_id == cid, SlotHold.starts_at == starts_at))
            ).scalar_one()
            return hold
    raise SlotTaken("someone else is holding that time")


# --- the entity and its events -------------------------------------------------------------------

_SEEN = "bot.booking.seen"


def _seen(session: AsyncSession, entity: rules.Booking) -> rules.Booking:
    """Remember the entity in the unit of work (the session) so that `collect_events` finds
    what it recorded (cosmicpython's `uow.seen` and `collect_new_events`)."""
    session.info.setdefault(_SEEN, []).append(entity)
    return entity


def _entity(session: AsyncSession, row: Booking) -> rules.Booking:
    """The `Booking` entity over a row, seen by the unit of work."""
    return _seen(session, rules.Booking(row))


def collect_events(session: AsyncSession) -> list[rules.BookingEvent]:
    """The events the booking use cases recorded in this unit of work so far, oldest first;
    each is handed out once."""
    events: list[rules.BookingEvent] = []
    for entity in session.info.get(_SEEN, []):
        events += entity.events
        entity.events.clear()
    return events


# --- statements of the booking path, built once -------------------------------------------------
# Building a select or insert costs more Python time than the round trip it makes; these are
# built on first use with bound parameters and reused (SQLAlchemy caches their compiled form).


@lru_cache(maxsize=None)
def _user_and_hold_stmt() -> Any:
    """The user's contact and the slot they hold at a start, with its consultant: one row."""
    return (
        select(User.channel, User.external_id, SlotHold.id, SlotHold.consultant_id, Consultant.center_code, Consultant.areas,
               Consultant.channel, Consultant.external_id)
        .select_from(User)
        .outerjoin(SlotHold, (SlotHold.user_id == User.id) & (SlotHold.starts_at == bindparam("starts_at")))
        .outerjoin(Consultant, Consultant.id == SlotHold.consultant_id)
        .where(User.id == bindparam("user_id"))
    )


@lru_cache(maxsize=None)
def _free_at_stmt(ignoring_booking: bool, as_user: bool) -> Any:
    """Offering consultants still active at the center, each with its contact and what is
    taken around one start (active bookings, other users' live holds): one row per interval."""
    ids: Any = bindparam("ids", expanding=True)
    since: Any = bindparam("since")
    until: Any = bindparam("until")
    now: Any = bindparam("now")
    taken = select(Booking.consultant_id, Booking.starts_at, Booking.ends_at).where(
        Booking.consultant_id.in_(ids), Booking.status.in_(ACTIVE_STATUSES), Booking.ends_at > since, Booking.starts_at < until,
    )
    if ignoring_booking:
        taken = taken.where(Booking.id != bindparam("ignore_booking"))
    held = select(SlotHold.consultant_id, SlotHold.starts_at, SlotHold.ends_at).where(
        SlotHold.consultant_id.in_(ids), SlotHold.expires_at > now, SlotHold.ends_at > since, SlotHold.starts_at < until,
    )
    if as_user:
        held = held.where(SlotHold.user_id != bindparam("user_id"))
    busy = union_all(taken, held).subquery()
    return (
        select(Consultant.id, Consultant.areas, Consultant.channel, Consultant.external_id, busy.c.starts_at, busy.c.ends_at)
        .outerjoin(busy, busy.c.consultant_id == Consultant.id)
        .where(Consultant.id.in_(ids), Consultant.active.is_(True), Consultant.center_code == bindparam("center_code"))
    )


@lru_cache(maxsize=None)
def _insert_booking_stmt(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(Booking).on_conflict_do_nothing().returning(Booking)


@lru_cache(maxsize=None)
def _active_at_stmt() -> Any:
    return select(Booking.id).where(Booking.consultant_id == bindparam("consultant_id"),
                                    Booking.starts_at == bindparam("starts_at"), Booking.status.in_(ACTIVE_STATUSES))


async def _tz(session: AsyncSession, center_code: str) -> str:
    return (await _center_schedule(session, center_code)).tz


async def _free_at(
    session: AsyncSession, *, center_code: str, area: str, starts_at: datetime, now: datetime, policy: SlotPolicy,
    user_id: int | None, ignore_booking: int | None = None,
) -> tuple[list[int], dict[int, _Contact]]:
    """The consultants (ascending ids) of `area` free at `starts_at`, as `user_id` sees them
    (their own hold does not count), with where to notify each: the same answer as
    filtering `free_slots(day=…)` for that start, from one query about that start only.

    `SlotUnavailable` when the time is not a slot at all (no query then); `SlotTaken` when
    every consultant offering it is booked or held by someone else."""
    cached = await _center_schedule(session, center_code)
    if cached.center is None:
        raise SlotUnavailable("that time is not a consultation slot")
    offering = consultants_offering(cached.schedules, starts_at, tz=cached.tz, now=now, policy=policy,
                                    closures=cached.closures, area=area)
    if not offering:
        raise SlotUnavailable("that time is not a consultation slot")
    # The consultant rows are read fresh, so a deactivation or a change of center or
    # field counts at once even when the cached schedule is a few seconds old.
    params = {"ids": offering, "since": max(starts_at - policy.buffer, now), "until": starts_at + policy.duration + policy.buffer,
              "now": now, "center_code": center_code, "ignore_booking": ignore_booking, "user_id": user_id}
    rows = (await session.execute(_free_at_stmt(ignore_booking is not None, user_id is not None), params)).all()
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    contacts: dict[int, _Contact] = {}
    for cid, areas, channel, external_id, s, e in rows:
        if area not in (areas or ()):
            continue
        contacts[cid] = _Contact(channel, external_id)
        if s is not None:
            busy.setdefault(cid, []).append((s, e))
    free = [cid for cid in offering if cid in contacts and slot_is_free(busy.get(cid, ()), starts_at, policy)]
    if not free:
        raise SlotTaken("that time was just taken")
    return free, contacts


# --- book ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingRequest:
    user_id: int
    center_code: str
    area: str
    starts_at: datetime
    name: str
    business_name: str | None
    business_kind: str | None
    phone: str | None
    consent_at: datetime
    language: str = "id"


async def _insert_booking(session: AsyncSession, values: dict[str, Any]) -> Booking | None:
    """Insert unless the slot's partial unique index already holds an active booking
    (`ON CONFLICT DO NOTHING`: a lost race costs no exception and no savepoint). None when
    the slot is taken. A rare repeated reference is drawn again. The row comes back by
    `RETURNING`, already in the session."""
    stmt = _insert_booking_stmt(session.bind.dialect.name if session.bind is not None else "sqlite")
    for _ in range(8):
        booking: Booking | None = (await session.scalars(stmt, {**values, "ref": rules.new_reference()})).one_or_none()
        if booking is not None:
            return booking
        taken = await session.execute(_active_at_stmt(), {"consultant_id": values["consultant_id"], "starts_at": values["starts_at"]})
        if taken.first() is not None:
            return None
    raise RuntimeError("could not draw an unused booking reference")


async def book(
    session: AsyncSession,
    request: BookingRequest,
    *,
    now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY,
) -> Booking:
    """Make the booking for the slot the user holds (or, without a hold, any free consultant
    of the area at that time). Notifies the consultant and schedules the reminders.

    Four statements: the user with their hold, the free consultants at that time (skipped
    with a hold), the insert, and the outbox rows in one insert (plus the hold's release)."""
    found = (
        await session.execute(_user_and_hold_stmt(), {"user_id": request.user_id, "starts_at": request.starts_at})
    ).first()
    user = _Contact(found[0], found[1]) if found is not None else None
    has_hold = found is not None and found[2] is not None
    candidates: list[int] = []
    contacts: dict[int, _Contact] = {}
    if has_hold:
        _, _, _, held_by, center_code, areas, channel, external_id = found  # type: ignore[misc]
        if center_code == request.center_code and request.area in (areas or ()):
            candidates.append(held_by)
            contacts[held_by] = _Contact(channel, external_id)
    if not candidates:
        candidates, contacts = await _free_at(session, center_code=request.center_code, area=request.area,
                                              starts_at=request.starts_at, now=now, policy=policy, user_id=request.user_id)
    elif request.starts_at < now:
        raise SlotUnavailable("that time has passed")
    values = {
        "user_id": request.user_id, "center_code": request.center_code, "service_area": request.area,
        "name": request.name[:128],
        "business_name": (request.business_name or None) and request.business_name[:200],
        "business_kind": (request.business_kind or None) and request.business_kind[:200],
        "phone": request.phone, "language": request.language, "consent_at": request.consent_at,
        **rules.Booking.initial_fields(request.starts_at, policy.duration, now),
    }
    booking = None
    for cid in candidates:
        booking = await _insert_booking(session, {**values, "consultant_id": cid})
        if booking is not None:
            break
    if booking is None:
        raise SlotTaken("the slot was booked by someone else a moment ago")
    _seen(session, rules.Booking.requested(booking, now=now))
    if has_hold:
        await release_holds(session, request.user_id)
    center = (await _center_schedule(session, request.center_code)).center
    await _publish(session, BookingNews(booking, collect_events(session), center, user,
                                        {booking.consultant_id: contacts[booking.consultant_id]}), now)
    metrics.booking("made")
    return booking


# --- the user's own bookings ----------------------------------------------------------------------


async def user_bookings(session: AsyncSession, user_id: int, *, now: datetime, active_only: bool = True) -> list[Booking]:
    q = select(Booking).where(Booking.user_id == user_id).order_by(Booking.starts_at)
    if active_only:
        q = q.where(Booking.status.in_(ACTIVE_STATUSES), Booking.ends_at > now)
    return list((await session.execute(q)).scalars())


async def last_booking(session: AsyncSession, user_id: int) -> Booking | None:
    q = select(Booking).where(Booking.user_id == user_id).order_by(Booking.created_at.desc(), Booking.id.desc()).limit(1)
    return (await session.execute(q)).scalar_one_or_none()


async def user_booking(session: AsyncSession, user_id: int, ref: str, *, lock: bool = False) -> Booking:
    """The user's booking `ref`; `BookingNotFound` when it is not theirs or does not exist
    (one answer for both, so nobody learns about other people's references)."""
    q = select(Booking).where(Booking.ref == ref.upper(), Booking.user_id == user_id)
    if lock:
        q = q.with_for_update()
    booking = (await session.execute(q)).scalar_one_or_none()
    if booking is None:
        raise BookingNotFound(ref)
    return booking


async def consultant_names(session: AsyncSession, *, consultant_id: int | None = None, center_code: str | None = None,
                           area: str | None = None) -> list[str]:
    """Names of active consultants: the one of a booking (`consultant_id`), or those of a center
    (covering `area` when given), by name."""
    q = select(Consultant.name, Consultant.areas)
    if consultant_id is not None:
        q = q.where(Consultant.id == consultant_id)
    else:
        q = q.where(Consultant.center_code == center_code, Consultant.active.is_(True))
    rows = (await session.execute(q.order_by(Consultant.name))).all()
    return [name for name, areas in rows if area is None or area in (areas or ())]


async def cancel_booking(session: AsyncSession, *, user_id: int, ref: str, now: datetime) -> Booking:
    booking = await user_booking(session, user_id, ref, lock=True)
    _entity(session, booking).cancel(now=now)
    await cancel_pending(session, ref=booking.ref, kind_prefix="reminder")
    await _publish(session, await _news(session, booking, consultants=[booking.consultant_id]), now)
    metrics.booking("cancelled")
    return booking


async def cancel_for_erasure(session: AsyncSession, booking: Booking, *, now: datetime) -> rules.BookingCancelled:
    """Cancel an upcoming booking because its owner has their personal data erased: the slot
    is free again, its reminders are dropped, and the consultant is told through the
    notifier (the event's reason says why, so the notice can leave the owner unnamed)."""
    entity = _entity(session, booking)
    entity.cancel(now=now, reason=rules.ERASURE)
    event = entity.events[-1]
    assert isinstance(event, rules.BookingCancelled)
    await cancel_pending(session, ref=booking.ref, kind_prefix="reminder")
    await _publish(session, await _news(session, booking, consultants=[booking.consultant_id]), now)
    metrics.booking("cancelled")
    return event


async def reschedule_booking(
    session: AsyncSession,
    *,
    user_id: int,
    ref: str,
    starts_at: datetime,
    now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY,
) -> Booking:
    """Move the user's booking to `starts_at` (same center and field). The same consultant
    keeps it when free then, otherwise another consultant of the field takes it."""
    booking = await user_booking(session, user_id, ref, lock=True)
    entity = _entity(session, booking)
    entity.check_reschedule(now=now)
    if starts_at == booking.starts_at:
        return booking
    free, _ = await _free_at(session, center_code=booking.center_code, area=booking.service_area, starts_at=starts_at, now=now,
                             policy=policy, user_id=user_id, ignore_booking=booking.id)
    old_consultant = booking.consultant_id
    free.sort(key=lambda cid: cid != old_consultant)  # keep the same consultant when possible
    moved = False
    for cid in free:
        try:
            async with session.begin_nested():
                entity.reschedule(starts_at, policy.duration, cid, now=now)
                await session.flush()
            moved = True
            break
        except IntegrityError:
            await session.refresh(booking)  # the row as it was: the move did not happen
            entity.forget_last_event()
            continue
    if not moved:
        raise SlotTaken("the slot was booked by someone else a moment ago")
    await release_holds(session, user_id)
    await cancel_pending(session, ref=booking.ref, kind_prefix="reminder")
    news = await _news(session, booking, consultants=[old_consultant, booking.consultant_id], user=True)
    await _publish(session, news, now)
    return booking


# --- the consultant's side ----------------------------------------------------------------------


async def consultant_for_account(session: AsyncSession, channel: str, external_id: str) -> Consultant | None:
    q = select(Consultant).where(Consultant.channel == channel, Consultant.external_id == external_id)
    return (await session.execute(q)).scalars().first()


async def _consultant_booking(session: AsyncSession, consultant_id: int, ref: str) -> Booking:
    booking = (await session.execute(select(Booking).where(Booking.ref == ref.upper()).with_for_update())).scalar_one_or_none()
    if booking is None:
        raise BookingNotFound(ref)
    return booking  # whether it is theirs is the entity's rule (`NotTheConsultant`)


async def accept_booking(session: AsyncSession, *, consultant_id: int, ref: str, now: datetime) -> Booking:
    booking = await _consultant_booking(session, consultant_id, ref)
    if not _entity(session, booking).accept(consultant_id, now=now):
        return booking  # a second tap on Accept changes nothing
    await _publish(session, await _news(session, booking, user=True), now)
    return booking


@dataclass(frozen=True, slots=True)
class DeclineOutcome:
    booking: Booking
    reassigned_to: int | None
    alternatives: list[datetime]


async def decline_booking(
    session: AsyncSession, *, consultant_id: int, ref: str, now: datetime, policy: SlotPolicy = DEFAULT_POLICY,
) -> DeclineOutcome:
    """The consultant cannot take it: another consultant of the same field free at that
    time takes it over; when none is, the booking ends and the user gets other times."""
    booking = await _consultant_booking(session, consultant_id, ref)
    entity = _entity(session, booking)
    declined_by = entity.decline(consultant_id)
    center = await center_info(session, booking.center_code)
    tz = center.tz if center else DEFAULT_ZONE
    day = booking.starts_at.astimezone(ZoneInfo(tz)).date()
    # The slot must still be ahead with any notice at all; min notice is for new bookings.
    late_policy = SlotPolicy(policy.duration, policy.buffer, timedelta(0), policy.horizon)
    slots = await free_slots(
        session, center_code=booking.center_code, area=booking.service_area, now=now, user_id=booking.user_id,
        policy=late_policy, day=day, exclude_consultants=declined_by, ignore_booking=booking.id,
    )
    for cid in [s.consultant_id for s in slots if s.starts_at == booking.starts_at]:
        try:
            async with session.begin_nested():
                entity.reassign(cid, now=now)
                await session.flush()
        except IntegrityError:
            await session.refresh(booking)  # the row as it was: the reassignment did not happen
            entity.forget_last_event()
            entity.decline(consultant_id)
            continue
        await _publish(session, await _news(session, booking, consultants=[cid]), now)
        return DeclineOutcome(booking, cid, [])
    entity.end_declined(now=now)
    await cancel_pending(session, ref=booking.ref, kind_prefix="reminder")
    others = await free_slots(session, center_code=booking.center_code, area=booking.service_area, now=now,
                              user_id=booking.user_id, policy=policy)
    from bot.domain.slots import nearest_times

    alternatives = nearest_times(others, booking.starts_at, n=3)
    news = await _news(session, booking, user=True)
    await _publish(session, replace(news, alternatives=alternatives), now)
    return DeclineOutcome(booking, None, alternatives)


# --- listing ------------------------------------------------------------------------------------


async def list_bookings(
    session: AsyncSession, *, center_code: str | None = None, day: date | None = None, include_inactive: bool = False
) -> list[Booking]:
    q = select(Booking).order_by(Booking.starts_at, Booking.id)
    if center_code:
        q = q.where(Booking.center_code == center_code)
    if not include_inactive:
        q = q.where(Booking.status.in_(ACTIVE_STATUSES))
    rows = list((await session.execute(q)).scalars())
    if day is not None:
        tzs: dict[str, str] = {}
        kept = []
        for b in rows:
            if b.center_code not in tzs:
                tzs[b.center_code] = await _tz(session, b.center_code)
            if b.starts_at.astimezone(ZoneInfo(tzs[b.center_code])).date() == day:
                kept.append(b)
        rows = kept
    return rows


# --- whom to tell -------------------------------------------------------------------------------


async def _news(session: AsyncSession, booking: Booking, *, consultants: Sequence[int] = (), user: bool = False) -> BookingNews:
    """The events recorded so far with the booking's center, the consultants named and
    (when asked) the owner, each with where to reach them."""
    contacts: dict[int, Contact] = {}
    for cid in dict.fromkeys(consultants):
        consultant = await session.get(Consultant, cid)
        if consultant is not None:
            contacts[cid] = Contact(consultant.channel, consultant.external_id)
    owner = None
    if user:
        row = await session.get(User, booking.user_id)
        owner = Contact(row.channel, row.external_id) if row is not None else None
    center = (await _center_schedule(session, booking.center_code)).center
    return BookingNews(booking, collect_events(session), center, owner, contacts)


# --- consultants admin --------------------------------------------------------------------------


async def add_consultant(
    session: AsyncSession, *, center_code: str, name: str, areas: Sequence[str], windows: Sequence[Window], now: datetime,
    demo: bool = False,
) -> Consultant:
    bad = [a for a in areas if a not in SERVICE_AREAS]
    if bad or not areas:
        raise ValueError(f"unknown service area(s) {', '.join(bad) or '(none given)'}; use {', '.join(SERVICE_AREAS)}")
    consultant = Consultant(center_code=center_code, name=name, areas=list(areas), active=True, demo=demo, created_at=now)
    session.add(consultant)
    await session.flush()
    await set_availability(session, consultant.id, windows)
    return consultant


async def set_availability(session: AsyncSession, consultant_id: int, windows: Sequence[Window]) -> None:
    await session.execute(delete(WeeklyAvailability).where(WeeklyAvailability.consultant_id == consultant_id))
    session.add_all(
        WeeklyAvailability(consultant_id=consultant_id, weekday=w.weekday, start_time=f"{w.start:%H:%M}", end_time=f"{w.end:%H:%M}")
        for w in windows
    )
    await session.flush()


async def add_closure(
    session: AsyncSession, *, center_code: str, first_day: date, last_day: date, consultant_id: int | None = None,
    reason: str | None = None,
) -> Closure:
    if last_day < first_day:
        raise ValueError("the closure ends before it starts")
    row = Closure(center_code=center_code, consultant_id=consultant_id, first_day=first_day, last_day=last_day, reason=reason)
    session.add(row)
    await session.flush()
    return row


__all__ = [
    "HOLD_FOR", "Center", "BookingRequest", "DeclineOutcome",
    "center_info", "bookable_centers", "nearest_center", "match_center", "schedules_for", "free_slots",
    "hold_slot", "release_holds", "book", "user_bookings", "last_booking", "user_booking", "cancel_booking",
    "cancel_for_erasure",
    "reschedule_booking", "consultant_for_account", "accept_booking", "decline_booking", "list_bookings",
    "add_consultant", "set_availability", "add_closure", "area_name", "seed_consultants", "collect_events",
]


# --- demo seed ----------------------------------------------------------------------------------


def read_consultants_csv(path: Any) -> list[dict[str, Any]]:
    """Rows of `data/consultants.csv` (lines starting with # are notes)."""
    import csv
    from pathlib import Path

    from bot.domain.slots import parse_availability

    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    rows = []
    for i, row in enumerate(csv.DictReader(lines), start=2):
        try:
            rows.append({
                "center_code": row["center_code"].strip(),
                "name": row["name"].strip(),
                "areas": row["areas"].split(),
                "windows": parse_availability(row["availability"]),
            })
        except (KeyError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}: data row {i}: {exc}") from None
    return rows


async def seed_consultants(session: AsyncSession, content_dir: Any) -> int:
    """Load the demo consultants when there are none yet. Returns how many were added."""
    from datetime import UTC
    from pathlib import Path

    if (await session.execute(select(Consultant.id).limit(1))).first() is not None:
        return 0
    path = Path(content_dir) / "data" / "consultants.csv"
    if not path.exists():
        return 0
    now = datetime.now(UTC)
    rows = read_consultants_csv(path)
    for row in rows:
        await add_consultant(session, center_code=row["center_code"], name=row["name"], areas=row["areas"],
                             windows=row["windows"], now=now, demo=row["name"].startswith("[DEMO]"))
    log.info("seeded %d demo consultants", len(rows))
    return len(rows)
