"""Booking use cases: hold, book, reschedule, cancel, accept, decline (and reassign), list.

Each takes the caller's session (one transaction: the unit of work), raises a domain
exception from `bot.domain.booking` on a broken rule, and writes the notifications it
causes to the outbox in the same transaction, so a booking and its messages commit or
roll back together. Flow actions (`bot.services.booking`) and the CLI call these.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import asin, cos, radians, sin, sqrt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.observability import metrics
from bot.domain import booking as rules
from bot.domain.booking import ACTIVE_STATUSES, BookingNotFound, NotTheConsultant, SlotTaken, SlotUnavailable
from bot.domain.closed_days import DayClosed, why_closed
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
from bot.domain.ics import STATUSES, booking_ics, calendar_sequence
from bot.engine.events import Button, Document, Reply
from bot.i18n import format_datetime
from bot.outbox import cancel_pending, enqueue, enqueue_many
from bot.services import schedule_cache
from bot.storage.models import Booking, Center, Closure, Consultant, SlotHold, User, WeeklyAvailability
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

HOLD_FOR = timedelta(minutes=10)
"""How long a chosen slot stays reserved for the user while they finish and confirm."""

Translate = Callable[..., str]
"""`(lang, msgid, **kwargs) -> text`: `FrontDesk.i18n.gettext`."""


def _english(lang: str, message: str, **kwargs: Any) -> str:
    return message.format(**kwargs) if kwargs else message


# --- centers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CenterInfo:
    code: str
    name: str
    tz: str
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    place: str = ""
    """Town or regency, for matching what users type ("Maros", "Biak")."""


def _info_from_row(row: Center) -> CenterInfo:
    return CenterInfo(
        code=row.code,
        name=row.name,
        tz=row.timezone,
        latitude=row.latitude,
        longitude=row.longitude,
        address=row.address or "",
        place=" ".join(x for x in (row.regency, row.province) if x),
    )


async def center_info(session: AsyncSession, code: str) -> CenterInfo | None:
    row = (await session.execute(select(Center).where(Center.code == code))).scalar_one_or_none()
    return _info_from_row(row) if row is not None else None


async def bookable_centers(session: AsyncSession) -> list[CenterInfo]:
    """Centers with at least one active consultant, by name."""
    codes = (await session.execute(select(Consultant.center_code).where(Consultant.active.is_(True)).distinct())).scalars()
    out = [c for c in [await center_info(session, code) for code in codes] if c is not None]
    return sorted(out, key=lambda c: c.name)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dlat, dlon = radians(lat1), radians(lat2), radians(lat2 - lat1), radians(lon2 - lon1)
    return 2 * 6371.0 * asin(sqrt(sin(dlat / 2) ** 2 + cos(p1) * cos(p2) * sin(dlon / 2) ** 2))


def nearest_center(centers: Sequence[CenterInfo], latitude: float, longitude: float) -> CenterInfo | None:
    placed = [c for c in centers if c.latitude is not None and c.longitude is not None]
    return min(placed, key=lambda c: _km(latitude, longitude, c.latitude, c.longitude), default=None)  # type: ignore[arg-type]


def match_center(centers: Sequence[CenterInfo], text: str) -> CenterInfo | None:
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

    center: CenterInfo | None
    schedules: tuple[ConsultantSchedule, ...]
    closures: tuple[ClosureRule, ...]

    @property
    def tz(self) -> str:
        return self.center.tz if self.center else "Asia/Jakarta"


async def _center_schedule(session: AsyncSession, center_code: str) -> _CenterSchedule:
    cached = schedule_cache.get(session, center_code)
    if cached is not None:
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
    await release_holds(session, user_id)
    ends_at = starts_at + policy.duration
    for cid in free:
        # Expired holds of others give way; the unique constraint settles a race for a live one.
        await session.execute(
            delete(SlotHold).where(SlotHold.consultant_id == cid, SlotHold.starts_at == starts_at, SlotHold.expires_at <= now)
        )
        won = await insert_ignore(
            session,
            SlotHold,
            {"consultant_id": cid, "starts_at": starts_at, "ends_at": ends_at, "user_id": user_id, "expires_at": now + HOLD_FOR},
            ("consultant_id", "starts_at"),
        )
        if won:
            hold = (
                await session.execute(select(SlotHold).where(SlotHold.consultant_id == cid, SlotHold.starts_at == starts_at))
            ).scalar_one()
            return hold
    raise SlotTaken("someone else is holding that time")


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
    ids = bindparam("ids", expanding=True)
    since, until, now = bindparam("since"), bindparam("until"), bindparam("now")
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


@dataclass(frozen=True, slots=True)
class _Contact:
    """Where a person's notifications go."""

    channel: str | None
    external_id: str | None


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
        booking = (await session.scalars(stmt, {**values, "ref": rules.new_reference()})).one_or_none()
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
    translate: Translate = _english,
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
        "starts_at": request.starts_at, "ends_at": request.starts_at + policy.duration,
        "status": rules.BookingStatus.PENDING.value, "name": request.name[:128],
        "business_name": (request.business_name or None) and request.business_name[:200],
        "business_kind": (request.business_kind or None) and request.business_kind[:200],
        "phone": request.phone, "language": request.language, "consent_at": request.consent_at,
        "version": 1, "declined_by": [], "created_at": now, "updated_at": now,
    }
    booking = None
    for cid in candidates:
        booking = await _insert_booking(session, {**values, "consultant_id": cid})
        if booking is not None:
            break
    if booking is None:
        raise SlotTaken("the slot was booked by someone else a moment ago")
    if has_hold:
        await release_holds(session, request.user_id)
    center = (await _center_schedule(session, request.center_code)).center
    messages = [_consultant_message(booking, "new", center=center, consultant_id=booking.consultant_id,
                                    contact=contacts[booking.consultant_id], now=now, translate=translate)]
    if user is not None:
        messages += _reminder_messages(booking, center=center, user=user, now=now, translate=translate)
    await enqueue_many(session, messages)
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


async def cancel_booking(
    session: AsyncSession, *, user_id: int, ref: str, now: datetime, translate: Translate = _english
) -> Booking:
    booking = await user_booking(session, user_id, ref, lock=True)
    if booking.ends_at <= now:
        raise rules.InvalidTransition("past", "cancelled")
    booking.status = rules.transition(booking.status, "cancelled")
    booking.version += 1
    booking.updated_at = now
    await cancel_pending(session, ref=booking.ref, kind_prefix="reminder")
    await _notify_consultant(session, booking, "cancelled", now=now, translate=translate)
    metrics.booking("cancelled")
    return booking


async def reschedule_booking(
    session: AsyncSession,
    *,
    user_id: int,
    ref: str,
    starts_at: datetime,
    now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY,
    translate: Translate = _english,
) -> Booking:
    """Move the user's booking to `starts_at` (same center and field). The same consultant
    keeps it when free then, otherwise another consultant of the field takes it."""
    booking = await user_booking(session, user_id, ref, lock=True)
    rules.transition(booking.status, "rescheduled")
    if booking.ends_at <= now:
        raise rules.InvalidTransition("past", "rescheduled")
    if starts_at == booking.starts_at:
        return booking
    free, _ = await _free_at(session, center_code=booking.center_code, area=booking.service_area, starts_at=starts_at, now=now,
                             policy=policy, user_id=user_id, ignore_booking=booking.id)
    old_consultant = booking.consultant_id
    old_start, old_end = booking.starts_at, booking.ends_at
    free.sort(key=lambda cid: cid != old_consultant)  # keep the same consultant when possible
    moved = False
    for cid in free:
        try:
            async with session.begin_nested():
                booking.consultant_id = cid
                booking.starts_at, booking.ends_at = starts_at, starts_at + policy.duration
                await session.flush()
            moved = True
            break
        except IntegrityError:
            await session.refresh(booking)
            continue
    if not moved:
        booking.consultant_id, booking.starts_at, booking.ends_at = old_consultant, old_start, old_end
        raise SlotTaken("the slot was booked by someone else a moment ago")
    if booking.consultant_id != old_consultant:
        booking.status = rules.transition(booking.status, "reassigned")
    booking.version += 1
    booking.updated_at = now
    await release_holds(session, user_id)
    await cancel_pending(session, ref=booking.ref, kind_prefix="reminder")
    if booking.consultant_id != old_consultant:
        await _notify_consultant(session, booking, "cancelled", now=now, translate=translate, consultant_id=old_consultant,
                                 starts_at=old_start)
        await _notify_consultant(session, booking, "new", now=now, translate=translate)
    else:
        await _notify_consultant(session, booking, "rescheduled", now=now, translate=translate, previous_start=old_start)
    await _schedule_reminders(session, booking, now=now, translate=translate)
    return booking


# --- the consultant's side ----------------------------------------------------------------------


async def consultant_for_account(session: AsyncSession, channel: str, external_id: str) -> Consultant | None:
    q = select(Consultant).where(Consultant.channel == channel, Consultant.external_id == external_id)
    return (await session.execute(q)).scalars().first()


async def _consultant_booking(session: AsyncSession, consultant_id: int, ref: str) -> Booking:
    booking = (await session.execute(select(Booking).where(Booking.ref == ref.upper()).with_for_update())).scalar_one_or_none()
    if booking is None:
        raise BookingNotFound(ref)
    if booking.consultant_id != consultant_id:
        raise NotTheConsultant(ref)
    return booking


async def accept_booking(
    session: AsyncSession, *, consultant_id: int, ref: str, now: datetime, translate: Translate = _english
) -> Booking:
    booking = await _consultant_booking(session, consultant_id, ref)
    if booking.status == rules.BookingStatus.CONFIRMED:
        return booking  # a second tap on Accept changes nothing
    booking.status = rules.transition(booking.status, "accepted")
    booking.updated_at = now
    user = await session.get(User, booking.user_id)
    if user is not None:
        center = await center_info(session, booking.center_code)
        tz = center.tz if center else "Asia/Jakarta"
        text = translate(
            booking.language, "Good news: your consultation {ref} on {when} is confirmed by the consultant.",
            ref=booking.ref, when=format_datetime(booking.starts_at, booking.language, tz),
        )
        # The news comes with the updated calendar file (CONFIRMED, a higher SEQUENCE).
        calendar = calendar_reply(booking, center, translate, caption=text)
        await enqueue(session, channel=user.channel, recipient=user.external_id, payload=calendar.to_dict(),
                      idempotency_key=f"booking:{booking.ref}:v{booking.version}:accepted:user", now=now,
                      kind="booking.accepted", ref=booking.ref)
    return booking


def calendar_reply(booking: Booking, center: CenterInfo | None, translate: Translate = _english, *,
                   caption: str | None = None) -> Reply:
    """The booking's calendar file as it stands: tentative, confirmed, or a cancellation;
    `caption` replaces the standard one."""
    lang = booking.language
    cancelled = booking.status in ("cancelled", "declined")
    content = booking_ics(
        uid=f"{booking.ref}@plut-frontdesk", starts_at=booking.starts_at, ends_at=booking.ends_at,
        summary=translate(lang, "PLUT consultation: {area} ({ref})", area=area_name(booking.service_area, lang), ref=booking.ref),
        description=translate(lang, "Free consultation with a PLUT-KUMKM consultant. Booking code {ref}.", ref=booking.ref),
        location=(f"{center.name}, {center.address}" if center.address else center.name) if center else booking.center_code,
        created_at=booking.updated_at or booking.created_at, sequence=calendar_sequence(booking.version, booking.status),
        cancelled=cancelled, status=STATUSES.get(booking.status, "CONFIRMED"),
    )
    if cancelled:
        standard = translate(lang, "Open it to take the consultation out of your calendar")
    elif booking.status == "pending":
        standard = translate(lang, "Add it to your calendar; it stays tentative until the consultant confirms")
    else:
        standard = translate(lang, "Add it to your calendar")
    return Reply(document=Document(filename=f"{booking.ref}.ics", mime_type="text/calendar", content=content,
                                   caption=caption or standard))


@dataclass(frozen=True, slots=True)
class DeclineOutcome:
    booking: Booking
    reassigned_to: int | None
    alternatives: list[datetime]


async def decline_booking(
    session: AsyncSession, *, consultant_id: int, ref: str, now: datetime,
    policy: SlotPolicy = DEFAULT_POLICY, translate: Translate = _english,
) -> DeclineOutcome:
    """The consultant cannot take it: another consultant of the same field free at that
    time takes it over; when none is, the booking ends and the user gets other times."""
    booking = await _consultant_booking(session, consultant_id, ref)
    rules.transition(booking.status, "declined")
    declined_by = sorted({*(booking.declined_by or []), consultant_id})
    booking.declined_by = declined_by
    center = await center_info(session, booking.center_code)
    tz = center.tz if center else "Asia/Jakarta"
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
                booking.consultant_id = cid
                booking.status = rules.transition(booking.status, "reassigned")
                await session.flush()
        except IntegrityError:
            await session.refresh(booking)
            booking.declined_by = declined_by
            continue
        booking.version += 1
        booking.updated_at = now
        await _notify_consultant(session, booking, "new", now=now, translate=translate)
        return DeclineOutcome(booking, cid, [])
    booking.status = rules.transition(booking.status, "declined")
    booking.version += 1
    booking.updated_at = now
    await cancel_pending(session, ref=booking.ref, kind_prefix="reminder")
    others = await free_slots(session, center_code=booking.center_code, area=booking.service_area, now=now,
                              user_id=booking.user_id, policy=policy)
    from bot.domain.slots import nearest_times

    alternatives = nearest_times(others, booking.starts_at, n=3)
    user = await session.get(User, booking.user_id)
    if user is not None:
        lang = booking.language
        lines = [translate(lang, "We are sorry: the consultant cannot meet you on {when} ({ref}), and no other consultant of this field is free then.",
                           when=format_datetime(booking.starts_at, lang, tz), ref=booking.ref)]
        if alternatives:
            lines.append(translate(lang, "These times are free:"))
            lines += [f"• {format_datetime(t, lang, tz)}" for t in alternatives]
        buttons = [Button(translate(lang, "Choose another time"),
                          f"flow:book_consultation?center={booking.center_code}&area={booking.service_area}")]
        await enqueue(session, channel=user.channel, recipient=user.external_id,
                      payload=Reply(text="\n".join(lines), buttons=buttons).to_dict(),
                      idempotency_key=f"booking:{booking.ref}:v{booking.version}:declined:user", now=now,
                      kind="booking.declined", ref=booking.ref)
        await enqueue(session, channel=user.channel, recipient=user.external_id,
                      payload=calendar_reply(booking, center, translate).to_dict(),
                      idempotency_key=f"booking:{booking.ref}:v{booking.version}:declined:user:ics", now=now,
                      kind="booking.calendar", ref=booking.ref)
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


# --- notifications ------------------------------------------------------------------------------

AREA_NAMES = {
    "hr": ("SDM", "Human resources"),
    "production": ("Produksi", "Production"),
    "financing": ("Pembiayaan", "Financing"),
    "marketing": ("Pemasaran", "Marketing"),
    "institutional": ("Kelembagaan", "Institutional & legal"),
    "it": ("Pengembangan TI", "IT & digital"),
    "partnership": ("Jaringan kerja sama", "Partnerships & networking"),
}


def area_name(area: str, lang: str) -> str:
    pair = AREA_NAMES.get(area, (area, area))
    return pair[1] if lang == "en" else pair[0]


def _consultant_message(
    booking: Booking, change: str, *, center: CenterInfo | None, consultant_id: int, contact: _Contact, now: datetime,
    translate: Translate, starts_at: datetime | None = None, previous_start: datetime | None = None,
) -> dict[str, Any]:
    """The outbox message (`enqueue`'s arguments) telling the consultant, in Indonesian, on
    their linked channel, else the delivery log."""
    tz = center.tz if center else "Asia/Jakarta"
    lang = "id"
    when = format_datetime(starts_at or booking.starts_at, lang, tz)
    who = booking.name + (f" ({booking.business_name})" if booking.business_name else "")
    details = {"ref": booking.ref, "when": when, "who": who, "area": area_name(booking.service_area, lang),
               "kind": booking.business_kind or "-", "phone": booking.phone or "-"}
    buttons: list[Button] = []
    if change == "new":
        text = translate(lang, "New consultation booking {ref}\n{when}\n{area}: {who}, {kind}\nPhone: {phone}", **details)
        buttons = [Button(translate(lang, "Accept"), f"act:booking.accept?ref={booking.ref}"),
                   Button(translate(lang, "Decline"), f"act:booking.decline?ref={booking.ref}")]
    elif change == "rescheduled":
        details["before"] = format_datetime(previous_start, lang, tz) if previous_start else "-"
        text = translate(lang, "Booking {ref} was moved from {before} to {when}\n{area}: {who}", **details)
        buttons = [Button(translate(lang, "Accept"), f"act:booking.accept?ref={booking.ref}"),
                   Button(translate(lang, "Decline"), f"act:booking.decline?ref={booking.ref}")]
    else:
        text = translate(lang, "Booking {ref} on {when} was cancelled.\n{area}: {who}", **details)
    linked = bool(contact.channel and contact.external_id)
    return {
        "channel": contact.channel if linked else "log",
        "recipient": contact.external_id if linked else f"consultant:{consultant_id}",
        "payload": Reply(text=text, buttons=buttons).to_dict(),
        "idempotency_key": f"booking:{booking.ref}:v{booking.version}:{change}:consultant:{consultant_id}",
        "now": now, "kind": f"booking.{change}", "ref": booking.ref,
    }


async def _notify_consultant(
    session: AsyncSession, booking: Booking, change: str, *, now: datetime, translate: Translate,
    consultant_id: int | None = None, starts_at: datetime | None = None, previous_start: datetime | None = None,
) -> None:
    """Tell the consultant (in Indonesian) on their linked channel, else the delivery log."""
    consultant = await session.get(Consultant, consultant_id or booking.consultant_id)
    if consultant is None:
        return
    center = (await _center_schedule(session, booking.center_code)).center
    await enqueue(session, **_consultant_message(
        booking, change, center=center, consultant_id=consultant.id, contact=_Contact(consultant.channel, consultant.external_id),
        now=now, translate=translate, starts_at=starts_at, previous_start=previous_start,
    ))


def _reminder_messages(
    booking: Booking, *, center: CenterInfo | None, user: _Contact, now: datetime, translate: Translate
) -> list[dict[str, Any]]:
    """The user's reminders (24 h and 2 h before, those still ahead) as outbox messages."""
    tz = center.tz if center else "Asia/Jakarta"
    lang = booking.language
    place = center.name if center else booking.center_code
    when = format_datetime(booking.starts_at, lang, tz)
    messages = []
    for reminder in rules.reminders_for(booking.starts_at, now):
        if reminder.kind == "reminder.day_before":
            msg = "Reminder: tomorrow, {when}, you have a free consultation at {place} ({ref})."
        else:
            msg = "Reminder: your consultation at {place} starts at {when} ({ref})."
        text = translate(lang, msg, when=when, place=place, ref=booking.ref)
        buttons = [Button(translate(lang, "My bookings"), "flow:my_bookings")]
        messages.append({
            "channel": user.channel, "recipient": user.external_id, "payload": Reply(text=text, buttons=buttons).to_dict(),
            "idempotency_key": f"booking:{booking.ref}:v{booking.version}:{reminder.kind}", "now": now,
            "kind": reminder.kind, "not_before": reminder.at, "ref": booking.ref,
        })
    return messages


async def _schedule_reminders(session: AsyncSession, booking: Booking, *, now: datetime, translate: Translate) -> None:
    user = await session.get(User, booking.user_id)
    if user is None:
        return
    center = (await _center_schedule(session, booking.center_code)).center
    await enqueue_many(session, _reminder_messages(booking, center=center, user=_Contact(user.channel, user.external_id),
                                                   now=now, translate=translate))


# --- consultants admin --------------------------------------------------------------------------


async def add_consultant(
    session: AsyncSession, *, center_code: str, name: str, areas: Sequence[str], windows: Sequence[Window], now: datetime,
    demo: bool = False,
) -> Consultant:
    from bot.domain.slots import SERVICE_AREAS

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
    "HOLD_FOR", "CenterInfo", "BookingRequest", "DeclineOutcome",
    "center_info", "bookable_centers", "nearest_center", "match_center", "schedules_for", "free_slots",
    "hold_slot", "release_holds", "book", "user_bookings", "last_booking", "user_booking", "cancel_booking",
    "reschedule_booking", "consultant_for_account", "accept_booking", "decline_booking", "list_bookings",
    "add_consultant", "set_availability", "add_closure", "area_name", "seed_consultants",
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
